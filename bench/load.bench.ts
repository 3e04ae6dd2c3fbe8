/**
 * HTTP load on the service (`sluice serve` as its own process, so it runs on one core while the
 * load generator runs in this one): ingest points per second through InfluxDB line protocol, and
 * gate evaluations per second with latency percentiles. Load goes to loopback only.
 */
import autocannon from 'autocannon';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCase, v1Preset } from '../datasets/generator/index.js';
import { toCaseJson } from '../src/datasets/case.js';
import { killHard, startChildService } from '../service/test/child-service.js';
import { report, type BenchOptions, type Row } from './lib/harness.js';

function hit(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

export async function run(options: BenchOptions): Promise<void> {
  const service = await startChildService(mkdtempSync(join(tmpdir(), 'sluice-load-')));
  const headers = { authorization: `Bearer ${service.adminKey}`, 'content-type': 'text/plain' };
  const duration = options.quick ? 3 : 10;
  const rows: Row[] = [];
  try {
    const linesPerRequest = 5000;
    let t = Date.UTC(2026, 0, 1) * 1_000_000;
    const body = Array.from({ length: linesPerRequest }, (_, i) => `load,host=h${i % 100} v=${i} ${(t += 1_000_000_000)}`).join('\n');
    const ingest = await hit({ url: `${service.url}/v1/metrics/write?precision=ns`, method: 'POST', headers, body, connections: 4, duration });
    rows.push({
      task: 'ingest (line protocol)', connections: 4, seconds: duration, requests: ingest.requests.total, non2xx: ingest.non2xx,
      pointsPerSecond: Math.round(ingest.requests.average * linesPerRequest), p50Ms: ingest.latency.p50, p99Ms: ingest.latency.p99, goal: '≥ 100000 points/s',
    });

    const c = toCaseJson(generateCase(v1Preset, 40_000, 'level shift up'));
    const gateBody = JSON.stringify({ case: c });
    const gate = await hit({ url: `${service.url}/v1/gate/evaluate`, method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: gateBody, connections: 2, duration });
    rows.push({
      task: 'gate evaluations (inline case)', connections: 2, seconds: duration, requests: gate.requests.total, non2xx: gate.non2xx,
      evaluationsPerSecond: gate.requests.average, p50Ms: gate.latency.p50, p99Ms: gate.latency.p99,
      casePoints: c.metrics.reduce((n, m) => n + Object.values(m.released).flat().length + Object.values(m.unreleased).flat().length, 0),
    });
  } finally {
    await killHard(service);
  }
  report('load: the service over HTTP', rows);
}
