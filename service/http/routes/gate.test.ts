import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCase, v1Preset } from '../../../datasets/generator/index.js';
import { parseCase, toCaseJson } from '../../../src/datasets/case.js';
import { createKey } from '../../auth/api-keys.js';
import { startService, type RunningService } from '../../main.js';

let service: RunningService;
let gateKey: string;
let readKey: string;

beforeAll(async () => {
  service = await startService({ dataDir: mkdtempSync(join(tmpdir(), 'sluice-gate-http-')), port: 0 });
  gateKey = (await createKey(service.store, 'deployer', ['gate'], 0)).key;
  readKey = (await createKey(service.store, 'viewer', ['read'], 0)).key;
});
afterAll(async () => {
  await service.close();
});

const call = async (method: string, path: string, key: string, body?: unknown) => {
  const response = await fetch(`${service.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, text, body: text.startsWith('{') ? JSON.parse(text) : null };
};

describe('the service\'s connections', () => {
  it('are kept alive 65 s, longer than an event-loop stall of a long evaluation, so a reused one is not reset', async () => {
    const response = await fetch(`${service.url}/v1/evaluations`, { headers: { authorization: `Bearer ${readKey}` } });
    await response.text();
    expect(response.headers.get('keep-alive')).toBe('timeout=65');
  });
});

describe('POST /v1/gate/evaluate with inline series', () => {
  it('answers the verdict document with a report link, and records it', async () => {
    const bad = toCaseJson(generateCase(v1Preset, 20_000, 'level shift up'));
    const r = await call('POST', '/v1/gate/evaluate', gateKey, { case: bad });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ decision: 'FAIL', format: 1, app: bad.app });
    expect(r.body.report).toBe(`/v1/evaluations/${r.body.id}`);
    const stored = await call('GET', r.body.report, readKey);
    expect(stored.body).toMatchObject({ id: r.body.id, decision: 'FAIL', feedback: null });
    expect(stored.body.input.metrics.length).toBe(bad.metrics.length);
  });

  it('names the field and the reason for a bad case, a bad policy, or both inputs at once', async () => {
    const c = toCaseJson(generateCase(v1Preset, 20_001, 'normal'));
    const broken = { ...c, step: -5 };
    const r = await call('POST', '/v1/gate/evaluate', gateKey, { case: broken });
    expect(r).toMatchObject({ status: 400, body: { code: 'invalid_input', field: 'body.case.step' } });
    const uneven = structuredClone(c);
    const host = Object.keys(uneven.metrics[0].released)[0];
    uneven.metrics[0].released[host] = uneven.metrics[0].released[host].slice(1);
    const unevenAnswer = await call('POST', '/v1/gate/evaluate', gateKey, { case: uneven });
    expect(unevenAnswer.body.field).toMatch(/^body\.case\.metrics\.0\.released\./);
    expect(unevenAnswer.body.reason).toContain(`but host "${host}" has`);
    const policy = await call('POST', '/v1/gate/evaluate', gateKey, { case: c, policy: { failThreshold: 400 } });
    expect(policy).toMatchObject({ status: 400, body: { field: 'body.policy.failThreshold' } });
    const both = await call('POST', '/v1/gate/evaluate', gateKey, { case: c, query: {} });
    expect(both.status).toBe(400);
  });

  it('needs the gate scope', async () => {
    expect((await call('POST', '/v1/gate/evaluate', readKey, { case: {} })).status).toBe(403);
  });
});

describe('POST /v1/gate/evaluate with metric queries against the built-in ingest', () => {
  const step = 60_000;
  const deployedAt = Date.UTC(2026, 5, 1, 12, 0, 0);
  const hosts = { released: ['r1', 'r2'], unreleased: ['u1', 'u2', 'u3', 'u4'] };
  const query = (metric: string) => ({
    app: 'shop', release: { id: 'rel-1', batch: 1, deployedAt }, step, historyFrom: deployedAt - 2 * 86_400_000, until: deployedAt + 30 * step,
    hosts, metrics: [{ name: metric, category: 'middleware', direction: 'up' }],
  });
  beforeAll(() => {
    const points = [];
    for (let t = deployedAt - 2 * 86_400_000; t < deployedAt + 30 * step; t += step) {
      const day = 50 + 20 * Math.sin((2 * Math.PI * t) / 86_400_000);
      for (const h of [...hosts.released, ...hosts.unreleased]) {
        const noise = Math.sin(t / 7_000 + h.charCodeAt(1)) * 0.8;
        const bad = hosts.released.includes(h) && t >= deployedAt ? 25 : 0;
        points.push({ metric: 'rpc.rt', host: h, t, v: day + noise });
        points.push({ metric: 'rpc.rt_bad', host: h, t, v: day + noise + bad });
      }
    }
    service.ingest.write(points);
  });

  it('a healthy batch passes and a slower batch fails, from the same hosts and minutes', async () => {
    const good = await call('POST', '/v1/gate/evaluate', gateKey, { query: query('rpc.rt') });
    expect(good.body).toMatchObject({ decision: 'PASS' });
    const bad = await call('POST', '/v1/gate/evaluate', gateKey, { query: query('rpc.rt_bad') });
    expect(bad.body).toMatchObject({ decision: 'FAIL' });
    expect(bad.body.metrics[0]).toMatchObject({ name: 'rpc.rt_bad', anomalous: true, direction: 'up' });
  });

  it('a metric nobody reports is INCONCLUSIVE with the reason, never PASS', async () => {
    const r = await call('POST', '/v1/gate/evaluate', gateKey, { query: query('rpc.missing') });
    expect(r.body).toMatchObject({ decision: 'INCONCLUSIVE', basis: 'insufficient_data' });
    expect(r.body.reasons[0]).toMatch(/no metric could be judged/);
  });
});

describe('feedback and export', () => {
  it('labels a recording by feedback and exports it as a valid case', async () => {
    const c = toCaseJson(generateCase(v1Preset, 20_002, 'level shift up'));
    const evaluation = await call('POST', '/v1/gate/evaluate', gateKey, { case: c });
    const metric = c.label!.metrics[0];
    const wrongLabel = await call('POST', `/v1/evaluations/${evaluation.body.id}/feedback`, gateKey, { correct: true, labels: ['no.such.metric'] });
    expect(wrongLabel).toMatchObject({ status: 400, body: { field: 'body.labels.0' } });
    const fb = await call('POST', `/v1/evaluations/${evaluation.body.id}/feedback`, gateKey, { correct: true, labels: [metric], kind: 'level shift up' });
    expect(fb.status).toBe(200);
    expect((await call('POST', '/v1/evaluations/ev-nope/feedback', gateKey, { correct: true })).status).toBe(404);
    const exported = await call('GET', '/v1/evaluations/export', readKey);
    const lines = exported.text.trim().split('\n').map((l) => JSON.parse(l));
    const mine = lines.find((l) => l.id === evaluation.body.id);
    const parsed = parseCase(mine);
    expect(parsed.ok).toBe(true);
    expect(mine.label).toEqual({ bad: true, metrics: [metric], kind: 'level shift up' });
    const listed = await call('GET', '/v1/evaluations?labeled=true', readKey);
    expect(listed.body.evaluations.map((e: { id: string }) => e.id)).toContain(evaluation.body.id);
  });
});

describe('GET /v1/evaluations', () => {
  it('lists newest first by default, oldest first on request, by release and batch, without inputs', async () => {
    const base = { releaseId: 'list-order', decision: 'PASS', score: 1, input: { metrics: [{ name: 'cpu' }] }, verdict: { decision: 'PASS' }, feedback: null };
    for (const [id, batch, createdAt] of [['lo-1', 1, 1_000], ['lo-2', 1, 2_000], ['lo-3', 2, 3_000]] as const) {
      await service.store.saveEvaluation({ ...base, id, batch, createdAt });
    }
    const ids = async (query: string) => {
      const r = await call('GET', `/v1/evaluations?release=list-order${query}`, readKey);
      expect(r.status).toBe(200);
      return r.body.evaluations.map((e: { id: string }) => e.id);
    };
    expect(await ids('')).toEqual(['lo-3', 'lo-2', 'lo-1']);
    expect(await ids('&order=newest&limit=1')).toEqual(['lo-3']);
    expect(await ids('&order=oldest')).toEqual(['lo-1', 'lo-2', 'lo-3']);
    expect(await ids('&batch=1')).toEqual(['lo-2', 'lo-1']);
    const summary = (await call('GET', '/v1/evaluations?release=list-order&limit=1', readKey)).body.evaluations[0];
    expect(summary).toEqual({ id: 'lo-3', releaseId: 'list-order', batch: 2, createdAt: 3_000, decision: 'PASS', score: 1, feedback: null, report: '/v1/evaluations/lo-3' });
    const bad = await call('GET', '/v1/evaluations?order=sideways', readKey);
    expect(bad).toMatchObject({ status: 400, body: { field: 'query.order' } });
    expect((await call('GET', '/v1/evaluations?batch=first', readKey)).body.field).toBe('query.batch');
  });
});

describe('POST /v1/gate/evaluate with metric queries reads the service log ingest', () => {
  const step = 60_000;
  const deployedAt = Date.UTC(2026, 6, 1, 12, 0, 0);
  const hosts = { released: ['lr1', 'lr2'], unreleased: ['lu1', 'lu2', 'lu3', 'lu4'] };
  const query = (app: string, released = hosts.released) => ({
    app, release: { id: `rel-${app}`, batch: 1, deployedAt }, step, historyFrom: deployedAt - 2 * 86_400_000, until: deployedAt + 30 * step,
    hosts: { released, unreleased: hosts.unreleased }, metrics: [{ name: 'logs.rt', category: 'middleware', direction: 'up' }],
  });
  const NPE = 'java.lang.NullPointerException at com.acme.cart.Cart.total';
  beforeAll(async () => {
    const points = [];
    for (let t = deployedAt - 2 * 86_400_000; t < deployedAt + 30 * step; t += step) {
      for (const h of [...hosts.released, ...hosts.unreleased, 'lr3']) points.push({ metric: 'logs.rt', host: h, t, v: 50 + 20 * Math.sin((2 * Math.PI * t) / 86_400_000) + Math.sin(t / 7_000 + h.charCodeAt(2)) * 0.8 });
    }
    service.ingest.write(points);
    // A fatal exception never seen before the release, on the released hosts only, every minute after it.
    // Before it, every host logs the same background timeout (so the log history covers the release).
    const events = [];
    for (let t = deployedAt - 120 * step; t < deployedAt + 30 * step; t += 10 * step) for (const host of [...hosts.released, ...hosts.unreleased, 'lr3']) events.push({ host, at: t, signature: 'java.net.SocketTimeoutException at com.acme.rpc.Client.call', level: 'error', count: 1 });
    for (let t = deployedAt + step; t < deployedAt + 30 * step; t += step) for (const host of hosts.released) events.push({ host, at: t, signature: NPE, level: 'fatal', count: 3, message: 'boom' });
    const written = await fetch(`${service.url}/v1/logs/write`, { method: 'POST', body: events.map((e) => JSON.stringify(e)).join('\n'), headers: { authorization: `Bearer ${gateKey}`, 'content-type': 'application/x-ndjson' } });
    expect(written.status).toBeLessThan(300);
  });

  it('a batch whose healthy metrics hide a new fatal exception in the ingested logs FAILs on the logs', async () => {
    const r = await call('POST', '/v1/gate/evaluate', gateKey, { query: query('cart') });
    expect(r.body).toMatchObject({ decision: 'FAIL' });
    expect(r.body.reasons.join('\n')).toMatch(/logs/);
    const stored = await call('GET', r.body.report, readKey);
    expect(stored.body.input.logs.some((e: { signature: string; host: string }) => e.signature === NPE && hosts.released.includes(e.host))).toBe(true);
  });

  it('the same metrics on a released host without those logs PASS', async () => {
    const r = await call('POST', '/v1/gate/evaluate', gateKey, { query: query('cart-clean', ['lr3']) });
    expect(r.body).toMatchObject({ decision: 'PASS' });
  });
});
