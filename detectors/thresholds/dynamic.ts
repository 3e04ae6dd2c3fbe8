/**
 * Dynamic threshold (动态阈值): the thresholds are quantiles of the metric's own history,
 * widened by a tolerance, so they follow each metric's usual range without hand tuning.
 */
import { z } from 'zod';
import { countPresent } from '../../src/core/series.js';
import { quantileSorted, sortedFinite } from '../../src/core/stats.js';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult } from '../../src/core/detector.js';
import { bandScores, minViolationsField, spreadFloor, windowFromBand } from './band.js';

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
    /** Fewest present history points for quantiles worth trusting. */
    minHistoryPoints: z.number().int().min(2).default(60),
    minViolations: minViolationsField,
  })
  .refine((c) => c.lowerQuantile < c.upperQuantile, { path: ['lowerQuantile'], message: 'must be below upperQuantile' });

export type DynamicThresholdConfig = z.output<typeof dynamicThresholdConfig>;

const identity = { name: 'dynamicThreshold', version: '1.0.0' };

/**
 * Dynamic thresholds from history quantiles (type 7, R's default): upper = q(upperQuantile) +
 * tolerance·width, lower = q(lowerQuantile) − tolerance·width, width = the inter-quantile
 * distance. Scale- and shift-equivariant. O((h + n) log(h + n)).
 */
export function dynamicThreshold(input: DetectorInput, config: DynamicThresholdConfig): DetectorResult {
  const history = input.history;
  if (!history) return insufficientData(identity, 'dynamicThreshold needs history');
  const sorted = sortedFinite(history.values);
  if (sorted.length < config.minHistoryPoints) {
    return insufficientData(identity, `dynamicThreshold needs at least ${config.minHistoryPoints} present history points, got ${sorted.length}`);
  }
  if (countPresent(input.treated.values) === 0) return insufficientData(identity, 'dynamicThreshold needs at least one present treated point');
  const low = quantileSorted(sorted, config.lowerQuantile);
  const high = quantileSorted(sorted, config.upperQuantile);
  const width = Math.max(high - low, spreadFloor(Math.max(Math.abs(low), Math.abs(high))));
  const margin = config.tolerance * width;
  const upper = high + margin;
  const lower = low - margin;
  const values = input.treated.values;
  const up = new Float64Array(values.length);
  const down = new Float64Array(values.length);
  bandScores(values, upper, lower, margin, margin, up, down);
  return windowFromBand(identity, up, down, config.minViolations, input.direction ?? 'both', {
    upper,
    lower,
    margin,
    lowerQuantileValue: low,
    upperQuantileValue: high,
    historyPoints: sorted.length,
  });
}

export const dynamicThresholdDetector: DetectorModule<typeof dynamicThresholdConfig> = {
  ...identity,
  description: "Does the treated window leave the range of the metric's own history (quantiles widened by a tolerance)?",
  configSchema: dynamicThresholdConfig,
  capabilities: { minTreatedPoints: 1, needsHistory: true, needsControl: false, needsLogs: false, seasonal: false },
  detect: dynamicThreshold,
};
