/**
 * The composition root: the one place that chooses implementations for the ports (store,
 * metric source) from configuration and wires the HTTP routes over them.
 */
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { SluiceError } from '../src/core/errors.js';
import { retrying } from '../src/sources/retrying.js';
import { cachingHistory, cachingLogs } from '../src/sources/history-cache.js';
import type { LogSource } from '../src/sources/log-source.js';
import type { MetricSource } from '../src/sources/metric-source.js';
import { InfluxSource } from './adapters/metrics/influxdb.js';
import { IngestStore } from './adapters/metrics/ingest-store.js';
import { IngestLogs } from './adapters/logs/ingest-logs.js';
import { retentionConfigSchema, startRetention, type RetentionTimer } from './retention.js';
import { logRoutes } from './http/routes/logs.js';
import { PrometheusSource, prometheusOptionsSchema } from './adapters/metrics/prometheus.js';
import { postgresStore } from './adapters/store/postgres.js';
import { sqliteStore } from './adapters/store/sqlite.js';
import { integrationRoutes } from './integrations/index.js';
import { createApp } from './http/app.js';
import { keepConnectionsAlive } from './http/client.js';
import { ServiceMetrics } from './http/metrics.js';
import type { RouteSpec } from './http/route.js';
import { gateRoutes } from './http/routes/gate.js';
import { ingestRoutes } from './http/routes/ingest.js';
import { keyRoutes } from './http/routes/keys.js';
import { releaseRoutes } from './http/routes/releases.js';
import { GateCache } from '../src/gate/cache.js';
import { inThreadRunner, type GateRunner } from '../src/gate/runner.js';
import { gateWorkers } from '../src/gate/workers.js';
import { agentConfigSchema, createAgent } from './compose/agent.js';
import { createConfiguredP2P, p2pConfigSchema } from './compose/p2p.js';
import { judgeQuery } from './gate/judge.js';
import { createOrchestrator, type CommandGuard, type Judge, type Orchestrator } from './orchestrator/index.js';
import type { Agent } from './ports/agent.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { P2P } from './ports/p2p.js';
import { auditedCommands, createCommandGate, safetyConfigSchema } from './safety/index.js';
import type { Store } from './ports/store.js';

export const serviceConfigSchema = z.object({
  /** Folder for the SQLite files; created when missing. */
  dataDir: z.string().default('.sluice'),
  port: z.number().int().min(0).max(65535).default(8080),
  host: z.string().default('127.0.0.1'),
  /** `sqlite` (default, in dataDir) or a `postgres://` URL for replicas sharing state. */
  store: z.string().default('sqlite'),
  /** Schema to use in PostgreSQL (default `public`). */
  postgresSchema: z.string().optional(),
  /** `ingest` (the built-in store), `influxdb` or `prometheus`. */
  metricSource: z.enum(['ingest', 'influxdb', 'prometheus']).default('ingest'),
  influx: z.object({ host: z.string(), port: z.number().int(), database: z.string(), username: z.string().optional(), password: z.string().optional() }).optional(),
  /** Prometheus HTTP API: `{ url, hostLabel?, metrics?, queries?, bearerToken?, … }` (see adapters/metrics/prometheus.ts). */
  prometheus: prometheusOptionsSchema.optional(),
  rateLimit: z.object({ ratePerSecond: z.number().positive(), burst: z.number().int().positive() }).default({ ratePerSecond: 200, burst: 400 }),
  /**
   * The command channel to hosts: `none` (commands fail as unreachable), `local` (the local-process
   * fleet), `ssh` or `http` (the signed HTTP agent protocol); see compose/agent.ts. Keys and
   * secrets are read from the files (or environment variable) the options name.
   */
  agent: agentConfigSchema.default({ kind: 'none' }),
  /**
   * Artifact preheat: `none` (succeeds at once), `local` (into the local fleet's host folders),
   * `direct-http` (hosts download through the agent) or `dragonfly` (its manager's preheat jobs;
   * token from `tokenFile` or `tokenEnv`); see compose/p2p.ts. Jobs are recorded in the store.
   */
  p2p: p2pConfigSchema.default({ kind: 'none' }),
  /**
   * Command safety: the whitelist mapping main commands (`deploy`, `rollback`) to real argv,
   * interception rules and per-key limits. Default: `deploy` and `rollback` programs on the hosts' PATH.
   */
  safety: safetyConfigSchema.optional(),
  /**
   * Where the gate judges: `workers` threads (0: on the service's own thread, which then answers
   * no request while it judges), each with its own cache of fitted history and, with
   * `maxMemoryMb`, a heap limit (a worker over it fails its evaluation — the gate API answers
   * 503, the orchestrator retries and then records INCONCLUSIVE — and is replaced). Default: one fewer than the machine's cores, at least 1, at most 4.
   */
  gate: z.object({
    workers: z.number().int().min(0).max(64).optional(),
    maxMemoryMb: z.number().int().min(64).optional(),
  }).default({}),
  /**
   * The gate re-reads a batch's history every minute it judges it; this many MiB of settled
   * points (older than `settleMinutes`) are remembered so that each later read fetches only the
   * minutes since (src/sources/history-cache.ts). `maxMb: 0` reads everything every time.
   */
  historyCache: z.object({
    maxMb: z.number().int().min(0).default(256),
    settleMinutes: z.number().min(0).max(1440).default(5),
    /** Exception events of the built-in log ingest remembered the same way (0: read whole each time). */
    maxLogEvents: z.number().int().min(0).default(1_000_000),
  }).prefault({}),
  /**
   * What is deleted as it ages (see retention.ts): evaluation inputs without feedback, the built-in
   * ingest's metric points and exception events. Days; 0 keeps for ever.
   */
  retention: retentionConfigSchema.prefault({}),
  /** The release orchestrator; several service processes may run it on one PostgreSQL store. */
  orchestrator: z.object({
    enabled: z.boolean().default(true),
    /** Lease owner name (default: random per process). */
    owner: z.string().min(1).optional(),
    leaseTtlMs: z.number().int().min(100).default(30_000),
    pollMs: z.number().int().min(1).default(1000),
  }).default({ enabled: true, leaseTtlMs: 30_000, pollMs: 1000 }),
});
export type ServiceConfig = z.input<typeof serviceConfigSchema>;

/** What the demo and tests put in place of configured implementations. */
export interface ServiceOverrides {
  clock?: Clock;
  agent?: Agent;
  p2p?: P2P;
  source?: MetricSource;
  /** The orchestrator's judge (default: the gate over the metric source). */
  judge?: Judge;
  /** The command-safety layer the orchestrator sends commands through (default: built from `safety`). */
  safety?: CommandGuard;
  /** Orchestrator timings, in clock ms (see OrchestratorOptions). */
  orchestrator?: { pollMs?: number; scanMs?: number; retryDelayMs?: number; leaseTtlMs?: number };
}

export interface RunningService {
  url: string;
  store: Store;
  ingest: IngestStore;
  /** The built-in log ingest, the orchestrator's log source. */
  logs: IngestLogs;
  /** What the gate reads the ingest's logs through (the history cache unless it is off for logs). */
  logSource: LogSource;
  source: MetricSource;
  /** Null when `orchestrator.enabled` is false. */
  orchestrator: Orchestrator | null;
  /** The command channel and artifact preheat in use (configured or overridden). */
  agent: Agent;
  p2p: P2P;
  clock: Clock;
  /** Where the gate judges (worker threads unless `gate.workers` is 0); shared by every caller. */
  gate: GateRunner;
  /** The retention passes (hourly by default); `runNow()` runs one at once. */
  retention: RetentionTimer;
  close(): Promise<void>;
}

/** Opens the store chosen by `config.store` and applies migrations. */
export async function openStore(config: Pick<z.output<typeof serviceConfigSchema>, 'store' | 'dataDir' | 'postgresSchema'>): Promise<Store> {
  const store = config.store.startsWith('postgres')
    ? postgresStore({ connectionString: config.store, schema: config.postgresSchema })
    : sqliteStore(join(resolve(config.dataDir), 'state.db'));
  await store.migrate();
  return store;
}

/**
 * Starts the service: store, metric source, orchestrator (resuming every release it can lease)
 * and HTTP. `overrides` replace the configured clock, agent, P2P, source, judge or safety layer.
 */
export async function startService(input: ServiceConfig, log: (line: string) => void = () => undefined, overrides: ServiceOverrides = {}): Promise<RunningService> {
  const parsed = serviceConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SluiceError('invalid_config', issue.path.map(String).join('.'), issue.message);
  }
  const config = parsed.data;
  const clock = overrides.clock ?? systemClock;
  const now = () => clock.now();
  // Built before the store opens: a bad agent config fails without leaving anything open.
  const agent = overrides.agent ?? createAgent(config.agent, config.dataDir);
  let store: Store;
  let p2p: P2P;
  try {
    store = await openStore(config);
  } catch (error) {
    if (!overrides.agent) await agent.close();
    throw error;
  }
  try {
    p2p = overrides.p2p ?? createConfiguredP2P(config.p2p, { agent, store, clock, dataDir: config.dataDir });
  } catch (error) {
    if (!overrides.agent) await agent.close();
    await store.close();
    throw error;
  }
  const ingest = new IngestStore(join(resolve(config.dataDir), 'metrics.db'));
  const logs = new IngestLogs(join(resolve(config.dataDir), 'logs.db'));
  const configuredSource: MetricSource = retrying(
    config.metricSource === 'influxdb' && config.influx ? new InfluxSource(config.influx)
      : config.metricSource === 'prometheus' && config.prometheus ? new PrometheusSource(config.prometheus)
        : ingest,
    { attempts: 3, timeoutMs: 10_000 },
  );
  const historyCache = config.historyCache.maxMb > 0
    ? cachingHistory(overrides.source ?? configuredSource, { now, maxBytes: config.historyCache.maxMb * 1024 * 1024, settleMs: config.historyCache.settleMinutes * 60_000 })
    : null;
  const source: MetricSource = historyCache ?? overrides.source ?? configuredSource;
  const logHistory = config.historyCache.maxLogEvents > 0 ? cachingLogs(logs, { now, maxEvents: config.historyCache.maxLogEvents, settleMs: config.historyCache.settleMinutes * 60_000 }) : null;
  // What the gate reads logs through; writes go to the ingest itself.
  const logSource: LogSource = logHistory ?? logs;
  const gate = createCommandGate({
    agent, clock, audit: (entry) => store.appendAudit(entry),
    // Limits count from the audit log: they hold across restarts and replicas on one store.
    history: auditedCommands((query) => store.listAudit(query)),
    config: config.safety ?? { commands: { deploy: { argv: ['deploy', '{args}'] }, rollback: { argv: ['rollback', '{args}'] } } },
  });
  const safety: CommandGuard = overrides.safety ?? gate;
  // One runner for the orchestrator, the gate API and the integrations: a batch judged by any of
  // them finds its fitted history in the same cache. The cases are built per call (from queries or
  // a request body), so their series are lent to the worker rather than copied.
  const workers = config.gate.workers === 0 ? null : gateWorkers({ workers: config.gate.workers, maxMemoryMb: config.gate.maxMemoryMb, move: true });
  const gateRunner: GateRunner = workers ?? inThreadRunner(new GateCache(5_000));
  const judge: Judge = overrides.judge ?? ((query, policy) => judgeQuery(query, policy, source, { store, gate: gateRunner, now, logs: logSource }));
  const orchestrator = config.orchestrator.enabled
    ? createOrchestrator({
        store, agent, p2p, clock, judge, log, safety, owner: config.orchestrator.owner,
        options: { pollMs: config.orchestrator.pollMs, leaseTtlMs: config.orchestrator.leaseTtlMs, ...overrides.orchestrator },
      })
    : null;
  const metrics = new ServiceMetrics();
  metrics.gauge('sluice_ingest_points_stored', () => ingest.count());
  if (historyCache) {
    metrics.gauge('sluice_history_cache_bytes', () => historyCache.stats().bytes);
    // Since the start: the share served from the cache is cached / (cached + read).
    metrics.gauge('sluice_history_cache_points_cached', () => historyCache.stats().pointsCached);
    metrics.gauge('sluice_history_cache_points_read', () => historyCache.stats().pointsRead);
  }
  if (logHistory) {
    metrics.gauge('sluice_history_cache_log_events', () => logHistory.stats().events);
    metrics.gauge('sluice_history_cache_log_events_cached', () => logHistory.stats().eventsCached);
    metrics.gauge('sluice_history_cache_log_events_read', () => logHistory.stats().eventsRead);
  }
  if (workers) {
    metrics.gauge('sluice_gate_evaluations_pending', () => workers.pending);
    metrics.gauge('sluice_gate_worker_restarts', () => workers.restarts);
  }
  const retention = startRetention({ store, metrics: ingest, logs }, config.retention, now, log, (pass) => {
    metrics.count('sluice_retention_evaluation_inputs_removed_total', pass.evaluationInputs);
    metrics.count('sluice_retention_blobs_removed_total', pass.blobs);
    metrics.count('sluice_retention_points_removed_total', pass.points);
    metrics.count('sluice_retention_log_events_removed_total', pass.logEvents);
  });
  const routes: RouteSpec[] = [...keyRoutes(store, now), ...ingestRoutes(ingest, metrics, now), ...gateRoutes({ store, source, now, logs: logSource, gate: gateRunner }), ...releaseRoutes(store, now, orchestrator ?? undefined, overrides.safety ? undefined : gate)];
  routes.push(...logRoutes(logs, metrics));
  routes.push(...integrationRoutes({ store, source, now, logs: logSource, gate: gateRunner })); // Argo Rollouts, Flagger, Kayenta
  routes.push(...(await import('./http/routes/web.js')).webRoutes()); // the web UI: public pages whose API calls carry a key
  const app = createApp({
    store, routes, now, metrics, log, rateLimit: config.rateLimit,
    ready: async () => (await store.migrations()).length > 0,
  });
  const server: Server = await new Promise((resolveServer, reject) => {
    const s = app.listen(config.port, config.host, () => resolveServer(s));
    s.on('error', reject);
  });
  // Idle connections outlive any event-loop stall, or a client reusing one races its close (ECONNRESET).
  keepConnectionsAlive(server);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  await orchestrator?.start();
  return {
    url: `http://${config.host}:${port}`,
    store,
    ingest,
    logs,
    logSource,
    source,
    orchestrator,
    agent,
    p2p,
    clock,
    gate: gateRunner,
    retention,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await retention.stop();
      await orchestrator?.stop();
      await gateRunner.close();
      if (!overrides.agent) await agent.close();
      await store.close();
      ingest.close();
      logs.close();
    },
  };
}
