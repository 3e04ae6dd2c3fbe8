/**
 * Contract test of the Kayenta remote judge, over real HTTP.
 *
 * Where the shapes come from (spinnaker/kayenta, also vendored as spinnaker/spinnaker kayenta/…):
 * - the request `RemoteJudgeRequest { canaryConfig, scoreThresholds, metricSetPairList }` and the
 *   call `POST <endpoint.baseUrl>judge`: kayenta-judge/.../judge/model/RemoteJudgeRequest.java,
 *   judge/service/RemoteJudgeService.java, judge/RemoteJudge.java;
 * - `MetricSetPair { name, id, tags, values: { control, experiment }, scopes, attributes }`:
 *   kayenta-core/.../metrics/MetricSetPair.java;
 * - `CanaryConfig` (metrics with `groups` and `analysisConfigurations.canary.{direction, critical,
 *   mustHaveData, muted}`, `classifier.groupWeights`, `judge.judgeConfigurations`) and
 *   `CanaryClassifierThresholdsConfig { pass, marginal }`: kayenta-core/.../canary/, and how the
 *   built-in judge reads them: kayenta-judge/.../judge/NetflixACAJudge.scala;
 * - the answer `CanaryJudgeResult { judgeName, results, groupScores, score }`,
 *   `CanaryAnalysisResult`, `CanaryJudgeGroupScore`, `CanaryJudgeScore`:
 *   kayenta-core/.../canary/results/;
 * - the labels (Pass, High, Low, Nodata, NodataFailMetric, Error) and the scoring this judge keeps:
 *   kayenta-judge/.../classifiers/metric/BaseMetricClassifier.scala, scorers/WeightedSumScorer.scala,
 *   classifiers/score/ThresholdScoreClassifier.scala.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyScore, weightedScore, type CanaryAnalysisResult } from './kayenta.js';
import { startHarness, type Harness } from './test/harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness.close();
});

const start = Date.UTC(2026, 5, 1, 12, 0, 0);
const step = 60_000;
/** A deterministic irregular sample around `level` (±5). */
const noisy = (level: number, seed: number, n = 60) => Array.from({ length: n }, (_, i) => level + (((i + seed) * 7919) % 101) / 10 - 5);
const scope = { startTimeIso: new Date(start).toISOString(), startTimeMillis: start, endTimeIso: new Date(start + 60 * step).toISOString(), endTimeMillis: start + 60 * step, step: 60, stepMillis: step };

type Values = (number | null | 'NaN')[];
const pair = (name: string, control: Values, experiment: Values, tags: Record<string, string> = {}) => ({
  name, id: `${name}-${Object.values(tags).join('-') || 'all'}`, tags,
  values: { control, experiment },
  scopes: { control: { ...scope, scope: 'shop-baseline' }, experiment: { ...scope, scope: 'shop-canary' } },
  attributes: { control: { query: `avg(${name}{version="baseline"})` }, experiment: { query: `avg(${name}{version="canary"})` } },
});

const metricConfig = (name: string, group: string, canary: Record<string, unknown> = { direction: 'increase' }) => ({
  name, query: { type: 'prometheus', metricName: name }, groups: [group], analysisConfigurations: { canary }, scopeName: 'default',
});

/** A request as Kayenta's RemoteJudge builds it. */
function request(pairs: ReturnType<typeof pair>[], options: { judgeConfigurations?: Record<string, unknown>; metrics?: ReturnType<typeof metricConfig>[]; weights?: Record<string, number>; thresholds?: { pass: number; marginal: number } } = {}) {
  return {
    canaryConfig: {
      name: 'shop-canary', applications: ['shop'], configVersion: '1', description: 'golden signals',
      judge: { name: 'RemoteJudge-v1.0', judgeConfigurations: options.judgeConfigurations ?? {} },
      metrics: options.metrics ?? [metricConfig('latency', 'Latency'), metricConfig('errors', 'Errors'), metricConfig('cpu', 'System', { direction: 'either' })],
      classifier: { groupWeights: options.weights ?? { Latency: 50, Errors: 30, System: 20 } },
      templates: {},
    },
    scoreThresholds: options.thresholds ?? { pass: 95, marginal: 75 },
    metricSetPairList: pairs,
  };
}

const healthy = () => [pair('latency', noisy(100, 3), noisy(100, 1)), pair('errors', noisy(10, 3), noisy(10, 1)), pair('cpu', noisy(40, 3), noisy(40, 1))];
/** Sends a request as Kayenta would, with the gate key in the header unless `key` says otherwise (null: none). */
const judge = (body: unknown, key: string | null = harness.gateKey) => harness.server.call('POST', '/v1/integrations/kayenta/judge', { body, key: key ?? undefined });

describe('POST /v1/integrations/kayenta/judge', () => {
  it('a healthy canary: every metric Pass, every group 100, score 100 Pass, in CanaryJudgeResult\'s shape', async () => {
    const r = await judge(request(healthy()));
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['groupScores', 'judgeName', 'results', 'score']);
    expect(r.body.judgeName).toBe('SluiceJudge-v1.0');
    expect(r.body.results.map((m: CanaryAnalysisResult) => [m.name, m.classification])).toEqual([['latency', 'Pass'], ['errors', 'Pass'], ['cpu', 'Pass']]);
    const latency = r.body.results[0];
    expect(Object.keys(latency).sort()).toEqual(['classification', 'classificationReason', 'controlMetadata', 'critical', 'experimentMetadata', 'groups', 'id', 'muted', 'name', 'resultMetadata', 'tags']);
    expect(latency).toMatchObject({ id: 'latency-all', groups: ['Latency'], critical: false, experimentMetadata: { stats: { count: 60 } }, resultMetadata: { rankTest: 'Pass' } });
    expect(r.body.groupScores).toEqual(expect.arrayContaining([{ name: 'Latency', score: 100, classification: '', classificationReason: '' }]));
    expect(r.body.score).toMatchObject({ score: 100, classification: 'Pass' });
    expect(r.body.score.classificationReason).toMatch(/^Sluice PASS \(score \d+\.\d, evaluation ev-/);
    const evaluation = latency.resultMetadata.evaluation as string;
    expect(await harness.store.getEvaluation(evaluation)).toMatchObject({ decision: 'PASS', releaseId: null });
  });

  it('a slower canary: latency High (as the rank test says), the Latency group 0, score 50 Fail', async () => {
    const pairs = healthy();
    pairs[0] = pair('latency', noisy(100, 3), noisy(150, 1));
    const r = await judge(request(pairs));
    expect(r.body.results[0]).toMatchObject({ classification: 'High', resultMetadata: { rankTest: 'High', sluiceDirection: 'up' } });
    expect(r.body.results[0].resultMetadata.ratio).toBeCloseTo(1.5, 1);
    expect(r.body.groupScores).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Latency', score: 0 })]));
    expect(r.body.score).toMatchObject({ score: 50, classification: 'Fail' });
  });

  it('a fall is Low when the config watches decreases, and Pass when it watches only increases', async () => {
    const pairs = healthy();
    pairs[0] = pair('latency', noisy(100, 3), noisy(50, 1));
    const watchingFalls = await judge(request(pairs, { metrics: [metricConfig('latency', 'Latency', { direction: 'decrease' }), metricConfig('errors', 'Errors'), metricConfig('cpu', 'System')] }));
    expect(watchingFalls.body.results[0].classification).toBe('Low');
    const watchingRises = await judge(request(pairs));
    expect(watchingRises.body.results[0].classification).toBe('Pass');
  });

  it('a non-passing critical metric gives 0, as Kayenta does', async () => {
    const pairs = healthy();
    pairs[1] = pair('errors', noisy(10, 3), noisy(40, 1));
    const r = await judge(request(pairs, { metrics: [metricConfig('latency', 'Latency'), metricConfig('errors', 'Errors', { direction: 'increase', critical: true }), metricConfig('cpu', 'System')] }));
    expect(r.body.results[1]).toMatchObject({ classification: 'High', critical: true });
    expect(r.body.score).toMatchObject({ score: 0, classification: 'Fail' });
    expect(r.body.score.classificationReason).toMatch(/^Canary Failed: critical metric errors is High/);
  });

  it('Nodata for series without values (Jackson\'s "NaN" and null); half or more Nodata gives 0', async () => {
    const empty: Values = Array.from({ length: 60 }, (_, i) => (i % 2 ? 'NaN' : null));
    const pairs = [pair('latency', empty, empty), pair('errors', empty, empty), pair('cpu', noisy(40, 3), noisy(40, 1))];
    const r = await judge(request(pairs));
    expect(r.body.results.map((m: CanaryAnalysisResult) => m.classification)).toEqual(['Nodata', 'Nodata', 'Pass']);
    expect(r.body.results[0].experimentMetadata).toEqual({ stats: { count: 0, mean: null, median: null, min: null, max: null } });
    expect(r.body.score).toMatchObject({ score: 0, classification: 'Fail' });
    expect(r.body.score.classificationReason).toMatch(/^Canary Failed: 50% or more metrics returned NODATA; Sluice INCONCLUSIVE/);
    const required = await judge(request(pairs, { metrics: [metricConfig('latency', 'Latency', { mustHaveData: true }), metricConfig('errors', 'Errors'), metricConfig('cpu', 'System')] }));
    expect(required.body.results[0].classification).toBe('NodataFailMetric');
  });

  it('Sluice\'s decision bounds the score: INCONCLUSIVE stays under pass (Marginal), FAIL under marginal', async () => {
    const empty: Values = Array.from({ length: 60 }, () => null);
    const oneBlind = [pair('latency', noisy(100, 3), noisy(100, 1)), pair('errors', empty, empty), pair('cpu', noisy(40, 3), noisy(40, 1))];
    const inconclusive = await judge(request(oneBlind, { judgeConfigurations: { policy: { minData: { maxInsufficientFraction: 0 } } } }));
    expect(inconclusive.body.score).toMatchObject({ score: 94.99, classification: 'Marginal' });
    expect(inconclusive.body.score.classificationReason).toContain('Sluice INCONCLUSIVE');
    const lightLatency = healthy();
    lightLatency[0] = pair('latency', noisy(100, 3), noisy(150, 1));
    const failed = await judge(request(lightLatency, { weights: { Latency: 10, Errors: 45, System: 45 } }));
    expect(failed.body.score).toMatchObject({ score: 74.99, classification: 'Fail' });
    expect(failed.body.score.classificationReason).toMatch(/^Sluice FAIL .*under the marginal threshold$/);
  });

  it('pairs sharing a metric name (one per tag set) are judged apart and keep their tags', async () => {
    const pairs = [pair('latency', noisy(100, 3), noisy(100, 1), { region: 'us' }), pair('latency', noisy(100, 4), noisy(160, 2), { region: 'eu' })];
    const r = await judge(request(pairs, { metrics: [metricConfig('latency', 'Latency')], weights: {} }));
    expect(r.body.results.map((m: CanaryAnalysisResult) => [m.name, m.tags, m.classification])).toEqual([['latency', { region: 'us' }, 'Pass'], ['latency', { region: 'eu' }, 'High']]);
    expect(r.body.score).toMatchObject({ score: 50, classification: 'Fail' });
  });

  it('records under judgeConfigurations.release and audits the call with its key', async () => {
    const r = await judge(request(healthy(), { judgeConfigurations: { release: 'rel-spin-9' } }));
    const evaluation = r.body.results[0].resultMetadata.evaluation as string;
    expect(await harness.store.getEvaluation(evaluation)).toMatchObject({ releaseId: 'rel-spin-9' });
    const audit = await harness.store.listAudit({ limit: 1000 });
    expect(audit.find((a) => a.target.startsWith(`evaluation:${evaluation} key:`))).toMatchObject({ action: 'kayenta.judge', result: 'ok' });
  });
});

describe('Kayenta remote judge errors', () => {
  it('401 without a key or with an unknown one, 403 without the gate scope; the key may ride in judgeConfigurations.apiKey', async () => {
    expect(await judge(request(healthy()), null)).toMatchObject({ status: 401, body: { field: 'authorization' } });
    expect(await judge(request(healthy(), { judgeConfigurations: { apiKey: 'slk_00_wrong' } }), null)).toMatchObject({ status: 401, body: { field: 'body.canaryConfig.judge.judgeConfigurations.apiKey' } });
    expect(await judge(request(healthy()), harness.readKey)).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    expect((await judge(request(healthy(), { judgeConfigurations: { apiKey: harness.gateKey } }), null)).status).toBe(200);
  });

  it('400 naming the field', async () => {
    const unknown = await judge(request([pair('latency', [1, 2, 3], [1, 2, 3]), pair('memory', [1, 2, 3], [1, 2, 3])]));
    expect(unknown.body).toMatchObject({ status: 400, field: 'body.metricSetPairList.1.name', reason: 'no metric "memory" in canaryConfig.metrics' });
    expect((await judge(request(healthy(), { thresholds: { pass: 70, marginal: 80 } }))).body).toMatchObject({ field: 'body.scoreThresholds.marginal' });
    const noExperiment = request(healthy()) as { metricSetPairList: { values: Record<string, unknown> }[] };
    delete noExperiment.metricSetPairList[0].values.experiment;
    expect((await judge(noExperiment)).body).toMatchObject({ field: 'body.metricSetPairList.0.values.experiment' });
    expect((await judge(request(healthy(), { judgeConfigurations: { policy: { sensitivity: 50 } } }))).body).toMatchObject({ field: 'body.canaryConfig.judge.judgeConfigurations.policy.sensitivity' });
    expect((await judge(request(healthy(), { judgeConfigurations: { policy: 'strict' } }))).body).toMatchObject({ field: 'body.canaryConfig.judge.judgeConfigurations.policy' });
  });
});

describe('weightedScore(results, groupWeights) — Kayenta\'s WeightedSumScorer', () => {
  const result = (name: string, group: string, classification: CanaryAnalysisResult['classification'], extra: Partial<CanaryAnalysisResult> = {}): CanaryAnalysisResult => ({
    name, id: name, tags: {}, classification, classificationReason: '', groups: [group], experimentMetadata: {}, controlMetadata: {}, resultMetadata: {}, critical: false, muted: false, ...extra,
  });

  it('unweighted groups share what the weights leave; a group without countable labels counts 100; muted results do not count', () => {
    const results = [
      result('a1', 'A', 'Pass'),
      result('b1', 'B', 'Pass'), result('b2', 'B', 'High'), result('b3', 'B', 'Low', { muted: true }),
      result('c1', 'C', 'Nodata'),
      result('d1', 'D', 'Pass'), result('d2', 'D', 'NodataFailMetric'),
    ];
    // A: 100 × 0.40; B: 50 × 0.20; C: no data → 100 × 0.20; D: 50 × 0.20 → 40 + 10 + 20 + 10.
    const scored = weightedScore(results, { A: 40 });
    expect(scored.score).toBe(80);
    expect(scored.groups.find((g) => g.name === 'C')).toEqual({ name: 'C', score: 0, noData: true });
  });

  it('a critical metric that does not pass, or half the metrics Nodata, gives 0 with the reason', () => {
    expect(weightedScore([result('a', 'A', 'Pass'), result('b', 'B', 'Low', { critical: true })], {})).toMatchObject({ score: 0, reason: expect.stringContaining('critical metric b is Low') });
    expect(weightedScore([result('a', 'A', 'Pass'), result('b', 'B', 'Nodata')], {})).toMatchObject({ score: 0, reason: 'Canary Failed: 50% or more metrics returned NODATA' });
    expect(weightedScore([result('a', 'A', 'Pass'), result('b', 'A', 'Pass'), result('c', 'B', 'Nodata')], {})).toMatchObject({ score: 100, reason: null });
  });
});

describe('classifyScore(score, thresholds) — Kayenta\'s ThresholdScoreClassifier', () => {
  it('Pass at or above pass, Marginal at or above marginal, else Fail', () => {
    const thresholds = { pass: 95, marginal: 75 };
    expect([95, 94.99, 75, 74.99, 0].map((s) => classifyScore(s, thresholds))).toEqual(['Pass', 'Marginal', 'Marginal', 'Fail', 'Fail']);
  });
});

describe('weightedScore(results, groupWeights): properties', () => {
  const labels = ['Pass', 'High', 'Low', 'Nodata', 'NodataFailMetric'] as const;
  const results = fc.array(fc.record({ group: fc.constantFrom('A', 'B', 'C'), label: fc.constantFrom(...labels), critical: fc.boolean(), muted: fc.boolean() }), { minLength: 1, maxLength: 12 });
  const toResults = (rows: { group: string; label: (typeof labels)[number]; critical: boolean; muted: boolean }[]): CanaryAnalysisResult[] =>
    rows.map((r, i) => ({ name: `m${i}`, id: `m${i}`, tags: {}, classification: r.label, classificationReason: '', groups: [r.group], experimentMetadata: {}, controlMetadata: {}, resultMetadata: {}, critical: r.critical, muted: r.muted }));

  it('scores in 0–100 without weights; 100 when every metric passes, 0 when every metric is muted (nothing scored), as Kayenta', () => {
    fc.assert(fc.property(results, (rows) => {
      const score = weightedScore(toResults(rows), {}).score;
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(100);
      const allPass = weightedScore(toResults(rows.map((r) => ({ ...r, label: 'Pass' as const }))), {}).score;
      expect(allPass).toBe(rows.every((r) => r.muted) ? 0 : 100);
    }));
  });

  it('turning a passing metric into High never raises the score', () => {
    fc.assert(fc.property(results, fc.nat(), (rows, pick) => {
      const passing = rows.map((r, i) => (r.label === 'Pass' ? i : -1)).filter((i) => i >= 0);
      fc.pre(passing.length > 0);
      const worse = rows.map((r, i) => (i === passing[pick % passing.length] ? { ...r, label: 'High' as const } : r));
      expect(weightedScore(toResults(worse), {}).score).toBeLessThanOrEqual(weightedScore(toResults(rows), {}).score);
    }));
  });
});
