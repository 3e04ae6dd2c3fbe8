/**
 * Contract test of the Flagger webhooks, over real HTTP.
 *
 * Where the shapes come from:
 * - the payload Flagger POSTs, `CanaryWebhookPayload { name, namespace, phase, checksum, metadata
 *   map[string]string }`: fluxcd/flagger, pkg/apis/flagger/v1beta1/canary.go; the phases
 *   (`Progressing`, `Waiting`, `WaitingPromotion`, `Promoting`, `Succeeded`, `Failed`, …): the same
 *   package, status.go;
 * - how Flagger reads the answer (JSON POST; an HTTP status above 202 is a failed hook, its body
 *   the error message): fluxcd/flagger, pkg/controller/webhook.go (`CallWebhook`);
 * - what each hook type means (confirm-rollout, confirm-traffic-increase and confirm-promotion wait
 *   while not 2xx; pre-rollout
 *   and rollout count failed checks; post-rollout is only logged; rollback rolls back on 2xx while
 *   the canary is Progressing or Waiting): https://docs.flagger.app/usage/webhooks
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/gate/verdict.js';
import { DEPLOYED_AT, HOSTS, NOW, startHarness, type Harness } from './test/harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness.close();
});

/** What Flagger sends for one webhook of a Canary named `podinfo` in namespace `test`. */
const payload = (metadata: Record<string, string>, canary = { name: 'podinfo', namespace: 'test' }) => ({
  ...canary, phase: 'Progressing', checksum: '6d5c8f7b9', metadata,
});

/** Webhook metadata as it would sit in the Canary spec (every value a string). */
const judging = (metric: string, extra: Record<string, string> = {}) => ({
  apiKey: harness.gateKey,
  app: 'shop',
  released: HOSTS.released.join(','),
  unreleased: HOSTS.unreleased.join(','),
  metrics: metric,
  deployedAt: new Date(DEPLOYED_AT).toISOString(),
  until: String(NOW),
  ...extra,
});

const hook = (name: string, body: unknown, key?: string) => harness.server.call('POST', `/v1/integrations/flagger/${name}`, { body, key });

describe('Flagger webhooks that judge the canary described in their metadata', () => {
  it('rollout and pre-rollout proceed (200) on PASS and halt (412, reason in the body) on FAIL or INCONCLUSIVE', async () => {
    for (const name of ['rollout', 'pre-rollout', 'confirm-rollout', 'confirm-traffic-increase', 'confirm-promotion']) {
      const good = await hook(name, payload(judging('rpc.rt:middleware:up')));
      expect(good).toMatchObject({ status: 200, body: { hook: name, canary: 'test/podinfo', proceed: true, verdict: { decision: 'PASS' } } });
    }
    const bad = await hook('rollout', payload(judging('rpc.rt_bad:middleware:up')));
    expect(bad).toMatchObject({ status: 412, body: { proceed: false, verdict: { decision: 'FAIL' } } });
    expect(bad.body.reason).toMatch(/^halt: release flagger\/test\/podinfo: FAIL \(score \d+\.\d\) — rpc\.rt_bad/);
    const blind = await hook('rollout', payload(judging('rpc.missing:middleware:up')));
    expect(blind).toMatchObject({ status: 412, body: { proceed: false, verdict: { decision: 'INCONCLUSIVE' } } });
  });

  it('rollback answers 200 (roll back) only on FAIL', async () => {
    expect(await hook('rollback', payload(judging('rpc.rt_bad:middleware:up')))).toMatchObject({ status: 200, body: { rollback: true } });
    expect(await hook('rollback', payload(judging('rpc.rt:middleware:up')))).toMatchObject({ status: 412, body: { rollback: false } });
    expect(await hook('rollback', payload(judging('rpc.missing:middleware:up')))).toMatchObject({ status: 412, body: { rollback: false } });
  });

  it('post-rollout always answers 200 and records the final verdict', async () => {
    const answer = await hook('post-rollout', payload(judging('rpc.rt_bad:middleware:up')));
    expect(answer).toMatchObject({ status: 200, body: { verdict: { decision: 'FAIL' } } });
    const record = await harness.store.getEvaluation(answer.body.verdict.evaluation);
    expect(record).toMatchObject({ releaseId: 'flagger/test/podinfo', decision: 'FAIL' });
    expect((record!.verdict as Verdict).release.version).toBe('6d5c8f7b9');
  });

  it('records under metadata.release when given, and audits the call with the key that made it', async () => {
    const answer = await hook('rollout', payload(judging('rpc.rt:middleware:up', { release: 'rel-77', batch: '2' })));
    const record = await harness.store.getEvaluation(answer.body.verdict.evaluation);
    expect(record).toMatchObject({ releaseId: 'rel-77', batch: 2 });
    const audit = await harness.store.listAudit({ limit: 1000 });
    const entry = audit.find((a) => a.target.includes(answer.body.verdict.evaluation));
    expect(entry).toMatchObject({ action: 'flagger.rollout', result: 'ok' });
    expect(entry!.target).toMatch(/^canary:test\/podinfo evaluation:ev-\S+ key:[0-9a-f]+$/);
  });
});

describe('Flagger webhooks that read the latest recorded verdict', () => {
  it('reads the canary\'s own latest evaluation when the metadata describes no batch', async () => {
    const canary = { name: 'checkout', namespace: 'shop' };
    const none = await hook('confirm-promotion', payload({ apiKey: harness.gateKey }, canary));
    expect(none).toMatchObject({ status: 412, body: { proceed: false, verdict: null, reason: 'halt: no evaluation yet for app checkout in shop' } });
    const failed = await hook('rollout', payload(judging('rpc.rt_bad:middleware:up'), canary));
    const promotion = await hook('confirm-promotion', payload({ apiKey: harness.gateKey }, canary));
    expect(promotion).toMatchObject({ status: 412, body: { verdict: { decision: 'FAIL', evaluation: failed.body.verdict.evaluation } } });
    expect(await hook('rollback', payload({ apiKey: harness.gateKey }, canary))).toMatchObject({ status: 200, body: { rollback: true } });
    harness.advance(60_000);
    await hook('rollout', payload(judging('rpc.rt:middleware:up'), canary));
    expect(await hook('confirm-promotion', payload({ apiKey: harness.gateKey }, canary))).toMatchObject({ status: 200, body: { proceed: true } });
  });

  it('falls back to the newest release order of the app in the namespace\'s environment', async () => {
    await harness.store.createRelease({ id: 'rel-cart-1', app: 'cart', environment: 'prod', state: 'running', spec: {}, createdAt: NOW - 10_000, updatedAt: NOW - 10_000 });
    const verdict = { decision: 'FAIL', basis: 'critical', anomalies: 1, reasons: ['rpc.errors is critical'], score: 91 };
    await harness.store.saveEvaluation({ id: 'ev-cart-1', releaseId: 'rel-cart-1', batch: 1, createdAt: NOW - 5_000, decision: 'FAIL', score: 91, input: {}, verdict, feedback: null });
    const answer = await hook('confirm-rollout', payload({ apiKey: harness.gateKey }, { name: 'cart', namespace: 'prod' }));
    expect(answer).toMatchObject({ status: 412, body: { verdict: { decision: 'FAIL', evaluation: 'ev-cart-1', report: '/v1/evaluations/ev-cart-1', reasons: ['rpc.errors is critical'] } } });
    expect(answer.body.reason).toBe('halt: release rel-cart-1: FAIL (score 91.0) — rpc.errors is critical');
    const byApp = await hook('rollback', payload({ apiKey: harness.gateKey, app: 'cart', environment: 'prod' }, { name: 'cart-canary', namespace: 'other' }));
    expect(byApp).toMatchObject({ status: 200, body: { rollback: true } });
    expect(await hook('post-rollout', payload({ apiKey: harness.gateKey }, { name: 'nothing', namespace: 'here' }))).toMatchObject({ status: 200, body: { verdict: null } });
  });
});

describe('Flagger webhook errors', () => {
  it('401 without a key, or with an unknown one; 403 for a key without the gate scope; the Authorization header works too', async () => {
    const noKey = await hook('rollout', payload({ app: 'shop' }));
    expect(noKey).toMatchObject({ status: 401, body: { field: 'authorization', reason: expect.stringContaining('body.metadata.apiKey') } });
    expect(await hook('rollout', payload({ apiKey: 'slk_00_nope' }))).toMatchObject({ status: 401, body: { field: 'body.metadata.apiKey' } });
    expect(await hook('rollout', payload({ apiKey: harness.readKey }))).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    const { apiKey: _key, ...metadata } = judging('rpc.rt:middleware:up');
    expect(await hook('rollout', payload(metadata), harness.gateKey)).toMatchObject({ status: 200, body: { proceed: true } });
  });

  it('429 with Retry-After once a key has spent its rate limit, whether the key came in the header or the metadata', async () => {
    const limited = await startHarness({ rateLimit: { ratePerSecond: 0.01, burst: 2 } });
    try {
      const call = (metadata: Record<string, string>, key?: string) => limited.server.call('POST', '/v1/integrations/flagger/confirm-promotion', { body: payload(metadata), key });
      expect((await call({ apiKey: limited.gateKey })).status).toBe(412);
      expect((await call({}, limited.gateKey)).status).toBe(412);
      const refused = await call({ apiKey: limited.gateKey });
      expect(refused).toMatchObject({ status: 429, body: { code: 'rate_limited' } });
      expect(refused.headers.get('retry-after')).toBe('100');
    } finally {
      await limited.close();
    }
  });

  it('400 naming the field for a payload that is not Flagger\'s or metadata that does not describe a batch', async () => {
    expect((await hook('rollout', { name: 'podinfo', metadata: { apiKey: harness.gateKey } })).body).toMatchObject({ status: 400, field: 'body.namespace' });
    expect((await hook('rollout', { ...payload({}), metadata: { apiKey: harness.gateKey, batch: 3 } })).body).toMatchObject({ status: 400, field: 'body.metadata.batch' });
    expect((await hook('rollout', payload(judging('rpc.rt:bogus')))).body).toMatchObject({ status: 400, field: 'body.metadata.metrics.0.category' });
    expect((await hook('rollout', payload(judging('rpc.rt', { deployedAt: 'last tuesday' })))).body).toMatchObject({ status: 400, field: 'body.metadata.deployedAt' });
    expect((await hook('rollout', payload(judging('rpc.rt', { policy: '{"sensitivity":50}' })))).body).toMatchObject({ status: 400, field: 'body.metadata.policy.sensitivity' });
    expect((await harness.server.call('POST', '/v1/integrations/flagger/event', { body: payload({}) })).status).toBe(404);
  });
});
