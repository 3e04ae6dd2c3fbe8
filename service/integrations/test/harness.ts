/**
 * One running app with the integration routes over a real SQLite store and the built-in ingest,
 * holding two days of history for six hosts: `rpc.rt` healthy, `rpc.rt_bad` 25 ms slower on the
 * released hosts after the release, and nothing for `rpc.missing` (INCONCLUSIVE). The clock
 * starts 30 minutes after the release and moves only when a test advances it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IngestStore } from '../../adapters/metrics/ingest-store.js';
import { sqliteStore } from '../../adapters/store/sqlite.js';
import { createKey } from '../../auth/api-keys.js';
import { createApp, type AppOptions } from '../../http/app.js';
import { listen, type TestServer } from '../../http/test-server.js';
import type { Store } from '../../ports/store.js';
import { integrationRoutes } from '../index.js';

export const STEP = 60_000;
export const DEPLOYED_AT = Date.UTC(2026, 5, 1, 12, 0, 0);
export const NOW = DEPLOYED_AT + 30 * STEP;
export const HOSTS = { released: ['r1', 'r2'], unreleased: ['u1', 'u2', 'u3', 'u4'] };

export interface Harness {
  server: TestServer;
  store: Store;
  /** Keys with the gate scope and with only the read scope. */
  gateKey: string;
  readKey: string;
  /** Moves the service's clock forward by `ms`. */
  advance(ms: number): void;
  close(): Promise<void>;
}

export async function startHarness(options: Pick<AppOptions, 'rateLimit'> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-integrations-'));
  const store = sqliteStore(join(dir, 'state.db'));
  await store.migrate();
  const ingest = new IngestStore(join(dir, 'metrics.db'));
  const points = [];
  for (let t = DEPLOYED_AT - 2 * 86_400_000; t < NOW; t += STEP) {
    const day = 50 + 20 * Math.sin((2 * Math.PI * t) / 86_400_000);
    for (const host of [...HOSTS.released, ...HOSTS.unreleased]) {
      const noise = Math.sin(t / 7_000 + host.charCodeAt(1)) * 0.8;
      const slower = HOSTS.released.includes(host) && t >= DEPLOYED_AT ? 25 : 0;
      points.push({ metric: 'rpc.rt', host, t, v: day + noise });
      points.push({ metric: 'rpc.rt_bad', host, t, v: day + noise + slower });
    }
  }
  ingest.write(points);
  let clock = NOW;
  const now = () => clock;
  const app = createApp({ store, routes: integrationRoutes({ store, source: ingest, now }), now, ...options });
  const server = await listen(app);
  const gateKey = (await createKey(store, 'deployer', ['gate'], 0)).key;
  const readKey = (await createKey(store, 'viewer', ['read'], 0)).key;
  return {
    server, store, gateKey, readKey,
    advance: (ms) => {
      clock += ms;
    },
    async close() {
      await server.close();
      await store.close();
      ingest.close();
    },
  };
}
