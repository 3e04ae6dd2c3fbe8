/**
 * The data the Prometheus source's tests read, as OpenMetrics text for
 * `promtool tsdb create-blocks-from openmetrics`. Deterministic: the same text on every run, at
 * fixed timestamps in the past (the server keeps them with a long retention), so tests assert
 * exact values. The tests compute their expectations from the rules written here.
 *
 * Regenerate (what `.ci/start-prometheus` does):
 *   npx tsx service/adapters/metrics/prometheus-fixture.ts /tmp/sluice-prometheus/fixture.om
 * It prints the fixture's version; the server holds it as `sluice_fixture_info{version="…"}`, so a
 * test can tell a server holding other data from one holding this.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Epoch ms of the fixture's first sample: Monday 2024-01-08 00:00 UTC. */
export const FIXTURE_START = Date.UTC(2024, 0, 8, 0, 0, 0);
/** The fixture spans one hour. */
export const FIXTURE_MINUTES = 60;
/** Scrape interval of `rpc_rt` and `http_requests_total`, ms. */
export const RPC_INTERVAL = 15_000;
const RPC_SAMPLES = (FIXTURE_MINUTES * 60_000) / RPC_INTERVAL;

/**
 * `rpc_rt{instance}` — sample k (0-based) is at `FIXTURE_START + k·15 s`:
 * - `web-1`: value k, every sample;
 * - `web-gap`: value 1000 + k, nothing in minutes 20–29 (a gap inside the range);
 * - `web-stale`: value 2000 + k, nothing from minute 30 on (the target went away);
 * - `web(1)`, `db.1`, `dbx1`: constants 7, 1, 2 (names that need regex escaping).
 */
export function rpcValue(instance: string, k: number): number | undefined {
  const minute = Math.floor((k * RPC_INTERVAL) / 60_000);
  switch (instance) {
    case 'web-1': return k;
    case 'web-gap': return minute >= 20 && minute < 30 ? undefined : 1000 + k;
    case 'web-stale': return minute >= 30 ? undefined : 2000 + k;
    case 'web(1)': return 7;
    case 'db.1': return 1;
    case 'dbx1': return 2;
    default: return undefined;
  }
}
export const RPC_INSTANCES = ['web-1', 'web-gap', 'web-stale', 'web(1)', 'db.1', 'dbx1'];

/**
 * `edge_ms{instance="web-1"}`: two samples around each whole minute m, 1 ms apart — at m − 1 ms
 * (value `100 + m`) and at m (value `m`) — so a bucket one millisecond too wide or too narrow
 * shows in its mean.
 */
export const edgeValue = (minute: number, offsetMs: -1 | 0): number => (offsetMs === 0 ? minute : 100 + minute);

/** `fleet_cpu{host,job="node"}`: hosts `node-000`…`node-299`, one sample a minute at second 10, value `1000·h + minute`. */
export const FLEET_SIZE = 300;
export const fleetHost = (h: number): string => `node-${String(h).padStart(3, '0')}`;
export const fleetValue = (h: number, minute: number): number => 1000 * h + minute;

/** `http_requests_total{instance="web-1",path}`: counters growing 1/s on `/a` and 2/s on `/b`, sampled every 15 s. */
export const HTTP_RATES: Record<string, number> = { '/a': 1, '/b': 2 };

const seconds = (ms: number): string => (ms / 1000).toFixed(3);
const label = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The fixture's samples as OpenMetrics text, without the version marker and `# EOF`. */
export function fixtureBody(): string {
  const lines: string[] = ['# TYPE rpc_rt gauge'];
  for (const instance of RPC_INSTANCES) {
    for (let k = 0; k < RPC_SAMPLES; k++) {
      const v = rpcValue(instance, k);
      if (v !== undefined) lines.push(`rpc_rt{instance="${label(instance)}"} ${v} ${seconds(FIXTURE_START + k * RPC_INTERVAL)}`);
    }
  }
  lines.push('# TYPE edge_ms gauge');
  for (let m = 0; m <= FIXTURE_MINUTES; m++) {
    if (m > 0) lines.push(`edge_ms{instance="web-1"} ${edgeValue(m, -1)} ${seconds(FIXTURE_START + m * 60_000 - 1)}`);
    if (m < FIXTURE_MINUTES) lines.push(`edge_ms{instance="web-1"} ${edgeValue(m, 0)} ${seconds(FIXTURE_START + m * 60_000)}`);
  }
  lines.push('# TYPE fleet_cpu gauge');
  for (let h = 0; h < FLEET_SIZE; h++) {
    for (let m = 0; m < FIXTURE_MINUTES; m++) lines.push(`fleet_cpu{host="${fleetHost(h)}",job="node"} ${fleetValue(h, m)} ${seconds(FIXTURE_START + m * 60_000 + 10_000)}`);
  }
  lines.push('# TYPE http_requests counter');
  for (const [path, rate] of Object.entries(HTTP_RATES)) {
    for (let k = 0; k < RPC_SAMPLES; k++) lines.push(`http_requests_total{instance="web-1",path="${path}"} ${rate * 15 * k} ${seconds(FIXTURE_START + k * RPC_INTERVAL)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A short hash of the samples: changes whenever the data does. */
export function fixtureVersion(body = fixtureBody()): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 16);
}

/** The whole OpenMetrics file: samples, the version marker (at the fixture's start) and `# EOF`. */
export function openMetricsText(): string {
  const body = fixtureBody();
  return `${body}# TYPE sluice_fixture_info gauge\nsluice_fixture_info{version="${fixtureVersion(body)}"} 1 ${seconds(FIXTURE_START)}\n# EOF\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: tsx service/adapters/metrics/prometheus-fixture.ts <output file>');
    process.exitCode = 64;
  } else {
    writeFileSync(out, openMetricsText());
    console.log(fixtureVersion());
  }
}
