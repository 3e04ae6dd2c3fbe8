/**
 * End to end: versions whose hosts stop — crash late in their batch's window, or hang and repeat
 * their last values. The gate calls a host
 * silent only after `silentPoints` (3) minutes without a point, so at its own window's end such a
 * host is not silent yet. An earlier batch's hosts are judged again by the next batch; the last
 * batch is watched three minutes longer, since nothing comes after it.
 *
 * Timing: a host crashes `crashAfterMinutes` after the version reached it, which is before the
 * batch's window starts (the window starts once every host of the batch has been deployed). A
 * crash 9.5 minutes after arrival falls in minute 8 or 9 of a 10-minute window unless the deploy
 * took more than 1.5 virtual minutes (0.9 s at 100 virtual ms per real ms): at most two of the
 * window's last three minutes are missing at its end, and all three after it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../auth/api-keys.js';
import { crashes, hangs, type VersionEffect } from './model.js';
import { releaseClient, type ReleaseClient } from './api-client.js';
import { startFleetWorld, type FleetWorld } from './world.js';

let world: FleetWorld;
let client: ReleaseClient;
const LATE: Partial<VersionEffect> = { latency: 1, errorRate: 0, cpu: 1, fatal: '', crashShare: 0.25, crashAfterMinutes: 9.5 };

/** The latest 21:25 UTC before now (virtual time never runs ahead of the real clock). */
function morningRise(): number {
  const now = new Date();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 21, 25);
  return today <= now.getTime() ? today : today - 86_400_000;
}

beforeAll(async () => {
  world = await startFleetWorld({
    dataDir: mkdtempSync(join(tmpdir(), 'sluice-stopped-hosts-')), hosts: 40, factor: 100,
    // The morning's rise (05:25 at the fleet's UTC+8), whatever the hour the tests run: the fleet's
    // noise grows with its traffic fastest then, and the last batch (every host) is judged against
    // its own past alone. Runs at this hour once failed it on rpc.rt's roughness.
    start: morningRise(),
    initialVersion: '3.0.0',
    // Two versions with the same late crash, one per test, so each release starts from hosts that all report.
    badVersions: { '3.1.0': LATE, '3.2.0': LATE, '3.3.0': { latency: 1, errorRate: 0, cpu: 1, fatal: '', hangShare: 0.25 } },
  });
  client = releaseClient(world, (await createKey(world.service.store, 'deployer', ['operate'], 0)).key);
});
afterAll(async () => {
  await world?.close();
});

/**
 * Before this long after its deployment, a batch's evaluation cannot see the late crash: a stopped
 * host needs three silent one-minute points, and the third is due two minutes and a bit after the
 * crash. The fleet's clock runs 100 times faster than the wall's, so an evaluation that a busy
 * machine starts a second late reads minutes later: what it may see depends on when it ran, not
 * on which minute it was due.
 */
const CRASH_SEEN_FROM = (LATE.crashAfterMinutes! + 2) * 60_000;

const crashing = (hosts: readonly string[], version: string) =>
  hosts.filter((name) => crashes(world.fleet.hosts.find((h) => h.name === name)!, world.fleet.options.badVersions[version] as VersionEffect, world.fleet.options.seed));

/** Rolls a paused release back and waits for it, so that every host reports again. */
async function rollBack(id: string): Promise<void> {
  const action = await client.api('POST', `/v1/releases/${id}/actions`, { action: 'rollback', reason: 'test over' });
  expect(action.status, JSON.stringify(action.body)).toBeLessThan(300);
  const deadline = Date.now() + 60_000;
  while ((await client.api('GET', `/v1/releases/${id}`)).body.state !== 'rolled_back') {
    if (Date.now() > deadline) throw new Error(`release ${id} did not roll back`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('hosts that crash late in their window', () => {
  it('in the last batch: watched three minutes longer, the batch is INCONCLUSIVE naming them instead of passing', async () => {
    // One batch: every host released at once, so no later batch could see them.
    const view = await client.release(world.order({ id: 'rel-late-last', app: 'cart', version: '3.1.0', previousVersion: '3.0.0', batching: { by: 'datacenter', batches: 1 }, observationMinutes: 10 }), { untilPaused: true });
    expect(view.state, JSON.stringify(view.progress.transitions.map((t) => t.reason))).toBe('paused');
    const [only] = view.progress.batches;
    expect(only.state).toBe('inconclusive');
    // 10 minutes of window and 3 more (silentPoints), one evaluation a minute.
    expect(only.evaluations).toHaveLength(13);
    expect(only.observedUntil! - only.deployedAt!).toBe(13 * 60_000);
    try {
      // The evaluation at the window's own end (the 10th), made before the crash could show, passed; the last one sees it.
      const windowEnd = only.evaluations[9];
      if (windowEnd.at - only.deployedAt! < CRASH_SEEN_FROM) {
        const record = await world.service.store.getEvaluation(windowEnd.id);
        expect(windowEnd.decision, JSON.stringify((record?.verdict as { reasons?: string[] } | undefined)?.reasons)).toBe('PASS');
      }
      const crashed = crashing(only.hosts, '3.1.0');
      expect(crashed.length).toBeGreaterThan(0);
      const reason = only.verdict!.reasons.join('\n');
      expect(reason).toContain(`${crashed.length} of ${only.hosts.length} released hosts`);
      expect(reason).toContain('stopped reporting');
    } finally {
      await rollBack('rel-late-last');
    }
  }, 120_000);

  it('in an earlier batch: the next batch, which judges them again, is INCONCLUSIVE naming them', async () => {
    const view = await client.release(world.order({ id: 'rel-late-first', app: 'cart', version: '3.2.0', previousVersion: '3.0.0', observationMinutes: 10 }), { untilPaused: true });
    expect(view.state, JSON.stringify(view.progress.transitions.map((t) => t.reason))).toBe('paused');
    const [first, second] = view.progress.batches;
    try {
      const crashedFirst = crashing(first.hosts, '3.2.0');
      expect(crashedFirst.length).toBeGreaterThan(0);
      // Batch 1's window ends before its hosts have been silent for three minutes: judged on time it
      // passes and batch 2 names them; judged late, batch 1 may name them itself. Never a pass that misses them.
      if (first.evaluations.at(-1)!.at - first.deployedAt! < CRASH_SEEN_FROM) expect(first.state).toBe('passed');
      const naming = first.state === 'passed' ? second : first;
      expect(naming.state).toBe('inconclusive');
      const evaluation = await world.service.store.getEvaluation(naming.verdict!.evaluationId);
      const named = (evaluation!.verdict as { reasons: string[] }).reasons.join('\n');
      expect(named).toContain('stopped reporting');
      for (const host of crashedFirst.slice(0, 5)) expect(named).toContain(host);
    } finally {
      await rollBack('rel-late-first');
    }
  }, 120_000);
});

describe('hosts that hang', () => {
  it('keep reporting their last values: batch 1 is INCONCLUSIVE naming them as having stopped updating', async () => {
    const view = await client.release(world.order({ id: 'rel-hang', app: 'ump', version: '3.3.0', previousVersion: '3.0.0', observationMinutes: 10 }), { untilPaused: true });
    expect(view.state, JSON.stringify(view.progress.transitions.map((t) => t.reason))).toBe('paused');
    const [first] = view.progress.batches;
    expect(first.state).toBe('inconclusive');
    const hung = first.hosts.filter((name) => hangs(world.fleet.hosts.find((h) => h.name === name)!, world.fleet.options.badVersions['3.3.0'] as VersionEffect, world.fleet.options.seed));
    expect(hung.length).toBeGreaterThan(0);
    const evaluation = await world.service.store.getEvaluation(first.verdict!.evaluationId);
    const reasons = (evaluation!.verdict as { reasons: string[] }).reasons.join('\n');
    expect(reasons).toMatch(/released hosts \(.*\) stopped updating .* a hung process or a stale exporter/);
    for (const host of hung.slice(0, 5)) expect(reasons).toContain(host);
    // Hung, not silent: they still report.
    expect(reasons).not.toContain('stopped reporting');
    await rollBack('rel-hang');
  }, 120_000);
});
