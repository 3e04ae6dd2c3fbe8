/**
 * Orchestrator throughput: many releases driven at once by one orchestrator, each through its
 * preheat and every batch (deploy on the local-process fleet, observation, verdict), until all
 * succeed. Windows are one virtual minute on a clock running thousands of times faster than real
 * time and the judge answers PASS at once, so the row measures the orchestrator, the store and the
 * agent: releases per minute, batches per second, and the store's state writes per second (every
 * transition, command intent and result, and evaluation is one optimistic write of the record).
 * SQLite and PostgreSQL (skipped with the reason when it is not reachable), each with the
 * local-process fleet (a process and a durable journal per host and command) and with an
 * in-memory agent, which leaves the orchestrator's and the store's own cost.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { localFleet } from '../service/adapters/agent/local.js';
import { postgresStore } from '../service/adapters/store/postgres.js';
import { sqliteStore } from '../service/adapters/store/sqlite.js';
import { acceleratedClock } from '../service/clock/accelerated.js';
import { createRelease } from '../service/orchestrator/create.js';
import { createOrchestrator, isTerminal } from '../service/orchestrator/index.js';
import { releaseOrderSchema } from '../service/orchestrator/order.js';
import { MemoryAgent, MemoryP2P, scriptedJudge } from '../service/orchestrator/test/fakes.js';
import type { Agent } from '../service/ports/agent.js';
import { createCommandGate } from '../service/safety/index.js';
import type { Store } from '../service/ports/store.js';
import { checkPostgres, POSTGRES_URL } from '../service/test/servers.js';
import { report, type BenchOptions, type Row } from './lib/harness.js';

/** Counts the store's release writes (the orchestrator's state writes). */
function counting(store: Store): { store: Store; writes: () => number } {
  let writes = 0;
  const updateRelease: Store['updateRelease'] = async (...args) => {
    writes++;
    return store.updateRelease(...args);
  };
  return { store: new Proxy(store, { get: (target, name) => (name === 'updateRelease' ? updateRelease : Reflect.get(target, name, target)) }), writes: () => writes };
}

type Opener = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

async function drive(name: string, open: Opener, agentName: 'local' | 'memory', releases: number, batches: number, hostsPerBatch: number): Promise<Row> {
  const { store: raw, cleanup } = await open();
  const { store, writes } = counting(raw);
  const root = mkdtempSync(join(tmpdir(), 'sluice-orchestrator-bench-'));
  const hostsOf = (r: number) => Array.from({ length: batches * hostsPerBatch }, (_, h) => `r${r}-h${h}`);
  const agent: Agent = agentName === 'local' ? localFleet({ root, hosts: Array.from({ length: releases }, (_, r) => hostsOf(r)).flat(), parallelism: 64 }) : new MemoryAgent();
  const clock = acceleratedClock({ factor: 6000 });
  const orchestrator = createOrchestrator({
    store, agent, p2p: new MemoryP2P(), clock, judge: scriptedJudge([]), log: () => undefined,
    // Deploy and rollback are `true` on every host: the cost is the safety layer (whitelist,
    // interception, limits, two audit rows a command), the agent's process and journal, not the command.
    safety: createCommandGate({ agent, clock, audit: (entry) => store.appendAudit(entry), config: { commands: { deploy: { argv: ['true'] }, rollback: { argv: ['true'] } } } }),
    options: { pollMs: 60_000, scanMs: 60_000, retryDelayMs: 1000, leaseTtlMs: 600_000 },
  });
  const digest = `sha256:${'ef'.repeat(32)}`;
  for (let r = 0; r < releases; r++) {
    await createRelease(store, releaseOrderSchema.parse({
      id: `bench-${r}`, app: `app-${r}`, environment: 'staging', version: '2.0.0', previousVersion: '1.0.0',
      artifact: { url: 'https://artifacts.example/app.tgz', digest }, hosts: hostsOf(r).map((h, i) => ({ name: h, datacenter: `dc${i % 4}` })),
      batching: { by: 'count', size: hostsPerBatch }, pause: 'never', observationMinutes: 1,
      metrics: [{ name: 'errors', category: 'application', direction: 'up' }],
    }), clock.now());
  }
  const writesBefore = writes();
  const t0 = performance.now();
  await orchestrator.start();
  // start() leased every release; a runner leaves the list when its release is terminal. Polling
  // this list costs nothing, so the wait does not compete with the orchestrator for the store.
  while (orchestrator.driving().length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const seconds = (performance.now() - t0) / 1000;
  const terminal = (await Promise.all(Array.from({ length: releases }, async (_, r) => (await store.getRelease(`bench-${r}`))!.state))).filter(isTerminal).length;
  if (terminal !== releases) throw new Error(`only ${terminal} of ${releases} releases ended`);
  const succeeded = (await store.listReleases({ state: 'succeeded', limit: releases })).length;
  await orchestrator.stop();
  await agent.close();
  await cleanup();
  rmSync(root, { recursive: true, force: true });
  const stateWrites = writes() - writesBefore;
  return {
    store: name, agent: agentName, releases, batches, hosts: releases * batches * hostsPerBatch, succeeded, seconds,
    releasesPerMinute: (releases / seconds) * 60, batchesPerSecond: (releases * batches) / seconds,
    stateWrites, stateWritesPerSecond: stateWrites / seconds,
  };
}

export async function run(options: BenchOptions): Promise<void> {
  const [releases, batches, hostsPerBatch] = options.quick ? [10, 4, 2] : [100, 20, 2];
  const openers: Record<string, Opener> = {
    sqlite: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sluice-orchestrator-bench-db-'));
      const store = sqliteStore(join(dir, 'state.db'));
      await store.migrate();
      return { store, cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  };
  const check = await checkPostgres();
  if (!check.available) console.log(`SKIP postgres rows: ${check.reason}`);
  else {
    openers.postgres = async () => {
      const schema = `sluice_bench_${randomBytes(6).toString('hex')}`;
      const store = postgresStore({ connectionString: POSTGRES_URL, schema });
      await store.migrate();
      return {
        store,
        cleanup: async () => {
          await store.close();
          const client = new pg.Client({ connectionString: POSTGRES_URL });
          await client.connect();
          await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await client.end();
        },
      };
    };
  }
  const rows: Row[] = [];
  for (const agent of ['memory', 'local'] as const) {
    for (const [name, open] of Object.entries(openers)) {
      rows.push(await drive(name, open, agent, releases, batches, hostsPerBatch));
      console.log(`# ${name} with the ${agent} agent: ${rows.at(-1)!.seconds} s`);
    }
  }
  report('orchestrator: releases driven concurrently (1-minute windows at 6000×, instant PASS)', rows);
}
