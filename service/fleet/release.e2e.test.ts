/**
 * End to end, with nothing scripted: releases go in through the HTTP API, the orchestrator
 * preheats through the local P2P, deploys and rolls back through the whitelisted commands of the
 * local agent (processes rewriting each host's version file), and the real gate judges every
 * batch from the metrics and logs the simulated fleet reports — degraded only on hosts where a
 * command actually put the bad version.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../auth/api-keys.js';
import { crashes, type VersionEffect } from './model.js';
import { releaseClient, type ReleaseClient } from './api-client.js';
import { startFleetWorld, type FleetWorld } from './world.js';

let world: FleetWorld;
let client: ReleaseClient;

beforeAll(async () => {
  world = await startFleetWorld({
    dataDir: mkdtempSync(join(tmpdir(), 'sluice-e2e-')), hosts: 80, factor: 300,
    initialVersion: '2.4.0',
    badVersions: {
      '2.5.0': { latency: 1.4, errorRate: 2.5 },
      // Healthy while it runs, but a quarter of the hosts it reaches crash and report nothing.
      '2.6.0': { latency: 1, errorRate: 0, cpu: 1, fatal: '', crashShare: 0.25 },
    },
  });
  client = releaseClient(world, (await createKey(world.service.store, 'deployer', ['operate'], 0)).key);
});
afterAll(async () => {
  await world?.close();
});

/** Polls `read` (real time, every 10 ms) until `done` holds or `timeoutMs` passes; returns the last value read. */
async function eventually<T>(read: () => T, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('a release on the simulated fleet, judged by the real gate', () => {
  it('a good version goes out batch by batch, every batch passes, every host runs it', async () => {
    const view = await client.release(world.order({ id: 'rel-good', app: 'buy2', version: '2.4.1', previousVersion: '2.4.0' }));
    expect(view.state).toBe('succeeded');
    expect(view.progress.batches).toHaveLength(4);
    for (const [i, batch] of view.progress.batches.entries()) {
      expect(batch.state).toBe('passed');
      expect(batch.verdict?.decision).toBe('PASS');
      // The verdict is a recorded evaluation of this release's batch, not a scripted answer.
      const evaluation = await world.service.store.getEvaluation(batch.verdict!.evaluationId);
      expect(evaluation).toMatchObject({ releaseId: 'rel-good', batch: batch.batch, decision: 'PASS' });
      // Five minutes of window; the last batch three more (see observedMinutes).
      expect(batch.evaluations.length).toBe(i === 3 ? 8 : 5);
    }
    for (const host of world.fleet.hosts) expect(world.fleet.versionOnDisk(host.name)).toBe('2.4.1');
    expect(view.progress.transitions.map((t) => t.to)).toEqual(['preheating', 'deploying', 'observing', 'deploying', 'observing', 'deploying', 'observing', 'deploying', 'observing', 'succeeded']);
  }, 120_000);

  it('a bad version is caught in the first batch and rolled back: every released host runs the previous version again', async () => {
    const view = await client.release(world.order({ id: 'rel-bad', app: 'buy2', version: '2.5.0', previousVersion: '2.4.1' }));
    expect(view.state).toBe('rolled_back');
    const [first, ...rest] = view.progress.batches;
    expect(first.verdict?.decision).toBe('FAIL');
    expect(first.state).toBe('rolled_back');
    expect(rest.every((b) => b.state === 'skipped')).toBe(true);
    const evaluation = await world.service.store.getEvaluation(first.verdict!.evaluationId);
    expect(evaluation?.decision).toBe('FAIL');
    // Caught by what the bad version does: its new fatal exception (at once) or its latency and errors.
    const verdict = evaluation!.verdict as { metrics: { name: string; anomalous: boolean }[]; logs?: { anomalous?: boolean } | null };
    const flagged = verdict.metrics.filter((m) => m.anomalous).map((m) => m.name);
    if (verdict.logs?.anomalous) expect(JSON.stringify(verdict.logs)).toContain('NullPointerException');
    else expect(flagged.filter((name) => name === 'rpc.rt' || name === 'app.error_rate').length).toBeGreaterThan(0);

    for (const host of first.hosts) {
      expect(world.fleet.versionOnDisk(host)).toBe('2.4.1');
      // The fleet saw the bad version arrive and leave (it reads version files on its next tick,
      // so the rollback's file may be newer than what it has seen); the agent ran each command once.
      const seen = await eventually(() => world.fleet.history(host).map((c) => c.version), (versions) => versions.length >= 3);
      expect(seen).toEqual(['2.4.1', '2.5.0', '2.4.1']);
      const log = await world.agent.commandLog(host);
      expect(log.filter((e) => e.key.startsWith('rel-bad:') && e.status === 'ok').map((e) => `${e.argv[3]} ${e.argv[5]}`)).toEqual(['deploy 2.5.0', 'rollback 2.4.1']);
    }
    for (const host of rest.flatMap((b) => b.hosts)) {
      expect(world.fleet.versionOnDisk(host)).toBe('2.4.1');
      expect(world.fleet.history(host).map((c) => c.version)).not.toContain('2.5.0');
    }
  }, 120_000);

  it('a version that crashes some of its hosts is not passed: they stop reporting, batch 1 is INCONCLUSIVE naming them, and the release waits for a person', async () => {
    const view = await client.release(world.order({ id: 'rel-crash', app: 'buy2', version: '2.6.0', previousVersion: '2.4.1' }), { untilPaused: true });
    expect(view.state).toBe('paused');
    const [first, ...rest] = view.progress.batches;
    expect(first.state).toBe('inconclusive');
    expect(first.verdict?.decision).toBe('INCONCLUSIVE');
    expect(rest.every((b) => b.state === 'pending')).toBe(true);
    // The hosts the fleet crashed, and only they, are named; the ones still running report as before.
    const crashed = first.hosts.filter((name) => crashes(world.fleet.hosts.find((h) => h.name === name)!, world.fleet.options.badVersions['2.6.0'] as VersionEffect, world.fleet.options.seed));
    expect(crashed.length).toBeGreaterThan(0);
    expect(crashed.length).toBeLessThan(first.hosts.length);
    const reason = first.verdict!.reasons.join('\n');
    expect(reason).toContain(`${crashed.length} of ${first.hosts.length} released hosts`);
    expect(reason).toContain('stopped reporting');
    const evaluation = await world.service.store.getEvaluation(first.verdict!.evaluationId);
    const named = (evaluation!.verdict as { reasons: string[] }).reasons.join('\n');
    for (const host of crashed.slice(0, 5)) expect(named).toContain(host);
    expect(view.progress.pausedReason).toContain('INCONCLUSIVE');
  }, 120_000);
});
