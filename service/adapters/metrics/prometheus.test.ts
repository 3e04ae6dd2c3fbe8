import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shouldRun, type ServerCheck } from '../../test/servers.js';
import { edgeValue, FIXTURE_START, fixtureVersion, fleetHost, fleetValue, FLEET_SIZE, rpcValue } from './prometheus-fixture.js';
import { hostMatcher, prometheusName, prometheusOptionsSchema, PrometheusSource, regexEscape } from './prometheus.js';

const PROMETHEUS_URL = process.env.SLUICE_TEST_PROMETHEUS_URL ?? 'http://127.0.0.1:9090';

/** Asks the Prometheus under test whether it is up and holds this fixture; `.ci/start-prometheus` starts one. */
async function checkPrometheus(): Promise<ServerCheck> {
  const version = fixtureVersion();
  try {
    const ready = await fetch(`${PROMETHEUS_URL}/-/ready`, { signal: AbortSignal.timeout(3000) });
    if (!ready.ok) return { available: false, reason: `Prometheus at ${PROMETHEUS_URL} answered ${ready.status} to /-/ready` };
    const params = new URLSearchParams({ query: `sluice_fixture_info{version="${version}"}`, time: String(FIXTURE_START / 1000) });
    const answer = await (await fetch(`${PROMETHEUS_URL}/api/v1/query?${params}`, { signal: AbortSignal.timeout(3000) })).text();
    if (!answer.includes(version)) return { available: false, reason: `Prometheus at ${PROMETHEUS_URL} does not hold fixture ${version}; run .ci/start-prometheus` };
    return { available: true, reason: '' };
  } catch (error) {
    return { available: false, reason: `Prometheus at ${PROMETHEUS_URL} is not reachable (${(error as Error).message}); start one with .ci/start-prometheus` };
  }
}

const enabled = shouldRun('Prometheus source', await checkPrometheus());
const MINUTE = 60_000;
const values = (s: { values: Float64Array }) => Array.from(s.values, (v) => (Number.isNaN(v) ? null : v));
/** Expected `rpc_rt` aggregate of the 15 s samples falling in `[from, to)`, from the fixture's rule. */
function expectedRpc(instance: string, from: number, to: number, combine: (xs: number[]) => number): number | null {
  const xs: number[] = [];
  for (let k = Math.ceil((from - FIXTURE_START) / 15_000); FIXTURE_START + k * 15_000 < to; k++) {
    const v = k >= 0 ? rpcValue(instance, k) : undefined;
    if (v !== undefined) xs.push(v);
  }
  return xs.length ? combine(xs) : null;
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const grid = (start: number, step: number, n: number) => Array.from({ length: n }, (_, i) => [start + i * step, start + (i + 1) * step] as const);

describe('prometheusName', () => {
  it('replaces what a PromQL name does not allow', () => {
    expect(prometheusName('rpc.rt')).toBe('rpc_rt');
    expect(prometheusName('middleware.hsf-rt:p99')).toBe('middleware_hsf_rt:p99');
    expect(prometheusName('5xx.rate')).toBe('_5xx_rate');
  });
});

describe('hostMatcher', () => {
  it('regexEscape(host) matches exactly that host among any others', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 }), fc.string({ maxLength: 8 }), (hosts, other) => {
      const re = new RegExp(`^(?:${hosts.map(regexEscape).join('|')})$`, 'su');
      for (const h of hosts) expect(re.test(h)).toBe(true);
      expect(re.test(other)).toBe(hosts.includes(other));
    }));
  });

  it('quotes the regex as a PromQL string', () => {
    expect(hostMatcher('host', ['web(1)', 'db.1', 'a"b\\c'])).toBe('host=~"web\\\\(1\\\\)|db\\\\.1|a\\"b\\\\\\\\c"');
  });
});

describe('PrometheusSource.queryText', () => {
  const source = new PrometheusSource({
    url: 'http://prometheus.invalid',
    metrics: { 'http.rt': 'http_rt_ms{job="api"}', 'bare.braces': 'bare{}' },
    queries: { 'http.rate': 'sum by (instance) (rate(http_requests_total{{{selector}}}[{{range}}]))' },
  });
  it('reads samples through *_over_time over exactly one bucket, never an instant selector', () => {
    expect(source.queryText('rpc.rt', ['a', 'b'], 60_000, 'mean')).toBe('sum by (instance) (sum_over_time(rpc_rt{instance=~"a|b"}[59999ms])) / sum by (instance) (count_over_time(rpc_rt{instance=~"a|b"}[59999ms]))');
    expect(source.queryText('rpc.rt', ['a'], 60_000, 'last')).toBe('last_over_time(rpc_rt{instance=~"a"}[59999ms])');
    expect(source.queryText('rpc.rt', ['a'], 60_000, 'p95', 'left-open')).toBe('quantile_over_time(0.95, rpc_rt{instance=~"a"}[60000ms])');
    expect(source.queryText('rpc.rt', ['a'], 60_000, 'max')).toBe('max by (instance) (max_over_time(rpc_rt{instance=~"a"}[59999ms]))');
  });
  it('adds the host matcher to a mapped selector and fills a template', () => {
    expect(source.queryText('http.rt', ['a'], 10_000, 'sum')).toBe('sum by (instance) (sum_over_time(http_rt_ms{job="api",instance=~"a"}[9999ms]))');
    expect(source.queryText('bare.braces', ['a'], 10_000, 'count')).toBe('sum by (instance) (count_over_time(bare{instance=~"a"}[9999ms]))');
    expect(source.queryText('http.rate', ['a'], 60_000, 'p95')).toBe('sum by (instance) (rate(http_requests_total{instance=~"a"}[59999ms]))');
  });
});

describe('prometheusOptionsSchema', () => {
  const issue = (input: unknown) => {
    const r = prometheusOptionsSchema.safeParse(input);
    return r.success ? null : { path: r.error.issues[0].path.join('.'), message: r.error.issues[0].message };
  };
  it('names the field and the reason', () => {
    expect(issue({ url: 'http://p:9090', queries: { x: 'rate(x[5m])' } })).toEqual({ path: 'queries.x', message: 'must contain {{selector}} (where the host matcher goes)' });
    expect(issue({ url: 'http://p:9090', hostLabel: 'bad-label' })).toEqual({ path: 'hostLabel', message: 'must be a Prometheus label name' });
    expect(issue({ url: 'http://p:9090', metrics: { x: 'rate(y[1m])' } })?.path).toBe('metrics.x');
    expect(issue({ url: 'http://p:9090', bearerToken: 't', basicAuth: { username: 'u', password: 'p' } })?.path).toBe('basicAuth');
    expect(issue({ url: 'not a url' })?.path).toBe('url');
    expect(issue({ url: 'http://p:9090', step: 5 })?.message).toMatch(/step/);
  });
});

/** A stand-in server answering buildinfo with `version` and recording each query_range form. */
function fakePrometheus(version: string, rangeAnswer: { status: number; body: string }): Promise<{ url: string; forms: URLSearchParams[]; close: () => Promise<void> }> {
  const forms: URLSearchParams[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.url === '/api/v1/status/buildinfo') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { version } }));
      return;
    }
    forms.push(new URLSearchParams(Buffer.concat(chunks).toString()));
    res.writeHead(rangeAnswer.status).end(rangeAnswer.body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forms,
    close: () => new Promise<void>((r) => server.close(() => r())),
  })));
}

describe('PrometheusSource request shape', () => {
  it('asks a 3.x server (left-open ranges) for [step] at each bucket\'s last millisecond, in exact RFC 3339 times', async () => {
    const fake = await fakePrometheus('3.1.0', { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }) });
    try {
      const source = new PrometheusSource({ url: `${fake.url}/`, maxPointsPerQuery: 3 });
      const start = Date.UTC(2024, 0, 8, 0, 0, 30);
      const out = await source.query({ metric: 'rpc.rt', hosts: ['a'], start, end: start + 5 * 60_000 - 20_000, step: 60_000, aggregate: 'max' });
      expect(values(out.a)).toEqual([null, null, null, null, null]);
      expect(fake.forms.map((f) => [f.get('start'), f.get('end'), f.get('step'), /\[(\d+ms)\]/.exec(f.get('query') ?? '')?.[1]])).toEqual([
        ['2024-01-08T00:01:29.999Z', '2024-01-08T00:03:29.999Z', '60000ms', '60000ms'],
        ['2024-01-08T00:04:29.999Z', '2024-01-08T00:04:29.999Z', '60000ms', '60000ms'],
        ['2024-01-08T00:05:09.999Z', '2024-01-08T00:05:09.999Z', '60000ms', '40000ms'], // the last bucket, cut by end
      ]);
    } finally {
      await fake.close();
    }
  });

  it('an answer that is not Prometheus JSON is an error quoting it', async () => {
    const fake = await fakePrometheus('2.42.0', { status: 502, body: '<html>Bad Gateway</html>' });
    try {
      const source = new PrometheusSource({ url: fake.url });
      await expect(source.query({ metric: 'x', hosts: ['a'], start: 0, end: 60_000, step: 60_000 })).rejects.toThrow('prometheus: HTTP 502 with a body that is not JSON: <html>Bad Gateway</html>');
    } finally {
      await fake.close();
    }
  });
});

/**
 * A proxy in front of the real server that demands `Authorization: Bearer <token>` (or, given,
 * basic credentials plus an `X-Scope-OrgID` header) and counts range queries.
 */
function authProxy(token: string, basic?: { username: string; password: string; tenant: string }): Promise<{ url: string; rangeQueries: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer(async (req, res) => {
    const bearerOk = req.headers.authorization === `Bearer ${token}`;
    const basicOk = basic !== undefined && req.headers.authorization === `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}` && req.headers['x-scope-orgid'] === basic.tenant;
    if (!bearerOk && !basicOk) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized\n');
      return;
    }
    if (req.url?.startsWith('/api/v1/query_range')) count++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const upstream = await fetch(`${PROMETHEUS_URL}${req.url}`, { method: req.method, headers: { 'content-type': req.headers['content-type'] ?? 'text/plain' }, body: req.method === 'POST' ? Buffer.concat(chunks) : undefined });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(await upstream.text());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    rangeQueries: () => count,
    close: () => new Promise<void>((r) => server.close(() => r())),
  })));
}

describe.runIf(enabled)('PrometheusSource against a real Prometheus', () => {
  const source = new PrometheusSource({ url: PROMETHEUS_URL });
  const hosts = ['web-1', 'web-gap', 'web-stale', 'web(1)', 'db.1', 'nowhere'];

  it('each aggregate equals the same aggregate of the raw samples in [start + i·step, start + (i+1)·step)', async () => {
    const combine = {
      mean, sum: (xs: number[]) => xs.reduce((a, b) => a + b, 0), min: (xs: number[]) => Math.min(...xs), max: (xs: number[]) => Math.max(...xs),
      last: (xs: number[]) => xs[xs.length - 1], count: (xs: number[]) => xs.length,
    };
    for (const [aggregate, f] of Object.entries(combine) as [keyof typeof combine, (xs: number[]) => number][]) {
      const out = await source.query({ metric: 'rpc.rt', hosts, start: FIXTURE_START, end: FIXTURE_START + 10 * MINUTE, step: MINUTE, aggregate });
      for (const host of hosts) {
        const want = grid(FIXTURE_START, MINUTE, 10).map(([a, b]) => expectedRpc(host, a, b, f) ?? (aggregate === 'count' ? 0 : null));
        expect({ aggregate, host, values: values(out[host]) }).toEqual({ aggregate, host, values: want });
        expect(out[host].start).toBe(FIXTURE_START);
        expect(out[host].step).toBe(MINUTE);
      }
    }
    // p95 is the type-7 quantile, as regularize computes it: of {4i, …, 4i+3} it is 4i + 2.85.
    const p95 = await source.query({ metric: 'rpc.rt', hosts: ['web-1'], start: FIXTURE_START, end: FIXTURE_START + 3 * MINUTE, step: MINUTE, aggregate: 'p95' });
    Array.from(p95['web-1'].values).forEach((v, i) => expect(v).toBeCloseTo(4 * i + 2.85, 9));
  });

  it('a grid off the whole minute: a sample on a bucket boundary belongs to the later bucket', async () => {
    const start = FIXTURE_START + 30_000;
    const out = await source.query({ metric: 'rpc.rt', hosts: ['web-1'], start, end: start + 4 * MINUTE, step: MINUTE });
    // [T0+30s, T0+90s) holds samples k = 2..5 (k = 6 sits at T0+90s, the next bucket's start).
    expect(values(out['web-1'])).toEqual([3.5, 7.5, 11.5, 15.5]);
    const fifteen = await source.query({ metric: 'rpc.rt', hosts: ['web-1'], start: FIXTURE_START + 15_000, end: FIXTURE_START + 75_000, step: 15_000, aggregate: 'count' });
    expect(values(fifteen['web-1'])).toEqual([1, 1, 1, 1]);
    const wide = await source.query({ metric: 'rpc.rt', hosts: ['web-1'], start: FIXTURE_START, end: FIXTURE_START + 17 * MINUTE, step: 5 * MINUTE });
    // `end` is exclusive and cuts the last bucket: [15 min, 17 min) holds k = 60..67 only.
    expect(values(wide['web-1'])).toEqual([9.5, 29.5, 49.5, 63.5]);
  });

  it('buckets are exact to the millisecond: samples at m − 1 ms and m fall in different buckets', async () => {
    const range = { metric: 'edge.ms', hosts: ['web-1'], start: FIXTURE_START, end: FIXTURE_START + 4 * MINUTE, step: MINUTE };
    // Bucket m holds the sample at m (value m) and the one at m + 1 min − 1 ms (value 100 + m + 1).
    const want = [0, 1, 2, 3].map((m) => (edgeValue(m, 0) + edgeValue(m + 1, -1)) / 2);
    expect(values((await source.query(range))['web-1'])).toEqual(want);
    // Assuming 3.x ranges on this 2.x server would take in the sample 1 ms before each bucket.
    const wrong = new PrometheusSource({ url: PROMETHEUS_URL, rangeSemantics: 'left-open' });
    expect(values((await wrong.query(range))['web-1']).slice(1)).not.toEqual(want.slice(1));
  });

  it('a gap inside the range and a target that went away are NaN, where an instant selector would repeat the last value for 5 minutes', async () => {
    const start = FIXTURE_START + 18 * MINUTE;
    const out = await source.query({ metric: 'rpc.rt', hosts: ['web-gap', 'web-stale'], start, end: start + 18 * MINUTE, step: MINUTE });
    const gapWant = grid(start, MINUTE, 18).map(([a, b]) => expectedRpc('web-gap', a, b, mean));
    expect(values(out['web-gap'])).toEqual(gapWant);
    expect(gapWant.slice(2, 12)).toEqual(Array(10).fill(null));
    expect(values(out['web-stale']).slice(12)).toEqual(Array(6).fill(null));
    expect(values(out['web-stale'])[11]).toBe(2117.5);
    // What the server's lookback does with a plain selector over the same minutes: a flat line.
    const naive = new URLSearchParams({ query: 'rpc_rt{instance="web-stale"}', start: String((start + 13 * MINUTE) / 1000), end: String((start + 16 * MINUTE) / 1000), step: '60' });
    const raw = (await (await fetch(`${PROMETHEUS_URL}/api/v1/query_range?${naive}`)).json()) as { data: { result: { values: [number, string][] }[] } };
    expect(raw.data.result[0].values.map((p) => p[1])).toEqual(['2119', '2119', '2119', '2119']);
  });

  it('escapes host names: web(1) and db.1 match themselves only (dbx1 exists and stays out)', async () => {
    const out = await source.query({ metric: 'rpc.rt', hosts: ['web(1)', 'db.1'], start: FIXTURE_START, end: FIXTURE_START + 2 * MINUTE, step: MINUTE });
    expect(values(out['web(1)'])).toEqual([7, 7]);
    expect(values(out['db.1'])).toEqual([1, 1]);
    expect(Object.keys(out).sort()).toEqual(['db.1', 'web(1)']);
  });

  it('300 hosts on the `host` label through several requests, each host its own values; the token goes to every request', async () => {
    const proxy = await authProxy('s3cret-token');
    try {
      const fleet = new PrometheusSource({ url: proxy.url, hostLabel: 'host', maxHostsPerQuery: 64, bearerToken: 's3cret-token', metrics: { 'node.cpu': 'fleet_cpu{job="node"}' } });
      const names = Array.from({ length: FLEET_SIZE }, (_, h) => fleetHost(h));
      const out = await fleet.query({ metric: 'node.cpu', hosts: names, start: FIXTURE_START, end: FIXTURE_START + 30 * MINUTE, step: MINUTE });
      expect(proxy.rangeQueries()).toBe(Math.ceil(FLEET_SIZE / 64));
      for (let h = 0; h < FLEET_SIZE; h++) expect(values(out[fleetHost(h)])).toEqual(Array.from({ length: 30 }, (_, m) => fleetValue(h, m)));
      const refused = new PrometheusSource({ url: proxy.url, bearerToken: 'wrong-token' });
      const error = await refused.query({ metric: 'rpc.rt', hosts: ['web-1'], start: FIXTURE_START, end: FIXTURE_START + MINUTE, step: MINUTE }).catch((e: Error) => e);
      expect(String(error)).toMatch(/HTTP 401 .*credentials missing or refused/);
      expect(String(error)).not.toContain('wrong-token');
    } finally {
      await proxy.close();
    }
  });

  it('sends basic credentials and extra headers with every request', async () => {
    const proxy = await authProxy('unused', { username: 'grafana', password: 'pa:ss', tenant: 'team-a' });
    try {
      const range = { metric: 'rpc.rt', hosts: ['web-1'], start: FIXTURE_START, end: FIXTURE_START + 2 * MINUTE, step: MINUTE };
      const tenant = new PrometheusSource({ url: proxy.url, basicAuth: { username: 'grafana', password: 'pa:ss' }, headers: { 'X-Scope-OrgID': 'team-a' } });
      expect(values((await tenant.query(range))['web-1'])).toEqual([1.5, 5.5]);
      const otherTenant = new PrometheusSource({ url: proxy.url, basicAuth: { username: 'grafana', password: 'pa:ss' }, headers: { 'X-Scope-OrgID': 'team-b' } });
      const error = await otherTenant.query(range).catch((e: Error) => e);
      expect(String(error)).toMatch(/HTTP 401/);
      expect(String(error)).not.toContain('pa:ss');
    } finally {
      await proxy.close();
    }
  });

  it('a range longer than 11 000 points is split into requests the server accepts (it refuses the whole)', async () => {
    const proxy = await authProxy('t');
    try {
      const long = new PrometheusSource({ url: proxy.url, bearerToken: 't' });
      const start = FIXTURE_START - 3 * 60 * MINUTE;
      const n = 4 * 3600; // 14 400 one-second buckets
      const out = await long.query({ metric: 'rpc.rt', hosts: ['web-1'], start, end: start + n * 1000, step: 1000, aggregate: 'last' });
      expect(proxy.rangeQueries()).toBe(2);
      const got = values(out['web-1']);
      expect(got.length).toBe(n);
      const want = Array.from({ length: n }, (_, j) => (j >= 10_800 && (j - 10_800) % 15 === 0 ? (j - 10_800) / 15 : null));
      expect(got).toEqual(want);
      const whole = new URLSearchParams({ query: 'rpc_rt', start: String(start / 1000), end: String((start + n * 1000) / 1000), step: '1' });
      const refused = (await (await fetch(`${PROMETHEUS_URL}/api/v1/query_range?${whole}`)).json()) as { error: string };
      expect(refused.error).toMatch(/11,000 points/);
    } finally {
      await proxy.close();
    }
  });

  it('several series per host: mean combines every sample, p95 names the series it cannot combine', async () => {
    const out = await source.query({ metric: 'http_requests_total', hosts: ['web-1'], start: FIXTURE_START, end: FIXTURE_START + 3 * MINUTE, step: MINUTE });
    // Per bucket i: /a holds 15·k and /b 30·k for k = 4i..4i+3, so the mean is 22.5·(4i + 1.5).
    expect(values(out['web-1'])).toEqual([0, 1, 2].map((i) => 22.5 * (4 * i + 1.5)));
    await expect(source.query({ metric: 'http_requests_total', hosts: ['web-1'], start: FIXTURE_START, end: FIXTURE_START + MINUTE, step: MINUTE, aggregate: 'p95' }))
      .rejects.toThrow(/several series for instance 'web-1' \(\{.*path="\/a"\} and \{.*path="\/b"\}\); p95 cannot combine them/);
  });

  it('a template computes a rate per host over each bucket; a broken one fails with the server\'s reason', async () => {
    const templated = new PrometheusSource({
      url: PROMETHEUS_URL,
      queries: { 'http.rate': 'sum by (instance) (rate(http_requests_total{{{selector}}}[{{range}}]))', 'no.host': 'sum(rpc_rt{{{selector}}}) + 0 * vector(time())', broken: 'rate(rpc_rt{{{selector}}}[{{range}}]' },
    });
    const out = await templated.query({ metric: 'http.rate', hosts: ['web-1'], start: FIXTURE_START, end: FIXTURE_START + 5 * MINUTE, step: MINUTE });
    for (const v of out['web-1'].values) expect(v).toBeCloseTo(3, 9); // 1/s on /a plus 2/s on /b
    const range = { hosts: ['web-1'], start: FIXTURE_START, end: FIXTURE_START + MINUTE, step: MINUTE };
    await expect(templated.query({ metric: 'broken', ...range })).rejects.toThrow(/prometheus: bad_data: .*parse error.* \(HTTP 400; query rate\(rpc_rt\{instance=~"web-1"\}\[59999ms\]\)$/);
    await expect(templated.query({ metric: 'no.host', ...range })).rejects.toThrow(/has no 'instance' label .*keep it in the query/);
  });

  it('an unreachable server is an error with the reason', async () => {
    const closed = createServer();
    const port = await new Promise<number>((r) => closed.listen(0, '127.0.0.1', () => r((closed.address() as AddressInfo).port)));
    await new Promise<void>((r) => closed.close(() => r()));
    const nowhere = new PrometheusSource({ url: `http://127.0.0.1:${port}`, timeoutMs: 2000 });
    await expect(nowhere.query({ metric: 'rpc.rt', hosts: ['web-1'], start: FIXTURE_START, end: FIXTURE_START + MINUTE, step: MINUTE }))
      .rejects.toThrow(new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}/api/v1/status/buildinfo: .*ECONNREFUSED`));
  });

  it('the service reads Prometheus when configured to', async () => {
    const { startService } = await import('../../main.js');
    const service = await startService({ dataDir: mkdtempSync(join(tmpdir(), 'sluice-prometheus-')), port: 0, orchestrator: { enabled: false }, metricSource: 'prometheus', prometheus: { url: PROMETHEUS_URL, hostLabel: 'host' } });
    try {
      expect(service.source.name).toBe('prometheus');
      const out = await service.source.query({ metric: 'fleet_cpu', hosts: ['node-007'], start: FIXTURE_START, end: FIXTURE_START + 3 * MINUTE, step: MINUTE });
      expect(values(out['node-007'])).toEqual([7000, 7001, 7002]);
    } finally {
      await service.close();
    }
  });
});
