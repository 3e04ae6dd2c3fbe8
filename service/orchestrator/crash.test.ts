/**
 * SIGKILL the service in each state of a release, start it again, and check the release ends as
 * it should with every host's command log holding each key exactly once (the local fleet's
 * durable journal counts real executions).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { localFleet } from '../adapters/agent/local.js';
import { sqliteStore } from '../adapters/store/sqlite.js';
import { systemClock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import { createRelease } from './create.js';
import { createOrchestrator } from './index.js';
import { releaseOrderSchema } from './order.js';
import type { ReleaseSpec } from './state.js';
import { MemoryAgent, MemoryP2P, scriptedJudge } from './test/fakes.js';

const entry = join(dirname(fileURLToPath(import.meta.url)), 'test', 'crash-service.ts');
const hosts = ['dc1-a', 'dc1-b', 'dc2-a', 'dc2-b', 'dc3-a', 'dc3-b'];
const FACTOR = 600;

interface Scenario {
  killIn: 'preheating' | 'deploying' | 'observing' | 'paused' | 'rolling_back';
  judge: string;
  environment: 'staging' | 'production';
  expected: 'succeeded' | 'rolled_back';
}

function spawnService(dir: string, scenario: Scenario, anchor: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SLUICE_TEST_DATA: join(dir, 'data'), SLUICE_TEST_FLEET: join(dir, 'fleet'), SLUICE_TEST_HOSTS: hosts.join(','), SLUICE_TEST_JUDGE: scenario.judge, SLUICE_TEST_CLOCK: `${FACTOR}:${anchor}`, SLUICE_TEST_COMMAND_MS: '300' },
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start: ${output}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/listening on http/.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code}: ${output}`));
    });
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.removeAllListeners('exit');
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function waitFor(store: Store, id: string, states: string[], timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const record = await store.getRelease(id);
    if (record && states.includes(record.state)) return { ...record, spec: record.spec as ReleaseSpec };
    if (Date.now() > until) throw new Error(`release ${id} is ${record?.state}; waited for ${states.join('|')}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const scenarios: Scenario[] = [
  { killIn: 'preheating', judge: 'script:PASS', environment: 'staging', expected: 'succeeded' },
  { killIn: 'deploying', judge: 'script:PASS', environment: 'staging', expected: 'succeeded' },
  { killIn: 'observing', judge: 'script:PASS', environment: 'staging', expected: 'succeeded' },
  { killIn: 'paused', judge: 'script:PASS', environment: 'production', expected: 'succeeded' },
  { killIn: 'rolling_back', judge: 'script:PASS,FAIL', environment: 'staging', expected: 'rolled_back' },
];

describe('crash-resume: SIGKILL the service in each state, restart, every command exactly once', () => {
  for (const scenario of scenarios) {
    it(`killed while ${scenario.killIn}, it ends ${scenario.expected}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `sluice-crash-${scenario.killIn}-`));
      mkdirSync(join(dir, 'data'));
      const artifact = join(dir, 'app-2.0.0.tgz');
      writeFileSync(artifact, 'the new version');
      const digest = `sha256:${createHash('sha256').update('the new version').digest('hex')}`;
      const store = sqliteStore(join(dir, 'data', 'state.db'));
      await store.migrate();
      const id = `rel-crash-${scenario.killIn}`;
      await createRelease(store, releaseOrderSchema.parse({
        id, app: 'cart', environment: scenario.environment, version: '2.0.0', previousVersion: '1.0.0',
        artifact: { url: pathToFileURL(artifact).href, digest }, hosts: hosts.map((name) => ({ name, datacenter: name.slice(0, 3) })),
        batching: { by: 'datacenter', batches: 3 }, observationMinutes: 3, metrics: [{ name: 'errors', category: 'application', direction: 'up' }],
      }), Date.now());
      const anchor = Date.now();
      let child = await spawnService(dir, scenario, anchor);
      try {
        await waitFor(store, id, [scenario.killIn]);
        // Let it get going inside the state (a command in flight, an evaluation or two) before the kill.
        await new Promise((r) => setTimeout(r, scenario.killIn === 'paused' ? 50 : 80));
        await kill(child);
        const atKill = (await store.getRelease(id))!;
        expect(atKill.state, 'the kill landed in the state under test').toBe(scenario.killIn);
        child = await spawnService(dir, scenario, anchor);
        if (scenario.killIn === 'paused') {
          // A person approves through the store, as the API would; the restarted process continues.
          const paused = await waitFor(store, id, ['paused']);
          expect(paused.spec.progress.pausedReason).toMatch(/after-first/);
          const operator = createOrchestrator({ store, agent: new MemoryAgent(), p2p: new MemoryP2P(), clock: systemClock, judge: scriptedJudge([]), log: () => undefined });
          await operator.act(id, 'approve', 'key-test', 'after the restart');
        }
        const done = await waitFor(store, id, ['succeeded', 'rolled_back', 'failed', 'aborted']);
        expect(done.state, `killed in ${atKill.state}: ${JSON.stringify(done.spec.progress.transitions.map((t) => t.to))}`).toBe(scenario.expected);
        const fleet = localFleet({ root: join(dir, 'fleet'), hosts });
        const batchOf = (h: string) => done.spec.progress.batches.findIndex((b) => b.hosts.includes(h)) + 1;
        const pings = new Map((await fleet.ping(hosts, 5000)).map((p) => [p.host, p.info?.deployedVersion]));
        const journal = done.spec.journal.commands;
        for (const host of hosts) {
          // Each key at most once on each host. A run the kill interrupted is logged once, as
          // failed (its exit status died with the service), and not run again: the host's version
          // says it did its work. Only a run the kill caught before it started (the agent says it
          // may not have run, and the version is the old one) is retried, under a new key.
          const log = (await fleet.commandLog(host)).map((e) => e.key);
          expect(new Set(log).size, `${host}: ${log.join(' ')}`).toBe(log.length);
          const k = batchOf(host);
          const expected = scenario.expected === 'succeeded' ? [`${id}:b${k}:deploy`] : k <= 2 ? [`${id}:b${k}:deploy`, `${id}:rollback`] : [];
          const retried = log.filter((key) => /:r\d+$/.test(key));
          expect(log.filter((key) => !retried.includes(key)), `${host} (batch ${k})`).toEqual(expected);
          for (const key of retried) {
            const before = journal.find((c) => c.key === key.replace(/:r1$/, ''));
            expect(before?.result?.failed[host], `${key} follows an interrupted first run`).toMatch(/interrupted/);
          }
          expect(pings.get(host), `${host} version`).toBe(scenario.expected === 'succeeded' ? '2.0.0' : k <= 2 ? '1.0.0' : undefined);
        }
        expect(journal.at(-1)?.result && Object.keys(journal.at(-1)!.result!.failed)).toEqual([]);
        expect(done.spec.journal.commands.filter((c) => c.kind === 'preheat')).toHaveLength(1);
      } finally {
        await kill(child);
        await store.close();
      }
    }, 120_000);
  }
});
