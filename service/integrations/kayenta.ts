/**
 * Spinnaker/Kayenta remote judge. Kayenta's `RemoteJudge` POSTs a `RemoteJudgeRequest`
 * (`canaryConfig`, `scoreThresholds`, `metricSetPairList`) to `<endpoint.baseUrl>judge` and reads a
 * `CanaryJudgeResult` back. Sluice judges the pairs as one batch — experiment = released,
 * control = unreleased, over the same minutes (no history: the released-vs-unreleased views
 * decide) — records it like every gate call, and answers in Kayenta's shape:
 *
 * - per metric: `High`/`Low` when Sluice finds the metric anomalous (by the direction it moved),
 *   `Nodata` when it could not judge it (`NodataFailMetric` when the metric config says
 *   `mustHaveData`), otherwise `Pass`; the rank test's own Kayenta-style label, Sluice's metric
 *   score and the mean ratio go in `resultMetadata`;
 * - group scores and the summary score as Kayenta's weighted-sum scorer computes them (share of
 *   passing metrics per group, weighted by `classifier.groupWeights`; a non-passing critical metric
 *   or 50 % or more `Nodata` metrics gives 0);
 * - Sluice's batch decision then bounds that score: INCONCLUSIVE stays just under the `pass`
 *   threshold (never a silent pass), FAIL just under `marginal`;
 * - the summary classification is Kayenta's: `Pass` at or above `pass`, `Marginal` at or above
 *   `marginal`, else `Fail`.
 *
 * Kayenta's remote-judge client sends no credentials, so the key may also come as
 * `canaryConfig.judge.judgeConfigurations.apiKey`; `judgeConfigurations.policy` is the gate
 * policy, `judgeConfigurations.release` the release id to record under. A metric config may set
 * `analysisConfigurations.sluice.category` (default `application`).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { checkCase, metricCategories, type MetricCategory, type ParsedCase, type ParsedMetric } from '../../src/datasets/case.js';
import type { MetricVerdict, Verdict } from '../../src/gate/verdict.js';
import { SluiceError } from '../../src/core/errors.js';
import { judgeCase } from '../gate/judge.js';
import { HttpError } from '../http/errors.js';
import { route, type RouteSpec } from '../http/route.js';
import type { IntegrationContext } from './common.js';

/** Jackson writes NaN as the string "NaN"; missing points may also be null. */
const point = z.union([z.number(), z.null(), z.literal('NaN')]);

const scopeSchema = z.object({ startTimeMillis: z.number().int().optional(), stepMillis: z.number().int().positive().optional() });

/** `MetricSetPair` (kayenta-core, com.netflix.kayenta.metrics.MetricSetPair). */
export const metricSetPairSchema = z.object({
  name: z.string().min(1),
  id: z.string().optional(),
  tags: z.record(z.string(), z.string()).default({}),
  values: z.object({ control: z.array(point), experiment: z.array(point) }),
  scopes: z.object({ control: scopeSchema.optional(), experiment: scopeSchema.optional() }).optional(),
});

const canaryAnalysisSchema = z.object({
  direction: z.enum(['increase', 'decrease', 'either']).optional(),
  critical: z.boolean().optional(),
  mustHaveData: z.boolean().optional(),
  muted: z.boolean().optional(),
});

/** `CanaryMetricConfig`: only what the judge reads. */
const metricConfigSchema = z.object({
  name: z.string().min(1),
  groups: z.array(z.string()).default([]),
  analysisConfigurations: z.object({
    canary: canaryAnalysisSchema.optional(),
    sluice: z.object({ category: z.enum(metricCategories).optional() }).optional(),
  }).default({}),
});

/** `CanaryClassifierThresholdsConfig`. */
const thresholdsSchema = z.object({ pass: z.number().min(0).max(100), marginal: z.number().min(0).max(100) }).refine((t) => t.marginal <= t.pass, { message: 'marginal must not exceed pass', path: ['marginal'] });

/** `RemoteJudgeRequest` (kayenta-judge, com.netflix.kayenta.judge.model.RemoteJudgeRequest). */
export const remoteJudgeRequestSchema = z.object({
  canaryConfig: z.object({
    name: z.string().optional(),
    applications: z.array(z.string()).optional(),
    judge: z.object({ name: z.string().optional(), judgeConfigurations: z.record(z.string(), z.unknown()).default({}) }).optional(),
    metrics: z.array(metricConfigSchema).min(1),
    classifier: z.object({ groupWeights: z.record(z.string(), z.number().min(0)).default({}) }).optional(),
  }),
  scoreThresholds: thresholdsSchema,
  metricSetPairList: z.array(metricSetPairSchema).min(1),
});
export type RemoteJudgeRequest = z.output<typeof remoteJudgeRequestSchema>;

export type MetricClassification = 'Pass' | 'High' | 'Low' | 'Nodata' | 'NodataFailMetric' | 'Error';

/** `CanaryAnalysisResult`. */
export interface CanaryAnalysisResult {
  name: string;
  id: string;
  tags: Record<string, string>;
  classification: MetricClassification;
  classificationReason: string;
  groups: string[];
  experimentMetadata: Record<string, unknown>;
  controlMetadata: Record<string, unknown>;
  resultMetadata: Record<string, unknown>;
  critical: boolean;
  muted: boolean;
}

/** `CanaryJudgeResult` with its `CanaryJudgeGroupScore`s and `CanaryJudgeScore`. */
export interface CanaryJudgeResult {
  judgeName: string;
  results: CanaryAnalysisResult[];
  groupScores: { name: string; score: number; classification: string; classificationReason: string }[];
  score: { score: number; classification: 'Pass' | 'Marginal' | 'Fail'; classificationReason: string };
}

export const JUDGE_NAME = 'SluiceJudge-v1.0';

const toValue = (v: number | null | 'NaN') => (typeof v === 'number' ? v : NaN);

interface PairCase {
  parsed: ParsedCase;
  /** Case metric name of each pair, in request order. */
  names: string[];
}

const bad = (field: string, reason: string) => new HttpError(400, 'invalid_input', field, reason);

/**
 * The pairs as one case: each pair a metric whose released host is `experiment` and unreleased
 * host `control`, both from index 0 on the experiment's grid (Kayenta's judge ignores time too).
 * Pairs that share a name (one per tag set) get their tags in the case metric's name.
 */
export function caseFromPairs(request: RemoteJudgeRequest, caseId: string): PairCase {
  const configs = new Map(request.canaryConfig.metrics.map((m) => [m.name, m]));
  const counts = new Map<string, number>();
  for (const pair of request.metricSetPairList) counts.set(pair.name, (counts.get(pair.name) ?? 0) + 1);
  const first = request.metricSetPairList[0].scopes;
  const step = first?.experiment?.stepMillis ?? first?.control?.stepMillis ?? 60_000;
  const start = first?.experiment?.startTimeMillis ?? first?.control?.startTimeMillis ?? 0;
  const names: string[] = [];
  const metrics: ParsedMetric[] = request.metricSetPairList.map((pair, i) => {
    const config = configs.get(pair.name);
    if (!config) throw bad(`body.metricSetPairList.${i}.name`, `no metric "${pair.name}" in canaryConfig.metrics`);
    const tags = Object.entries(pair.tags).map(([k, v]) => `${k}=${v}`).join(',');
    const name = (counts.get(pair.name) ?? 0) > 1 ? `${pair.name}{${tags}}` : pair.name;
    names.push(name);
    const length = Math.max(pair.values.control.length, pair.values.experiment.length);
    const series = (values: (number | null | 'NaN')[]) => Float64Array.from({ length }, (_, t) => (t < values.length ? toValue(values[t]) : NaN));
    const canary = config.analysisConfigurations.canary ?? {};
    const category: MetricCategory = config.analysisConfigurations.sluice?.category ?? 'application';
    return {
      name, category,
      direction: canary.direction === 'increase' ? 'up' : canary.direction === 'decrease' ? 'down' : 'both',
      critical: canary.critical ?? false,
      released: [{ host: 'experiment', values: series(pair.values.experiment) }],
      unreleased: [{ host: 'control', values: series(pair.values.control) }],
    };
  });
  const judgeConfig = request.canaryConfig.judge?.judgeConfigurations ?? {};
  const release = typeof judgeConfig.release === 'string' ? judgeConfig.release : undefined;
  const parsed: ParsedCase = {
    id: caseId,
    app: request.canaryConfig.applications?.[0] ?? request.canaryConfig.name ?? 'kayenta',
    release: { ...(release ? { id: release } : {}), deployedAt: start },
    step, start, metrics, logs: [],
  };
  const issues = checkCase(parsed);
  if (issues.length > 0) throw bad(`body.${issues[0].path}`, issues[0].message);
  return { parsed, names };
}

function stats(values: Float64Array): Record<string, number | null> {
  const present = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  const n = present.length;
  if (n === 0) return { count: 0, mean: null, median: null, min: null, max: null };
  const median = n % 2 ? present[(n - 1) / 2] : (present[n / 2 - 1] + present[n / 2]) / 2;
  return { count: n, mean: present.reduce((s, v) => s + v, 0) / n, median, min: present[0], max: present[n - 1] };
}

/** The rank test's Kayenta label for a metric, when the policy ran it. */
function rankTestLabel(metric: MetricVerdict): string | null {
  const result = metric.views.comparison.find((r) => typeof r.evidence?.classification === 'string');
  return result ? String(result.evidence.classification) : null;
}

function classify(metric: MetricVerdict | undefined, mustHaveData: boolean, experimentMean: number | null, controlMean: number | null): { label: MetricClassification; reason: string } {
  if (!metric) return { label: 'Error', reason: 'the gate returned no result for this metric' };
  if (metric.status === 'insufficient_data') return { label: mustHaveData ? 'NodataFailMetric' : 'Nodata', reason: metric.reason ?? 'insufficient data' };
  if (!metric.anomalous) return { label: 'Pass', reason: metric.reasons[0] ?? `score ${metric.score.toFixed(1)} below the metric threshold` };
  const up = metric.direction === 'up' || (metric.direction === 'none' && (experimentMean ?? 0) >= (controlMean ?? 0));
  return { label: up ? 'High' : 'Low', reason: metric.reasons[0] ?? `anomalous, score ${metric.score.toFixed(1)}` };
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * Kayenta's weighted-sum scorer over the (non-muted) results: per group the share of `Pass` among
 * Pass/High/Low/NodataFailMetric (a group with none of those has no data and counts as 100); groups
 * without a weight share what the weights leave of 100. 0 on a non-passing critical metric or when
 * half or more of the results are `Nodata`.
 */
export function weightedScore(results: CanaryAnalysisResult[], groupWeights: Record<string, number>): { score: number; reason: string | null; groups: { name: string; score: number; noData: boolean }[] } {
  const scored = results.filter((r) => !r.muted);
  const byGroup = new Map<string, MetricClassification[]>();
  for (const r of scored) for (const g of r.groups) byGroup.set(g, [...(byGroup.get(g) ?? []), r.classification]);
  const groups = [...byGroup].map(([name, labels]) => {
    const pass = labels.filter((l) => l === 'Pass').length;
    const counted = labels.filter((l) => l === 'Pass' || l === 'High' || l === 'Low' || l === 'NodataFailMetric').length;
    return { name, score: counted === 0 ? 0 : (pass / counted) * 100, noData: counted === 0 };
  });
  const critical = scored.find((r) => r.critical && r.classification !== 'Pass');
  if (critical) return { score: 0, reason: `Canary Failed: critical metric ${critical.name} is ${critical.classification}: ${critical.classificationReason}`, groups };
  const nodata = scored.filter((r) => r.classification === 'Nodata').length;
  if (scored.length > 0 && (nodata / scored.length) * 100 >= 50) return { score: 0, reason: 'Canary Failed: 50% or more metrics returned NODATA', groups };
  const weightSum = Object.values(groupWeights).reduce((s, w) => s + w, 0);
  const unweighted = groups.filter((g) => groupWeights[g.name] === undefined).length;
  const share = unweighted > 0 ? (100 - weightSum) / unweighted : 0;
  const total = groups.reduce((s, g) => s + (g.noData ? 100 : g.score) * ((groupWeights[g.name] ?? share) / 100), 0);
  return { score: round2(total), reason: null, groups };
}

/** Pass at or above `pass`, Marginal at or above `marginal`, else Fail (Kayenta's ThresholdScoreClassifier). */
export function classifyScore(score: number, thresholds: { pass: number; marginal: number }): 'Pass' | 'Marginal' | 'Fail' {
  return score >= thresholds.pass ? 'Pass' : score >= thresholds.marginal ? 'Marginal' : 'Fail';
}

/** Builds Kayenta's result from the gate's verdict on `caseFromPairs`' case (see the module comment). */
export function judgeResult(request: RemoteJudgeRequest, pairCase: PairCase, verdict: Verdict, evaluationId: string): CanaryJudgeResult {
  const configs = new Map(request.canaryConfig.metrics.map((m) => [m.name, m]));
  const byName = new Map(verdict.metrics.map((m) => [m.name, m]));
  const results: CanaryAnalysisResult[] = request.metricSetPairList.map((pair, i) => {
    const config = configs.get(pair.name)!;
    const canary = config.analysisConfigurations.canary ?? {};
    const caseMetric = pairCase.parsed.metrics[i];
    const experiment = stats(caseMetric.released[0].values);
    const control = stats(caseMetric.unreleased[0].values);
    const metric = byName.get(pairCase.names[i]);
    const { label, reason } = classify(metric, canary.mustHaveData ?? false, experiment.mean, control.mean);
    const ratio = experiment.mean !== null && control.mean !== null && control.mean !== 0 ? experiment.mean / control.mean : null;
    return {
      name: pair.name, id: pair.id ?? pair.name, tags: pair.tags, classification: label, classificationReason: reason, groups: config.groups,
      experimentMetadata: { stats: experiment }, controlMetadata: { stats: control },
      resultMetadata: { ratio, sluiceScore: metric ? metric.score : null, sluiceDirection: metric ? metric.direction : null, rankTest: metric ? rankTestLabel(metric) : null, evaluation: evaluationId },
      critical: canary.critical ?? false, muted: canary.muted ?? false,
    };
  });
  const weighted = weightedScore(results, request.canaryConfig.classifier?.groupWeights ?? {});
  const { pass, marginal } = request.scoreThresholds;
  let score = weighted.score;
  let bound = '';
  if (verdict.decision === 'INCONCLUSIVE' && score >= pass) {
    score = Math.max(0, round2(pass - 0.01));
    bound = '; Sluice was INCONCLUSIVE, so the score stays under the pass threshold';
  } else if (verdict.decision === 'FAIL' && score >= marginal) {
    score = Math.max(0, round2(marginal - 0.01));
    bound = '; Sluice FAILed the batch, so the score stays under the marginal threshold';
  }
  const sluice = `Sluice ${verdict.decision} (score ${verdict.score.toFixed(1)}, evaluation ${evaluationId})${verdict.reasons.length ? `: ${verdict.reasons[0]}` : ''}`;
  return {
    judgeName: JUDGE_NAME,
    results,
    groupScores: weighted.groups.map((g) => ({ name: g.name, score: g.score, classification: '', classificationReason: '' })),
    score: { score, classification: classifyScore(score, request.scoreThresholds), classificationReason: `${weighted.reason ? `${weighted.reason}; ` : ''}${sluice}${bound}` },
  };
}

/** Kayenta's remote-judge client sends no headers of ours: the key may ride in the judge's configuration. */
const judgeConfigurationKey = (body: unknown): string | undefined => {
  const apiKey = (body as { canaryConfig?: { judge?: { judgeConfigurations?: { apiKey?: unknown } } } } | null)?.canaryConfig?.judge?.judgeConfigurations?.apiKey;
  return typeof apiKey === 'string' ? apiKey : undefined;
};

export function kayentaRoutes(context: IntegrationContext): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/v1/integrations/kayenta/judge', summary: 'Kayenta remote judge: RemoteJudgeRequest in, CanaryJudgeResult out; remote judge baseUrl …/v1/integrations/kayenta/ (gate key: Authorization header or canaryConfig.judge.judgeConfigurations.apiKey)', tag: 'integrations', scope: 'gate', audit: 'kayenta.judge',
      keyInBody: { field: 'body.canaryConfig.judge.judgeConfigurations.apiKey', read: judgeConfigurationKey },
      body: remoteJudgeRequestSchema,
      handler: async ({ body, key }) => {
        const judgeConfig = body.canaryConfig.judge?.judgeConfigurations ?? {};
        const policy = judgeConfig.policy ?? {};
        if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) throw bad('body.canaryConfig.judge.judgeConfigurations.policy', 'must be an object (a gate policy)');
        const pairCase = caseFromPairs(body, `kayenta-${randomUUID()}`);
        let judged;
        try {
          // The pairs are series, not hosts: no spread of hosts' levels to judge new hosts by.
          judged = await judgeCase(pairCase.parsed, { newHostsBand: 0, ...(policy as Record<string, unknown>) }, [], context);
        } catch (error) {
          if (error instanceof SluiceError) throw new HttpError(400, error.code, `body.canaryConfig.judge.judgeConfigurations.policy${error.path ? `.${error.path}` : ''}`, error.message);
          throw error;
        }
        return { body: judgeResult(body, pairCase, judged.verdict, judged.id), target: `evaluation:${judged.id} key:${key!.id}` };
      },
    }),
  ];
}
