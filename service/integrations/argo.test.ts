/**
 * Contract test of the Argo Rollouts web metric provider, over real HTTP.
 *
 * Where the shapes come from:
 * - the `web` provider (url, method, headers, jsonBody, timeoutSeconds; the JSON answer is
 *   `result`, or the `jsonPath` selection of it): https://argoproj.github.io/argo-rollouts/analysis/web/
 * - how a measurement's phase follows from `successCondition` and `failureCondition` (both false →
 *   Inconclusive; a failure condition wins): argoproj/argo-rollouts, utils/evaluate/evaluate.go
 *   (`EvaluateResult`);
 * - AnalysisTemplate args (`value`, `valueFrom.secretKeyRef`, `valueFrom.podTemplateHashValue`)
 *   and `{{ args.name }}` substitution: https://argoproj.github.io/argo-rollouts/features/analysis/
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { HOSTS, startHarness, type Harness } from './test/harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness.close();
});

// ---- the AnalysisTemplate fixture, as Argo would run it ----

interface WebProvider {
  url: string;
  method?: 'GET' | 'POST';
  headers?: { key: string; value: string }[];
  jsonBody?: Record<string, string>;
  timeoutSeconds?: number;
}
interface TemplateMetric {
  name: string;
  successCondition: string;
  failureCondition: string;
  provider: { web: WebProvider };
}
interface AnalysisTemplate {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: { args: { name: string; value?: string; valueFrom?: Record<string, unknown> }[]; metrics: TemplateMetric[] };
}

const templates = parseAllDocuments(readFileSync(new URL('./test/fixtures/argo-analysis-template.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as AnalysisTemplate);

/** Argo's `{{ args.name }}` substitution. */
const substitute = (text: string, args: Record<string, string>) =>
  text.replace(/\{\{\s*args\.([\w-]+)\s*\}\}/g, (_, name: string) => {
    if (!(name in args)) throw new Error(`no value for arg ${name}`);
    return args[name];
  });

/**
 * The few `expr` forms these conditions use: `a || b`, `a && b`, and comparisons of a `result.`
 * path with a string, number or boolean literal.
 */
function evalCondition(condition: string, result: unknown): boolean {
  if (condition.includes('||')) return condition.split('||').some((part) => evalCondition(part, result));
  if (condition.includes('&&')) return condition.split('&&').every((part) => evalCondition(part, result));
  const match = /^\s*(\S+)\s*(==|!=|>=|<=|>|<)\s*(.+?)\s*$/.exec(condition);
  if (!match) throw new Error(`unsupported condition: ${condition}`);
  const operand = (token: string): unknown => {
    if (token.startsWith('result')) return token.split('.').slice(1).reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], result);
    if (/^".*"$/.test(token)) return token.slice(1, -1);
    if (token === 'true' || token === 'false') return token === 'true';
    return Number(token);
  };
  const [left, right] = [operand(match[1]), operand(match[3])];
  switch (match[2]) {
    case '==': return left === right;
    case '!=': return left !== right;
    case '>=': return (left as number) >= (right as number);
    case '<=': return (left as number) <= (right as number);
    case '>': return (left as number) > (right as number);
    default: return (left as number) < (right as number);
  }
}

/** Argo's EvaluateResult with both conditions set. */
function phase(metric: TemplateMetric, result: unknown): 'Successful' | 'Failed' | 'Inconclusive' {
  const success = evalCondition(metric.successCondition, result);
  const failure = evalCondition(metric.failureCondition, result);
  if (failure) return 'Failed';
  return success ? 'Successful' : 'Inconclusive';
}

/** One measurement: the request Argo's web provider sends, then the phase of its answer. */
async function measure(template: AnalysisTemplate, args: Record<string, string>) {
  const metric = template.spec.metrics[0];
  const web = metric.provider.web;
  const defaults = Object.fromEntries(template.spec.args.filter((a) => a.value !== undefined).map((a) => [a.name, a.value!]));
  const all = { ...defaults, ...args };
  const url = substitute(web.url, all).replace('http://sluice.sluice.svc:8080', harness.server.url);
  const headers = Object.fromEntries((web.headers ?? []).map((h) => [h.key, substitute(h.value, all)]));
  const body = web.jsonBody ? JSON.stringify(Object.fromEntries(Object.entries(web.jsonBody).map(([k, v]) => [k, substitute(v, all)]))) : undefined;
  const response = await fetch(url, { method: web.method ?? 'GET', headers, body });
  const result = (await response.json()) as Record<string, unknown>;
  return { status: response.status, result, phase: response.ok ? phase(metric, result) : 'Error' };
}

const [postTemplate, getTemplate] = templates;
const argsFor = (metrics: string) => ({ app: 'shop', 'canary-hash': HOSTS.released.join(','), 'stable-hash': HOSTS.unreleased.join(','), metrics, 'sluice-key': harness.gateKey });

describe('the documented AnalysisTemplate', () => {
  it('is two AnalysisTemplates whose web provider reads Sluice\'s decision', () => {
    expect(templates.map((t) => [t.kind, t.metadata.name])).toEqual([['AnalysisTemplate', 'sluice-gate'], ['AnalysisTemplate', 'sluice-gate-get']]);
    for (const template of templates) {
      const metric = template.spec.metrics[0];
      expect(metric.successCondition).toBe('result.decision == "PASS"');
      expect(metric.failureCondition).toBe('result.decision == "FAIL"');
      expect(metric.provider.web.url).toContain('/v1/integrations/argo/judge');
      expect(metric.provider.web.headers).toContainEqual({ key: 'Authorization', value: 'Bearer {{ args.sluice-key }}' });
      expect(template.spec.args.find((a) => a.name === 'sluice-key')?.valueFrom).toEqual({ secretKeyRef: { name: 'sluice', key: 'api-key' } });
    }
    expect(postTemplate.spec.metrics[0].provider.web.method).toBe('POST');
  });

  for (const [name, template] of [['POST jsonBody', () => postTemplate], ['GET query', () => getTemplate]] as const) {
    it(`${name}: a healthy canary is Successful, a slower one Failed, one without data Inconclusive`, async () => {
      const healthy = await measure(template(), argsFor('rpc.rt:middleware:up'));
      expect(healthy).toMatchObject({ status: 200, phase: 'Successful', result: { decision: 'PASS', passed: true, failed: false, inconclusive: false } });
      const slower = await measure(template(), argsFor('rpc.rt_bad:middleware:up'));
      expect(slower).toMatchObject({ status: 200, phase: 'Failed', result: { decision: 'FAIL', passed: false, failed: true } });
      expect(slower.result.score).toBeGreaterThanOrEqual(60);
      const blind = await measure(template(), argsFor('rpc.missing:middleware:up'));
      expect(blind).toMatchObject({ status: 200, phase: 'Inconclusive', result: { decision: 'INCONCLUSIVE', inconclusive: true } });
      expect(blind.result.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/no metric could be judged/)]));
    });
  }

  it('records every measurement as an evaluation and audits who asked, GET included', async () => {
    const { result } = await measure(getTemplate, argsFor('rpc.rt_bad:middleware:up'));
    const record = await harness.store.getEvaluation(result.evaluation as string);
    expect(record).toMatchObject({ decision: 'FAIL', releaseId: null });
    expect(result.report).toBe(`/v1/evaluations/${result.evaluation}`);
    const audit = await harness.store.listAudit({ target: `evaluation:${result.evaluation}` });
    expect(audit).toEqual([expect.objectContaining({ action: 'argo.judge', result: 'ok' })]);
    expect(audit[0].keyId).not.toBeNull();
  });

  it('the conditions read nothing but `decision`: every answer field Argo may show is present', async () => {
    const { result } = await measure(postTemplate, argsFor('rpc.rt:middleware:up'));
    expect(Object.keys(result).sort()).toEqual(['anomalies', 'basis', 'decision', 'evaluation', 'failed', 'inconclusive', 'passed', 'reasons', 'report', 'score'].sort());
  });
});

describe('the OpenAPI document', () => {
  it('lists every integration endpoint', async () => {
    const document = (await harness.server.call('GET', '/v1/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const paths = Object.keys(document.paths).filter((p) => p.startsWith('/v1/integrations/'));
    expect(paths.sort()).toEqual([
      '/v1/integrations/argo/judge',
      ...['confirm-promotion', 'confirm-rollout', 'confirm-traffic-increase', 'post-rollout', 'pre-rollout', 'rollback', 'rollout'].map((h) => `/v1/integrations/flagger/${h}`),
      '/v1/integrations/kayenta/judge',
    ]);
    expect(Object.keys(document.paths['/v1/integrations/argo/judge']).sort()).toEqual(['get', 'post']);
  });
});

describe('/v1/integrations/argo/judge errors (Argo records them as Error measurements)', () => {
  const query = `app=shop&released=r1,r2&unreleased=u1,u2&metrics=rpc.rt&since=30m`;

  it('401 without a key or with an unknown one; 403 for a key without the gate scope', async () => {
    expect((await harness.server.call('GET', `/v1/integrations/argo/judge?${query}`)).status).toBe(401);
    expect((await harness.server.call('GET', `/v1/integrations/argo/judge?${query}`, { key: 'slk_nope_nope' })).status).toBe(401);
    const forbidden = await harness.server.call('POST', '/v1/integrations/argo/judge', { key: harness.readKey, body: { app: 'shop', released: 'r1', metrics: 'rpc.rt', since: '30m' } });
    expect(forbidden).toMatchObject({ status: 403, body: { code: 'forbidden' } });
  });

  it('400 naming the parameter and the reason', async () => {
    const call = (q: string) => harness.server.call('GET', `/v1/integrations/argo/judge?${q}`, { key: harness.gateKey });
    expect((await call('app=shop&metrics=rpc.rt&since=30m')).body).toMatchObject({ status: 400, field: 'query.released' });
    expect((await call('app=shop&released=r1&metrics=rpc.rt')).body).toMatchObject({ field: 'query.deployedAt', reason: expect.stringContaining('since') });
    expect((await call('app=shop&released=r1&metrics=rpc.rt&since=soon')).body).toMatchObject({ field: 'query.since' });
    expect((await call('app=shop&released=r1&metrics=rpc.rt:bogus&since=30m')).body).toMatchObject({ field: 'query.metrics.0.category', reason: expect.stringContaining('business') });
    expect((await call(`${query}&policy={"failThreshold":400}`)).body).toMatchObject({ field: 'query.policy.failThreshold' });
    const post = await harness.server.call('POST', '/v1/integrations/argo/judge', { key: harness.gateKey, body: { app: 'shop', released: 'r1', metrics: 'rpc.rt', deployedAt: 'yesterday' } });
    expect(post.body).toMatchObject({ status: 400, field: 'body.deployedAt' });
  });
});
