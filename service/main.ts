/**
 * The composition root: the one place that chooses implementations for the ports (store,
 * metric source) from configuration and wires the HTTP routes over them.
 */
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { retrying } from '../src/sources/retrying.js';
import type { MetricSource } from '../src/sources/metric-source.js';
import { InfluxSource } from './adapters/metrics/influxdb.js';
import { IngestStore } from './adapters/metrics/ingest-store.js';
import { PrometheusSource, prometheusOptionsSchema } from './adapters/metrics/prometheus.js';
import { postgresStore } from './adapters/store/postgres.js';
import { sqliteStore } from './adapters/store/sqlite.js';
import { integrationRoutes } from './integrations/index.js';
import { createApp } from './http/app.js';
import { ServiceMetrics } from './http/metrics.js';
import type { RouteSpec } from './http/route.js';
import { gateRoutes } from './http/routes/gate.js';
import { ingestRoutes } from './http/routes/ingest.js';
import { keyRoutes } from './http/routes/keys.js';
import { releaseRoutes } from './http/routes/releases.js';
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
});
export type ServiceConfig = z.input<typeof serviceConfigSchema>;

export interface RunningService {
  url: string;
  store: Store;
  ingest: IngestStore;
  source: MetricSource;
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

export async function startService(input: ServiceConfig, log: (line: string) => void = () => undefined): Promise<RunningService> {
  const config = serviceConfigSchema.parse(input);
  const now = () => Date.now();
  const store = await openStore(config);
  const ingest = new IngestStore(join(resolve(config.dataDir), 'metrics.db'));
  const source: MetricSource = retrying(
    config.metricSource === 'influxdb' && config.influx ? new InfluxSource(config.influx)
      : config.metricSource === 'prometheus' && config.prometheus ? new PrometheusSource(config.prometheus)
        : ingest,
    { attempts: 3, timeoutMs: 10_000 },
  );
  const metrics = new ServiceMetrics();
  metrics.gauge('sluice_ingest_points_stored', () => ingest.count());
  const routes: RouteSpec[] = [...keyRoutes(store, now), ...ingestRoutes(ingest, metrics, now), ...gateRoutes({ store, source, now }), ...releaseRoutes(store, now)];
  routes.push(...integrationRoutes({ store, source, now })); // Argo Rollouts, Flagger, Kayenta
  routes.push(...(await import('./http/routes/web.js')).webRoutes()); // the web UI: public pages whose API calls carry a key
  const app = createApp({
    store, routes, now, metrics, log, rateLimit: config.rateLimit,
    ready: async () => (await store.migrations()).length > 0,
  });
  const server: Server = await new Promise((resolveServer, reject) => {
    const s = app.listen(config.port, config.host, () => resolveServer(s));
    s.on('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    url: `http://${config.host}:${port}`,
    store,
    ingest,
    source,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await store.close();
      ingest.close();
    },
  };
}
