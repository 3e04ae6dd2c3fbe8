/**
 * Dynamic threshold (动态阈值): the thresholds are quantiles of the metric's own history,
 * widened by a tolerance, so they follow each metric's usual range without hand tuning. With a
 * `period`, each point gets its own thresholds from history points at the same phase of the day
 * (or week), so a metric with a daily cycle is judged against its usual value at that hour.
 */
import { z } from 'zod';
import { countPresent } from '../../src/core/series.js';
import { nanMedian, quantileSorted, sortedFinite } from '../../src/core/stats.js';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult } from '../../src/core/detector.js';
import { bandPlot, bandScores, minViolationsField, spreadFloor, treatedOffset, windowFromBand } from './band.js';

const DAY_MS = 86_400_000;

export const dynamicThresholdConfig = z
  .object({
    /** History quantile for the lower threshold, in [0, 0.5). */
    lowerQuantile: z.number().min(0).lt(0.5).default(0.01),
    /** History quantile for the upper threshold, in (0.5, 1]. */
    upperQuantile: z.number().gt(0.5).max(1).default(0.99),
    /**
     * Each threshold sits this fraction of the inter-quantile width beyond its quantile; the
     * same distance is the scoring margin (score 0 at the quantile, 50 at the threshold).
     */
    tolerance: z.number().positive().default(0.25),
    /** Fewest present history points behind a threshold (per point when `period` is set). */
    minHistoryPoints: z.number().int().min(2).default(60),
    /** `none`: one pair of thresholds from all history. `day`/`week`: per point, from history at the same phase. */
    period: z.enum(['none', 'day', 'week']).default('none'),
    /** With a period: history points within this many ms of the same phase count (30 min by default). */
    phaseHalfWidthMs: z.number().int().min(0).default(1_800_000),
    minViolations: minViolationsField,
  })
  .refine((c) => c.lowerQuantile < c.upperQuantile, { path: ['lowerQuantile'], message: 'must be below upperQuantile' });

export type DynamicThresholdConfig = z.output<typeof dynamicThresholdConfig>;

const identity = { name: 'dynamicThreshold', version: '1.1.0' };

interface Thresholds {
  upper: Float64Array;
  lower: Float64Array;
  margin: Float64Array;
  judged: number;
}

function thresholdsFrom(sorted: Float64Array, config: DynamicThresholdConfig): { upper: number; lower: number; margin: number; low: number; high: number } {
  const low = quantileSorted(sorted, config.lowerQuantile);
  const high = quantileSorted(sorted, config.upperQuantile);
  const width = Math.max(high - low, spreadFloor(Math.max(Math.abs(low), Math.abs(high))));
  const margin = config.tolerance * width;
  return { upper: high + margin, lower: low - margin, margin, low, high };
}

/** Per-point thresholds from history points at the same phase of `periodMs` (± `phaseHalfWidthMs`). */
function phaseThresholds(input: DetectorInput & { history: NonNullable<DetectorInput['history']> }, config: DynamicThresholdConfig, periodMs: number, offset: number): Thresholds {
  const { history, treated } = input;
  const n = treated.values.length;
  const step = treated.step;
  const periodPoints = Math.round(periodMs / step);
  const halfWidth = Math.floor(config.phaseHalfWidthMs / step);
  const upper = new Float64Array(n).fill(NaN);
  const lower = new Float64Array(n).fill(NaN);
  const margin = new Float64Array(n).fill(1);
  const h = history.values;
  // Every phase window holds at most 2·halfWidth + 1 points, and at most (h + 2·halfWidth)/period + 2 windows meet history.
  const neighbours = new Float64Array((Math.ceil((h.length + 2 * halfWidth) / periodPoints) + 2) * (2 * halfWidth + 1));
  let judged = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(treated.values[i])) continue;
    let k = 0;
    for (let center = offset + i - periodPoints; center + halfWidth >= 0; center -= periodPoints) {
      for (let g = Math.max(0, center - halfWidth); g <= center + halfWidth && g < h.length; g++) {
        const v = h[g];
        if (v === v) neighbours[k++] = v;
      }
    }
    if (k < config.minHistoryPoints) continue;
    const t = thresholdsFrom(neighbours.subarray(0, k).sort(), config);
    upper[i] = t.upper;
    lower[i] = t.lower;
    margin[i] = t.margin;
    judged++;
  }
  return { upper, lower, margin, judged };
}

/**
 * Dynamic thresholds from history quantiles (type 7, R's default): upper = q(upperQuantile) +
 * tolerance·width, lower = q(lowerQuantile) − tolerance·width, width = the inter-quantile
 * distance; with a `period`, per point from the history at the same phase. Scale- and
 * shift-equivariant. O((h + n) log h) without a period; O(n · (h/period) · w log) with one.
 */
export function dynamicThreshold(input: DetectorInput, config: DynamicThresholdConfig): DetectorResult {
  const history = input.history;
  if (!history) return insufficientData(identity, 'dynamicThreshold needs history');
  const values = input.treated.values;
  if (countPresent(values) === 0) return insufficientData(identity, 'dynamicThreshold needs at least one present treated point');
  const n = values.length;
  let thresholds: Thresholds;
  let summary: DetectorResult['evidence'];
  if (config.period === 'none') {
    const sorted = sortedFinite(history.values);
    if (sorted.length < config.minHistoryPoints) {
      return insufficientData(identity, `dynamicThreshold needs at least ${config.minHistoryPoints} present history points, got ${sorted.length}`);
    }
    const t = thresholdsFrom(sorted, config);
    thresholds = { upper: new Float64Array(n).fill(t.upper), lower: new Float64Array(n).fill(t.lower), margin: new Float64Array(n).fill(t.margin), judged: countPresent(values) };
    summary = { upper: t.upper, lower: t.lower, margin: t.margin, lowerQuantileValue: t.low, upperQuantileValue: t.high, historyPoints: sorted.length };
  } else {
    const periodMs = config.period === 'day' ? DAY_MS : 7 * DAY_MS;
    const offset = treatedOffset(history, input.treated);
    if (offset === null) return insufficientData(identity, 'dynamicThreshold: history and treated are not on the same time grid');
    if (periodMs % input.treated.step !== 0) return insufficientData(identity, `dynamicThreshold: the ${config.period} is not a whole number of ${input.treated.step} ms steps`);
    thresholds = phaseThresholds({ ...input, history }, config, periodMs, offset);
    if (thresholds.judged === 0) {
      return insufficientData(identity, `dynamicThreshold needs at least ${config.minHistoryPoints} present history points at the same phase of the ${config.period}`);
    }
    summary = { period: config.period, upper: nanMedian(thresholds.upper), lower: nanMedian(thresholds.lower), margin: nanMedian(thresholds.margin) };
  }
  const up = new Float64Array(n);
  const down = new Float64Array(n);
  bandScores(values, thresholds.upper, thresholds.lower, thresholds.margin, thresholds.margin, up, down);
  const result = windowFromBand(identity, up, down, config.minViolations, input.direction ?? 'both', { ...summary, judgedPoints: thresholds.judged });
  result.plot = bandPlot(input.treated, thresholds.upper, thresholds.lower);
  return result;
}

export const dynamicThresholdDetector: DetectorModule<typeof dynamicThresholdConfig> = {
  ...identity,
  description: "Does the treated window leave the range of the metric's own history (quantiles widened by a tolerance, optionally per phase of the day or week)?",
  configSchema: dynamicThresholdConfig,
  capabilities: { minTreatedPoints: 1, needsHistory: true, needsControl: false, needsLogs: false, seasonal: false },
  detect: dynamicThreshold,
};
