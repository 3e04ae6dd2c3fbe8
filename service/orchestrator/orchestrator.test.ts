import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteStore } from '../adapters/store/sqlite.js';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresStore } from '../adapters/store/postgres.js';
import { StoreConflictError, type Store } from '../ports/store.js';
import { checkPostgres, POSTGRES_URL, shouldRun } from '../test/servers.js';
import { acceleratedClock } from '../clock/accelerated.js';
import { createRelease } from './create.js';
import { createCommandGate } from '../safety/index.js';
import { ActionError, createOrchestrator, type CommandGuard, type Orchestrator } from './index.js';
import { releaseOrderSchema, type ReleaseOrderInput } from './order.js';
import type { Decision, ReleaseSpec } from './state.js';
import { MemoryAgent, MemoryP2P, scriptedJudge } from './test/fakes.js';
import { observedMinutes } from './runner.js';

const digest = `sha256:${'cd'.repeat(32)}`;
const hosts = ['a1', 'a2', 'a3', 'b1', 'b2', 'b3'].map((name) => ({ name, datacenter: name[0] }));
const order = (extra: Partial<ReleaseOrderInput> = {}) =>
  releaseOrderSchema.parse({
    id: 'rel-1', app: 'cart', environment: 'staging', version: '2.0.0', previousVersion: '1.9.0',
    artifact: { url: 'https://artifacts.example/cart-2.0.0.tgz', digest }, hosts,
    batching: { by: 'datacenter', batches: 3 }, observationMinutes: 2,
    metrics: [{ name: 'errors', category: 'application', direction: 'up' }], ...extra,
  });

interface Rig {
  store: Store;
  agent: MemoryAgent;
  p2p: MemoryP2P;
  judge: ReturnType<typeof scriptedJudge>;
  orchestrator: Orchestrator;
}
const rigs: Rig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) {
    await rig.orchestrator.stop();
    await rig.store.close();
  }
});

async function rig(script: Decision[] = [], store?: Store, agent = new MemoryAgent(), log: string[] = [], safety?: (store: Store) => CommandGuard): Promise<Rig> {
  const s = store ?? sqliteStore(join(mkdtempSync(join(tmpdir(), 'sluice-orch-')), 'state.db'));
  if (!store) await s.migrate();
  const p2p = new MemoryP2P();
  const judge = scriptedJudge(script);
  const orchestrator = createOrchestrator({
    store: s, agent, p2p, judge, clock: acceleratedClock({ factor: 1200 }), log: (line) => log.push(line), safety: safety?.(s),
    // A lease of ten real seconds: no handover between orchestrators within a test.
    options: { pollMs: 5000, scanMs: 5000, retryDelayMs: 1000, leaseTtlMs: 12_000_000 },
  });
  const r = { store: s, agent, p2p, judge, orchestrator };
  if (!store) rigs.push(r);
  return r;
}

async function waitFor(store: Store, id: string, states: string[], timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const record = await store.getRelease(id);
    if (record && states.includes(record.state)) return { ...record, spec: record.spec as ReleaseSpec };
    if (Date.now() > until) throw new Error(`release ${id} stayed ${record?.state}; wanted ${states.join('|')}: ${JSON.stringify((record?.spec as ReleaseSpec)?.progress?.transitions)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const path = (spec: ReleaseSpec) => spec.progress.transitions.map((t) => t.to);

describe('orchestrator (SQLite, in-memory agent and P2P, scripted judge)', () => {
  it('drives a good release through preheat and every batch to succeeded; each host deploys once', async () => {
    const { store, agent, p2p, judge, orchestrator } = await rig();
    await createRelease(store, order(), 0);
    await orchestrator.start();
    const done = await waitFor(store, 'rel-1', ['succeeded', 'failed', 'rolled_back', 'paused']);
    expect(done.state).toBe('succeeded');
    expect(path(done.spec)).toEqual(['preheating', 'deploying', 'observing', 'deploying', 'observing', 'deploying', 'observing', 'succeeded']);
    expect(done.spec.progress.batches.map((b) => b.state)).toEqual(['passed', 'passed', 'passed']);
    // Two minutes of window each; the last batch is watched `silentPoints` = 3 minutes longer
    // (no later batch will see its hosts stop reporting).
    done.spec.progress.batches.forEach((b, i) => {
      const minutes = i === 2 ? 5 : 2;
      expect(b.evaluations).toHaveLength(minutes);
      expect(b.verdict).toMatchObject({ decision: 'PASS', evaluationId: b.evaluations[minutes - 1].id });
      expect(b.observedUntil! - b.deployedAt!).toBe(minutes * 60_000);
    });
    expect([...p2p.jobs.keys()]).toEqual(['rel-1:preheat']);
    for (const h of hosts) {
      const k = done.spec.progress.batches.findIndex((b) => b.hosts.includes(h.name)) + 1;
      expect(agent.keys(h.name)).toEqual([`rel-1:b${k}:deploy`]);
      expect(agent.log.get(h.name)![0].argv).toEqual(['deploy', 'cart', '2.0.0', digest]);
    }
    // Batch 2 is judged with batches 1–2 released and batch 3 as control, each minute of its window.
    const b2 = judge.calls.filter((c) => c.batch === 2);
    expect(b2).toHaveLength(2);
    expect(new Set(b2[0].released)).toEqual(new Set([...done.spec.progress.batches[0].hosts, ...done.spec.progress.batches[1].hosts]));
    expect(b2[0].unreleased).toEqual(done.spec.progress.batches[2].hosts);
    expect(b2[1].until - b2[0].until).toBe(60_000);
    expect(done.spec.journal.commands.every((c) => c.result !== undefined)).toBe(true);
  });

  it('rolls back every released host when batch 2 fails, and skips batch 3', async () => {
    const { store, agent, orchestrator } = await rig(['PASS', 'FAIL']);
    await createRelease(store, order(), 0);
    await orchestrator.start();
    const done = await waitFor(store, 'rel-1', ['rolled_back', 'failed', 'succeeded', 'paused']);
    expect(done.state).toBe('rolled_back');
    expect(path(done.spec).slice(-2)).toEqual(['rolling_back', 'rolled_back']);
    expect(done.spec.progress.transitions.at(-2)!.reason).toMatch(/batch 2 FAIL/);
    expect(done.spec.progress.batches.map((b) => b.state)).toEqual(['rolled_back', 'rolled_back', 'skipped']);
    const [b1, b2, b3] = done.spec.progress.batches;
    expect(b2.evaluations).toHaveLength(1); // FAIL decides at the first evaluation
    for (const h of [...b1.hosts, ...b2.hosts]) expect(agent.keys(h)).toEqual([`rel-1:b${b1.hosts.includes(h) ? 1 : 2}:deploy`, 'rel-1:rollback']);
    for (const h of b3.hosts) expect(agent.keys(h)).toEqual([]);
    expect(agent.log.get(b1.hosts[0])![1].argv).toEqual(['rollback', 'cart', '1.9.0']);
  });

  it('pauses on INCONCLUSIVE with the reason and continues with the next batch on approve', async () => {
    const { store, orchestrator } = await rig(['INCONCLUSIVE']);
    await createRelease(store, order(), 0);
    await orchestrator.start();
    const paused = await waitFor(store, 'rel-1', ['paused', 'succeeded']);
    expect(paused.state).toBe('paused');
    expect(paused.spec.progress.pausedReason).toMatch(/batch 1 INCONCLUSIVE.*scripted INCONCLUSIVE/);
    expect(paused.spec.progress.batches[0]).toMatchObject({ state: 'inconclusive', verdict: { decision: 'INCONCLUSIVE' } });
    // Only the window's last evaluation pauses: the first minute's INCONCLUSIVE kept observing.
    expect(paused.spec.progress.batches[0].evaluations.map((e) => e.decision)).toEqual(['INCONCLUSIVE', 'INCONCLUSIVE']);
    await expect(orchestrator.act('rel-1', 'pause', 'key-1')).rejects.toThrow(/is paused/);
    const approved = await orchestrator.act('rel-1', 'approve', 'key-1', 'looked at the dashboards');
    expect(approved.state).toBe('deploying');
    const done = await waitFor(store, 'rel-1', ['succeeded']);
    expect(done.spec.progress.transitions.find((t) => t.by === 'key-1')).toMatchObject({ from: 'paused', to: 'deploying', reason: 'looked at the dashboards' });
    expect(done.spec.progress.pausedReason).toBeNull();
  });

  it('pauses after the first batch in production (its default) until approved', async () => {
    const { store, orchestrator } = await rig();
    await createRelease(store, order({ environment: 'production' }), 0);
    await orchestrator.start();
    const paused = await waitFor(store, 'rel-1', ['paused', 'succeeded']);
    expect(paused.state).toBe('paused');
    expect(paused.spec.order.pause).toBe('after-first');
    expect(paused.spec.progress.pausedReason).toMatch(/pause strategy after-first/);
    expect(paused.spec.progress.batches.map((b) => b.state)).toEqual(['passed', 'pending', 'pending']);
    await orchestrator.act('rel-1', 'resume', 'key-2');
    expect((await waitFor(store, 'rel-1', ['succeeded'])).state).toBe('succeeded');
  });

  it('operators pause and resume observation, roll back by hand, and abort; refused actions name the state', async () => {
    const { store, agent, orchestrator } = await rig();
    await createRelease(store, order({ observationMinutes: 30 }), 0);
    await orchestrator.start();
    await waitFor(store, 'rel-1', ['observing']);
    const paused = await orchestrator.act('rel-1', 'pause', 'key-1', 'checking something');
    expect(paused.state).toBe('paused');
    await new Promise((r) => setTimeout(r, 100)); // several poll periods: nothing moves while paused
    expect((await store.getRelease('rel-1'))!.state).toBe('paused');
    expect((await orchestrator.act('rel-1', 'resume', 'key-1')).state).toBe('observing');
    const rolled = await orchestrator.act('rel-1', 'rollback', 'key-1', 'customer complaints');
    expect(rolled.state).toBe('rolling_back');
    const done = await waitFor(store, 'rel-1', ['rolled_back']);
    const b1 = done.spec.progress.batches[0].hosts;
    for (const h of b1) expect(agent.keys(h)).toEqual(['rel-1:b1:deploy', 'rel-1:rollback']);
    await expect(orchestrator.act('rel-1', 'abort', 'key-1')).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('rolled_back') });
    await expect(orchestrator.act('nope', 'abort', 'key-1')).rejects.toBeInstanceOf(ActionError);

    await createRelease(store, order({ id: 'rel-2', observationMinutes: 30 }), 0);
    orchestrator.notify();
    await waitFor(store, 'rel-2', ['observing']);
    const aborted = await orchestrator.act('rel-2', 'abort', 'key-3', 'wrong version');
    expect(aborted.state).toBe('aborted');
    expect((aborted.spec as ReleaseSpec).progress.batches.map((b) => b.state)).toEqual(['observing', 'skipped', 'skipped']);
  });

  it('records the result of a command that was in flight when a person paused, and goes on from it on resume', async () => {
    const agent = new MemoryAgent();
    agent.delayMs = 300;
    const { store, orchestrator } = await rig([], undefined, agent);
    await createRelease(store, order({ observationMinutes: 1 }), 0);
    await orchestrator.start();
    await waitFor(store, 'rel-1', ['deploying']);
    await new Promise((r) => setTimeout(r, 50));
    expect((await orchestrator.act('rel-1', 'pause', 'key-1', 'hold on')).state).toBe('paused');
    const until = Date.now() + 5000;
    let spec = (await store.getRelease('rel-1'))!.spec as ReleaseSpec;
    while (!spec.journal.commands.find((c) => c.key === 'rel-1:b1:deploy')?.result && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 10));
      spec = (await store.getRelease('rel-1'))!.spec as ReleaseSpec;
    }
    expect((await store.getRelease('rel-1'))!.state).toBe('paused');
    expect(spec.journal.commands.find((c) => c.key === 'rel-1:b1:deploy')?.result?.ok).toHaveLength(2);
    expect(spec.progress.batches[0].state).toBe('deploying');
    await orchestrator.act('rel-1', 'resume', 'key-1');
    const done = await waitFor(store, 'rel-1', ['succeeded', 'paused']);
    expect(done.state).toBe('succeeded');
    for (const h of done.spec.progress.batches[0].hosts) expect(agent.keys(h)).toEqual(['rel-1:b1:deploy']);
  });

  it('retries hosts that failed, tolerates failures within the policy, and pauses beyond it', async () => {
    const agent = new MemoryAgent();
    // a1 fails once (the retry succeeds); b1 always fails.
    agent.failing = (key, host) => (host === 'a1' && key.endsWith(':deploy')) || host === 'b1';
    const { store, orchestrator } = await rig([], undefined, agent);
    await createRelease(store, order({ agentFailures: { retries: 2, tolerateFailedHosts: 1 } }), 0);
    await orchestrator.start();
    const done = await waitFor(store, 'rel-1', ['succeeded', 'paused']);
    expect(done.state).toBe('succeeded');
    expect(done.spec.progress.failedHosts).toEqual(['b1']);
    const batchOf = (h: string) => done.spec.progress.batches.findIndex((b) => b.hosts.includes(h)) + 1;
    expect(agent.keys('a1')).toEqual([`rel-1:b${batchOf('a1')}:deploy`, `rel-1:b${batchOf('a1')}:deploy:r1`]);
    expect(agent.keys('b1')).toEqual([0, 1, 2].map((n) => `rel-1:b${batchOf('b1')}:deploy${n ? `:r${n}` : ''}`));

    const strict = await rig([], undefined, agent);
    await createRelease(strict.store, order({ id: 'rel-9', agentFailures: { retries: 1, tolerateFailedHosts: 0, onExceed: 'pause' } }), 0);
    await strict.orchestrator.start();
    const paused = await waitFor(strict.store, 'rel-9', ['paused', 'succeeded']);
    expect(paused.state).toBe('paused');
    expect(paused.spec.progress.pausedReason).toMatch(/1 hosts failed to deploy \(b1: failed \(exit 1\): disk full\); 0 tolerated/);
    await strict.orchestrator.act('rel-9', 'approve', 'key-1', 'b1 is being replaced');
    expect((await waitFor(strict.store, 'rel-9', ['succeeded', 'paused'])).state).toBe('succeeded');
  });

  it('sends commands through the safety layer: whitelisted ones run resolved and audited, a refused one pauses the release without retries', async () => {
    const agent = new MemoryAgent();
    const gate = (store: Store) => createCommandGate({ agent, audit: (e) => store.appendAudit(e), config: { commands: { deploy: { argv: ['/opt/bin/deploy', '{args}'] }, rollback: { argv: ['/opt/bin/rollback', '{args}'] } } } });
    const { store, orchestrator } = await rig([], undefined, agent, [], gate);
    await createRelease(store, order({ observationMinutes: 1 }), 0);
    await createRelease(store, order({ id: 'rel-2', app: 'other', commands: { deploy: { command: 'upgrade', args: ['{version}'] } } }), 0);
    await orchestrator.start();
    expect((await waitFor(store, 'rel-1', ['succeeded', 'paused'])).state).toBe('succeeded');
    expect(agent.log.get('a1')![0].argv).toEqual(['/opt/bin/deploy', 'cart', '2.0.0', digest]);
    const refused = await waitFor(store, 'rel-2', ['paused', 'succeeded']);
    expect(refused.spec.progress.pausedReason).toMatch(/refused \(unknown_command\): unknown command "upgrade"/);
    expect(refused.spec.journal.commands.filter((c) => c.kind === 'deploy')).toHaveLength(1);
    const audit = await store.listAudit({ limit: 1000 });
    expect(audit.filter((a) => a.action === 'command.run' && a.target === 'rel-1:b1:deploy').map((a) => a.result)).toEqual(['ok']);
    expect(audit.filter((a) => a.action === 'command.run' && a.target === 'rel-2:b1:deploy').map((a) => a.result)).toEqual(['denied']);
  });

  it('rolls back when failures exceed the policy and it says rollback', async () => {
    const agent = new MemoryAgent();
    agent.failing = (key, host) => host === 'a2' && key.includes(':deploy');
    const { store, orchestrator } = await rig([], undefined, agent);
    await createRelease(store, order({ environment: 'test', agentFailures: { retries: 0, tolerateFailedHosts: 0, onExceed: 'rollback' } }), 0);
    await orchestrator.start();
    const done = await waitFor(store, 'rel-1', ['rolled_back', 'succeeded', 'paused']);
    expect(done.state).toBe('rolled_back');
    expect(path(done.spec)).toEqual(['preheating', 'deploying', 'observing', 'deploying', 'rolling_back', 'rolled_back']);
    expect(agent.keys('a2')).toEqual(['rel-1:b2:deploy', 'rel-1:rollback']);
    expect(agent.keys('a1')).toEqual(['rel-1:b1:deploy', 'rel-1:rollback']);
    expect(agent.keys('a3')).toEqual([]);
  });

  it('starts a scheduled release at its time, not before', async () => {
    const { store, orchestrator } = await rig();
    const clock = acceleratedClock({ factor: 1200 });
    const at = clock.now() + 10 * 60_000; // ten virtual minutes: half a real second
    await createRelease(store, order({ scheduledAt: at, observationMinutes: 1 }), 0);
    await orchestrator.start();
    await new Promise((r) => setTimeout(r, 200));
    expect((await store.getRelease('rel-1'))!.state).toBe('planned');
    const done = await waitFor(store, 'rel-1', ['succeeded']);
    expect(done.spec.progress.transitions[0]).toMatchObject({ from: 'planned', to: 'preheating', reason: 'scheduled start' });
    expect(done.spec.progress.transitions[0].at).toBeGreaterThanOrEqual(at);
  });

  it('pauses when the preheat fails and retries it under a new key on resume', async () => {
    const { store, p2p, orchestrator } = await rig();
    p2p.failHosts = ['b2'];
    await createRelease(store, order({ observationMinutes: 1 }), 0);
    await orchestrator.start();
    const paused = await waitFor(store, 'rel-1', ['paused', 'deploying', 'succeeded']);
    expect(paused.state).toBe('paused');
    expect(paused.spec.progress.pausedReason).toMatch(/preheat failed on 1 of 6 hosts/);
    p2p.failHosts = [];
    await orchestrator.act('rel-1', 'resume', 'key-1', 'b2 has disk space again');
    expect((await waitFor(store, 'rel-1', ['succeeded', 'paused'])).state).toBe('succeeded');
    expect([...p2p.jobs.keys()]).toEqual(['rel-1:preheat', 'rel-1:preheat:r1']);
  });

  it('asks the P2P system again under the same key when it fails, and pauses when it keeps failing', async () => {
    const { store, p2p, orchestrator } = await rig();
    let failures = 5;
    const preheat = p2p.preheat.bind(p2p);
    p2p.preheat = async (...args) => {
      if (failures-- > 0) throw new Error('manager unreachable');
      return preheat(...args);
    };
    await createRelease(store, order({ observationMinutes: 1 }), 0);
    await orchestrator.start();
    const paused = await waitFor(store, 'rel-1', ['paused', 'succeeded']);
    expect(paused.spec.progress.pausedReason).toBe('memory P2P failed 3 times in a row: manager unreachable');
    await orchestrator.act('rel-1', 'resume', 'key-1');
    const again = await waitFor(store, 'rel-1', ['paused', 'succeeded']); // two more failures, then it works
    expect(again.state).toBe('succeeded');
    expect([...p2p.jobs.keys()]).toEqual(['rel-1:preheat']);
  });

  it('keeps one active release per app and environment', async () => {
    const { store, orchestrator } = await rig();
    await createRelease(store, order({ observationMinutes: 1 }), 0);
    await expect(createRelease(store, order({ id: 'rel-2' }), 0)).rejects.toBeInstanceOf(StoreConflictError);
    await createRelease(store, order({ id: 'rel-3', environment: 'test' }), 0);
    await orchestrator.start();
    await waitFor(store, 'rel-1', ['succeeded']);
    await createRelease(store, order({ id: 'rel-2' }), 0); // the first one is over
  });

  it('two orchestrators on one store never drive the same release: every host runs each key once', async () => {
    const first = await rig();
    const agent = first.agent;
    const second = await rig([], first.store, agent);
    for (let i = 0; i < 4; i++) await createRelease(first.store, order({ id: `rel-${i}`, app: `app-${i}` }), 0);
    await Promise.all([first.orchestrator.start(), second.orchestrator.start()]);
    for (let i = 0; i < 4; i++) expect((await waitFor(first.store, `rel-${i}`, ['succeeded'])).state).toBe('succeeded');
    await second.orchestrator.stop();
    for (const h of hosts) {
      const keys = agent.keys(h.name);
      expect(keys).toHaveLength(4);
      expect(new Set(keys).size).toBe(4);
    }
  });
});

const pgCheck = await checkPostgres();
describe.runIf(shouldRun('orchestrator on PostgreSQL', pgCheck))('orchestrator on PostgreSQL', () => {
  const schema = `sluice_orch_${randomBytes(6).toString('hex')}`;
  it('two orchestrators share the releases of one database, each release driven by one of them', async () => {
    const stores = [postgresStore({ connectionString: POSTGRES_URL, schema }), postgresStore({ connectionString: POSTGRES_URL, schema })];
    await stores[0].migrate();
    const agent = new MemoryAgent();
    const logs: [string[], string[]] = [[], []];
    const [a, b] = [await rig([], stores[0], agent, logs[0]), await rig(['PASS', 'FAIL'], stores[1], agent, logs[1])];
    try {
      for (let i = 0; i < 6; i++) await createRelease(stores[0], order({ id: `rel-${i}`, app: `app-${i}` }), 0);
      await Promise.all([a.orchestrator.start(), b.orchestrator.start()]);
      const ends = [];
      for (let i = 0; i < 6; i++) ends.push((await waitFor(stores[0], `rel-${i}`, ['succeeded', 'rolled_back'], 20_000)).state);
      // Each release was driven by exactly one of them: a's judge passes everything, b's fails batch 2.
      const drove = logs.map((lines) => new Set(lines.flatMap((l) => /driving release (\S+)/.exec(l)?.[1] ?? [])));
      for (let i = 0; i < 6; i++) {
        const byA = drove[0].has(`rel-${i}`);
        expect([byA, drove[1].has(`rel-${i}`)], `rel-${i} driven by exactly one`).toContain(false);
        expect(byA !== drove[1].has(`rel-${i}`), `rel-${i} driven by one`).toBe(true);
        expect(ends[i]).toBe(byA ? 'succeeded' : 'rolled_back');
      }
      for (const h of hosts) {
        const keys = agent.keys(h.name);
        expect(new Set(keys).size).toBe(keys.length);
      }
    } finally {
      await a.orchestrator.stop();
      await b.orchestrator.stop();
      for (const s of stores) await s.close();
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  }, 60_000);
});

describe('observedMinutes(spec, batch)', () => {
  const spec = (policy?: Record<string, unknown>) => {
    const parsed = releaseOrderSchema.parse({ ...order(), observationMinutes: 10, ...(policy ? { policy } : {}) });
    return { order: parsed, progress: { batches: [1, 2, 3].map((batch) => ({ batch })) } } as unknown as Pick<ReleaseSpec, 'order' | 'progress'>;
  };

  it('is the order\'s window, and for the last batch `silentPoints` minutes more', () => {
    expect([1, 2, 3].map((k) => observedMinutes(spec(), k))).toEqual([10, 10, 13]);
    expect(observedMinutes(spec({ minData: { silentPoints: 5 } }), 3)).toBe(15);
    expect(observedMinutes(spec({ minData: { silentPoints: 1 } }), 3)).toBe(11);
  });

  it('falls back to the default policy when the order\'s is one the gate refuses', () => {
    expect(observedMinutes(spec({ minData: { silentPoints: -2 } }), 3)).toBe(13);
  });
});
