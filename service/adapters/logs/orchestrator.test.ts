/**
 * The orchestrator's gate reads exception logs from the log ingest: a release whose hosts start
 * logging a fatal exception no host logged before fails on the logs alone (the metrics stay
 * healthy), and the same release without it succeeds.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GateCache } from '../../../src/gate/cache.js';
import { inThreadRunner } from '../../../src/gate/runner.js';
import { acceleratedClock } from '../../clock/accelerated.js';
import { judgeQuery } from '../../gate/judge.js';
import { createRelease } from '../../orchestrator/create.js';
import { createOrchestrator, type Judge, type Orchestrator } from '../../orchestrator/index.js';
import { releaseOrderSchema } from '../../orchestrator/order.js';
import type { ReleaseSpec } from '../../orchestrator/state.js';
import { MemoryAgent, MemoryP2P } from '../../orchestrator/test/fakes.js';
import type { Store } from '../../ports/store.js';
import { IngestStore } from '../metrics/ingest-store.js';
import { sqliteStore } from '../store/sqlite.js';
import { IngestLogs, type LogEvent } from './ingest-logs.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const digest = `sha256:${'cd'.repeat(32)}`;
const hosts = ['a1', 'a2', 'b1', 'b2', 'c1', 'c2'].map((name) => ({ name, datacenter: name[0] }));
const FATAL = 'java.lang.NoClassDefFoundError at cart.Checkout.<clinit>';
const ROUTINE = 'java.net.SocketTimeoutException at cart.Client.call';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

/**
 * A service-like rig: the real gate over an ingest with healthy metrics and a routine exception
 * on every host; `onJudge` lets the test play the hosts' logging before each evaluation.
 */
async function run(onJudge: (query: Parameters<Judge>[0], logs: IngestLogs) => void): Promise<{ state: string; spec: ReleaseSpec; store: Store; logs: IngestLogs }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-orch-logs-'));
  const store = sqliteStore(join(dir, 'state.db'));
  await store.migrate();
  const metrics = new IngestStore(join(dir, 'metrics.db'));
  const logs = new IngestLogs(join(dir, 'logs.db'));
  const clock = acceleratedClock({ factor: 1200 });
  const now = clock.now();
  const from = Math.floor(now / MINUTE) * MINUTE - 3 * HOUR;
  const points = [];
  const routine: LogEvent[] = [];
  for (const [h, host] of hosts.entries()) {
    for (let t = from; t < from + 12 * HOUR; t += MINUTE) {
      const i = (t - from) / MINUTE;
      points.push({ metric: 'latency', host: host.name, t, v: 100 + 3 * Math.sin(i / 7 + h) + ((i * 37 + h * 11) % 5) });
      if (i % 10 === h) routine.push({ host: host.name, at: t + 1_000, signature: ROUTINE, level: 'error' });
    }
  }
  metrics.write(points);
  logs.write(routine);
  const gate = inThreadRunner(new GateCache(100));
  const judge: Judge = (query, policy) => {
    onJudge(query, logs);
    return judgeQuery(query, policy, metrics, { store, gate, now: () => clock.now(), logs });
  };
  const orchestrator: Orchestrator = createOrchestrator({
    store, agent: new MemoryAgent(), p2p: new MemoryP2P(), judge, clock, log: () => undefined,
    options: { pollMs: 5000, scanMs: 5000, retryDelayMs: 1000, leaseTtlMs: 12_000_000 },
  });
  cleanup.push(() => store.close(), () => metrics.close(), () => logs.close(), () => orchestrator.stop());
  const order = releaseOrderSchema.parse({
    id: 'rel-logs', app: 'cart', environment: 'staging', version: '2.0.0', previousVersion: '1.9.0', pause: 'never',
    artifact: { url: 'https://artifacts.example/cart-2.0.0.tgz', digest }, hosts,
    batching: { by: 'datacenter', batches: 3 }, observationMinutes: 3, historyMinutes: 120,
    metrics: [{ name: 'latency', category: 'application', direction: 'up' }],
  });
  await createRelease(store, order, clock.now());
  await orchestrator.start();
  const until = Date.now() + 20_000;
  for (;;) {
    const record = await store.getRelease('rel-logs');
    if (record && ['succeeded', 'failed', 'rolled_back', 'paused'].includes(record.state)) return { state: record.state, spec: record.spec as ReleaseSpec, store, logs };
    if (Date.now() > until) throw new Error(`release stayed ${record?.state}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('orchestrator with the log ingest as its log source', () => {
  it('a new fatal exception on the released hosts fails batch 1 through the logs alone and rolls back', async () => {
    const { state, spec, store } = await run((query, logs) => {
      const events: LogEvent[] = [];
      for (const host of query.hosts.released) {
        for (let t = query.release.deployedAt + 1_000; t < query.until!; t += MINUTE) events.push({ host, at: t, signature: FATAL, level: 'fatal', count: 3 });
      }
      logs.write(events);
    });
    expect(state).toBe('rolled_back');
    expect(spec.progress.batches[0].state).toBe('rolled_back');
    const evaluation = await store.getEvaluation(spec.progress.batches[0].evaluations[0].id);
    const verdict = evaluation!.verdict as { decision: string; reasons: string[]; metrics: { name: string; anomalous: boolean }[]; logs: unknown };
    expect(verdict.decision).toBe('FAIL');
    expect(verdict.metrics.filter((m) => m.anomalous).map((m) => m.name)).toEqual([]);
    expect(verdict.reasons.join('\n')).toMatch(/^logs: /m);
    expect(JSON.stringify(verdict.logs)).toContain('NoClassDefFoundError');
    // The recorded input carries the logs the gate read: the routine exception before, the fatal one after.
    const input = evaluation!.input as { logs: { host: string; signature: string }[] };
    expect(input.logs.some((e) => e.signature === ROUTINE)).toBe(true);
    expect(input.logs.some((e) => e.signature === FATAL)).toBe(true);
  }, 30_000);

  it('the same release without the fatal exception succeeds', async () => {
    const { state, spec } = await run(() => undefined);
    expect(state).toBe('succeeded');
    expect(spec.progress.batches.map((b) => b.state)).toEqual(['passed', 'passed', 'passed']);
  }, 30_000);
});
