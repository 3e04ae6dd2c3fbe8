/**
 * The rank-test comparison detector: is the released hosts' metric shifted against the
 * unreleased hosts', judged the way Kayenta's Mann–Whitney classifier judges a canary metric?
 *
 * Samples: one mean per host when `treatedHosts` and `controlHosts` both hold at least
 * `minHosts` hosts with data; otherwise the treated series' points against the control's points;
 * with no control at all, the same-length tail of the treated history (before vs after).
 *
 * Classification (Kayenta's MannWhitneyClassifier, as published in spinnaker/kayenta):
 * - NoData when either sample has fewer than `minSamples` values;
 * - Pass when the samples are identical, or hold a single value between them;
 * - otherwise the Hodges–Lehmann shift θ (treated − control) with its `confLevel` interval
 *   [lo, hi]; tolerance band ±`tolerance` · |θ|; mean ratio m = mean(treated) / mean(control)
 *   (1 when the control's mean is 0):
 *   High when lo > tolerance · |θ| and m ≥ `effectSizeHigh` (only if a rise is bad),
 *   Low  when hi < −tolerance · |θ| and m ≤ `effectSizeLow` (only if a fall is bad),
 *   Pass otherwise.
 *
 * Score: s = −log₁₀ p (two-sided p-value), score = 100 · s / (s + −log₁₀ α), α = 1 − confLevel,
 * so p = α scores 50 and p = α² about 67; 0 when the shift is in the harmless direction; at
 * least 50 when classified High/Low and at most 49.9 when Pass (the effect-size tolerance
 * overrides significance). Kayenta breaks ties of constant samples by adding noise; this
 * detector stays deterministic and uses the exact shift instead.
 *
 * Cost: see `mannWhitney` (O(N log N) plus the exact distribution for samples under 50).
 */
import { z } from 'zod';
import { comparisonPair } from '../../src/core/compare.js';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult, type Direction } from '../../src/core/detector.js';
import { clampScore, saturatingScore } from '../../src/core/score.js';
import { type Series, toJsonValues } from '../../src/core/series.js';
import { countFinite, finiteValues, nanMean } from '../../src/core/stats.js';
import { mannWhitneySorted, type MannWhitneyResult } from './mann-whitney.js';

export const rankTestConfigSchema = z.object({
  /** Confidence level of the shift's interval (Kayenta's confLevel). */
  confLevel: z.number().gt(0.5).lt(1).default(0.95),
  /** Half-width of the tolerance band as a fraction of |shift| (Kayenta's tolerance). */
  tolerance: z.number().min(0).default(0.25),
  /** Mean ratio treated/control at or below which a fall counts (Kayenta's effect-size threshold, low side). */
  effectSizeLow: z.number().positive().default(1),
  /** Mean ratio at or above which a rise counts (high side). */
  effectSizeHigh: z.number().positive().default(1),
  /** Fewest values per sample; fewer is NoData. */
  minSamples: z.number().int().min(1).default(3),
  /** Fewest hosts in each group for per-host means to be the samples; with fewer, the points are. */
  minHosts: z.number().int().min(1).default(5),
});

export type RankTestConfig = z.output<typeof rankTestConfigSchema>;

/** Kayenta's labels for one metric. */
export type ShiftClassification = 'High' | 'Low' | 'Pass' | 'NoData';

export interface ShiftJudgement {
  classification: ShiftClassification;
  reason: string;
  test: MannWhitneyResult | null;
  /** Tolerance band [−t·|θ|, t·|θ|]. */
  toleranceBand: [number, number];
  /** mean(treated) / mean(control), 1 when the control's mean is 0. */
  meanRatio: number;
}

/**
 * Kayenta-style classification of a treated sample against a control sample (see the module
 * comment). Missing values are dropped. O(N log N) (+ exact distribution for small samples).
 */
export function classifyShift(treated: ArrayLike<number>, control: ArrayLike<number>, direction: Direction, config: RankTestConfig): ShiftJudgement {
  const t = finiteValues(treated);
  const c = finiteValues(control);
  if (t.length < config.minSamples || c.length < config.minSamples) {
    return { classification: 'NoData', reason: `needs at least ${config.minSamples} values per sample, got ${t.length} treated and ${c.length} control`, test: null, toleranceBand: [NaN, NaN], meanRatio: NaN };
  }
  const controlMean = nanMean(c);
  const meanRatio = controlMean === 0 ? 1 : nanMean(t) / controlMean;
  const sortedT = t.slice().sort();
  const sortedC = c.slice().sort();
  if (sortedT.length === sortedC.length && sortedT.every((v, i) => v === sortedC[i])) {
    return { classification: 'Pass', reason: 'the treated and control samples are identical', test: null, toleranceBand: [0, 0], meanRatio };
  }
  if (sortedT[0] === sortedT[sortedT.length - 1] && sortedC[0] === sortedC[sortedC.length - 1] && sortedT[0] === sortedC[0]) {
    return { classification: 'Pass', reason: 'both samples hold one and the same value', test: null, toleranceBand: [0, 0], meanRatio };
  }
  const test = scaledMannWhitney(sortedT, sortedC, config.confLevel);
  const bound = config.tolerance * Math.abs(test.estimate);
  const [lower, upper] = test.confInt;
  const high = direction !== 'down' && lower > bound && meanRatio >= config.effectSizeHigh;
  const low = direction !== 'up' && upper < -bound && meanRatio <= config.effectSizeLow;
  const interval = `[${lower.toPrecision(4)}, ${upper.toPrecision(4)}]`;
  if (high) return { classification: 'High', reason: `shift ${test.estimate.toPrecision(4)} with interval ${interval} lies above the tolerance band ±${bound.toPrecision(4)}`, test, toleranceBand: [-bound, bound], meanRatio };
  if (low) return { classification: 'Low', reason: `shift ${test.estimate.toPrecision(4)} with interval ${interval} lies below the tolerance band ±${bound.toPrecision(4)}`, test, toleranceBand: [-bound, bound], meanRatio };
  return { classification: 'Pass', reason: `interval ${interval} of the shift is not beyond the tolerance band ±${bound.toPrecision(4)} in a harmful direction`, test, toleranceBand: [-bound, bound], meanRatio };
}

/**
 * `mannWhitney` on the samples divided by the power of two at or above their pooled range, the
 * shift and its interval multiplied back. The test follows R, whose root finder works to an
 * absolute tolerance (1e-4): on a metric measured in thousandths that is as coarse as the values
 * themselves, and the classification would change with the metric's unit. A power of two keeps
 * every value's ranks, ties and the p-value exactly. Both sorted samples are ascending.
 */
function scaledMannWhitney(sortedT: Float64Array, sortedC: Float64Array, confLevel: number): MannWhitneyResult {
  const range = Math.max(sortedT[sortedT.length - 1], sortedC[sortedC.length - 1]) - Math.min(sortedT[0], sortedC[0]);
  const scale = range > 0 && Number.isFinite(range) ? 2 ** Math.ceil(Math.log2(range)) : 1;
  if (scale === 1) return mannWhitneySorted(sortedT, sortedC, { confLevel });
  // Dividing by a power of two keeps the order: the scaled samples are still sorted.
  const test = mannWhitneySorted(divided(sortedT, scale), divided(sortedC, scale), { confLevel });
  return { ...test, estimate: test.estimate * scale, confInt: [test.confInt[0] * scale, test.confInt[1] * scale] };
}

function divided(values: Float64Array, by: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] / by;
  return out;
}

function hostMeans(hosts: Series[]): Float64Array {
  return finiteValues(hosts.map((h) => nanMean(h.values)));
}

const identity = { name: 'rankTest', version: '1.0.1' } as const;

/** Runs the rank test on one metric; see the module comment. */
export function rankTestDetect(input: DetectorInput, config: RankTestConfig): DetectorResult {
  const chosen = comparisonPair(input);
  if (!chosen.ok) return insufficientData(identity, chosen.error.message, { classification: 'NoData' });
  const pair = chosen.value;
  // Per-host means make hosts the unit of comparison, but two or three hosts a side cannot show
  // anything at the 95 % level; then the minutes are the samples.
  const treatedMeans = input.treatedHosts ? hostMeans(input.treatedHosts) : new Float64Array(0);
  const controlMeans = input.controlHosts ? hostMeans(input.controlHosts) : new Float64Array(0);
  const byHost = pair.mode === 'released_vs_unreleased' && treatedMeans.length >= config.minHosts && controlMeans.length >= config.minHosts;
  const treatedSample = byHost ? treatedMeans : pair.treated;
  const controlSample = byHost ? controlMeans : pair.reference;
  const wanted = input.direction ?? 'both';
  const judgement = classifyShift(treatedSample, controlSample, wanted, config);
  if (judgement.classification === 'NoData') return insufficientData(identity, `rankTest ${judgement.reason}`, { classification: 'NoData', mode: pair.mode });
  const test = judgement.test;
  const estimate = test ? test.estimate : 0;
  const observed: DetectorResult['direction'] = estimate > 0 ? 'up' : estimate < 0 ? 'down' : 'none';
  const harmless = (wanted === 'up' && observed === 'down') || (wanted === 'down' && observed === 'up');
  const anomalous = judgement.classification === 'High' || judgement.classification === 'Low';
  let score = 0;
  if (test && !harmless && Number.isFinite(test.pValue)) {
    const significance = -Math.log10(Math.max(test.pValue, 1e-300));
    score = saturatingScore(significance, -Math.log10(1 - config.confLevel));
  }
  score = anomalous ? Math.max(score, 50) : Math.min(score, 49.9);
  return {
    detector: identity.name,
    version: identity.version,
    status: 'ok',
    reason: judgement.reason,
    score: clampScore(score),
    anomalous,
    direction: observed,
    evidence: {
      classification: judgement.classification,
      mode: pair.mode,
      samples: byHost ? 'host_means' : 'points',
      treatedCount: countFinite(treatedSample),
      controlCount: countFinite(controlSample),
      statistic: test ? test.statistic : null,
      pValue: test ? test.pValue : null,
      method: test ? test.method : null,
      ties: test ? test.ties : null,
      shift: test ? test.estimate : 0,
      shiftLower: test ? test.confInt[0] : null,
      shiftUpper: test ? test.confInt[1] : null,
      confLevel: test ? test.confLevel : config.confLevel,
      toleranceLower: judgement.toleranceBand[0],
      toleranceUpper: judgement.toleranceBand[1],
      meanRatio: Number.isFinite(judgement.meanRatio) ? judgement.meanRatio : null,
    },
    plot: [
      { name: 'treated', start: pair.start, step: pair.step, values: toJsonValues(pair.treated), role: 'observed' },
      { name: pair.mode === 'released_vs_unreleased' ? 'control' : 'history', start: pair.start, step: pair.step, values: toJsonValues(pair.reference), role: 'control' },
    ],
  };
}

/** Registry entry: released vs unreleased location shift by the Mann–Whitney rank test, judged like Kayenta. */
export const rankTestDetector: DetectorModule<typeof rankTestConfigSchema> = {
  name: identity.name,
  version: identity.version,
  description: 'Whether the released hosts\u2019 values are shifted against the unreleased hosts\u2019 beyond a tolerance (Mann\u2013Whitney, Hodges\u2013Lehmann interval, Kayenta\u2019s High/Low/Pass/NoData).',
  configSchema: rankTestConfigSchema,
  capabilities: { minTreatedPoints: 3, needsHistory: false, needsControl: true, needsLogs: false, seasonal: false },
  detect: rankTestDetect,
};
