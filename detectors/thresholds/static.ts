/**
 * Static threshold (静态阈值): the metric must stay below `upper` and/or above `lower`.
 */
import { z } from 'zod';
import { countPresent } from '../../src/core/series.js';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult } from '../../src/core/detector.js';
import { bandPlot, bandScores, minViolationsField, windowFromBand } from './band.js';

/** Margin used when none is given: a tenth of the band, or of the single threshold's size. */
export function defaultMargin(upper: number | undefined, lower: number | undefined): number {
  if (upper !== undefined && lower !== undefined) return Math.max((upper - lower) / 10, Number.MIN_VALUE);
  const threshold = Math.abs(upper ?? lower ?? 0);
  return threshold > 0 ? threshold / 10 : 1;
}

/** Adds an issue when neither threshold is set or they are in the wrong order. */
export function checkThresholds(value: { upper?: number; lower?: number }, ctx: z.RefinementCtx, path: (string | number)[] = []): void {
  if (value.upper === undefined && value.lower === undefined) {
    ctx.addIssue({ code: 'custom', path: [...path, 'upper'], message: 'set upper, lower or both' });
  } else if (value.upper !== undefined && value.lower !== undefined && !(value.lower < value.upper)) {
    ctx.addIssue({ code: 'custom', path: [...path, 'lower'], message: 'lower must be below upper' });
  }
}

export const staticThresholdConfig = z
  .object({
    /** Values above this are bad (when the metric's direction is `up` or `both`). */
    upper: z.number().optional(),
    /** Values below this are bad (when the direction is `down` or `both`). */
    lower: z.number().optional(),
    /** Distance over which the score rises from 0 (one margin inside) to 50 (on the threshold). */
    margin: z.number().positive().optional(),
    minViolations: minViolationsField,
  })
  .superRefine((value, ctx) => checkThresholds(value, ctx));

export type StaticThresholdConfig = z.output<typeof staticThresholdConfig>;

const identity = { name: 'staticThreshold', version: '1.0.0' };

/**
 * Static threshold check of the treated window. Score = the `minViolations`-th largest point
 * score against the band, so ≥ 50 exactly when at least that many points breach. O(n log n).
 *
 * @example staticThreshold({ treated: series(0, 60000, [10, 12, 31, 33, 35]) }, { upper: 30, minViolations: 3 })
 *   // → score ≈ 64.17, anomalous, direction 'up', evidence { upper: 30, lower: null, margin: 3, pointsAbove: 3 }
 */
export function staticThreshold(input: DetectorInput, config: StaticThresholdConfig): DetectorResult {
  const values = input.treated.values;
  if (countPresent(values) === 0) return insufficientData(identity, 'staticThreshold needs at least one present treated point');
  const margin = config.margin ?? defaultMargin(config.upper, config.lower);
  const up = new Float64Array(values.length);
  const down = new Float64Array(values.length);
  bandScores(values, config.upper ?? NaN, config.lower ?? NaN, margin, margin, up, down);
  const result = windowFromBand(identity, up, down, config.minViolations, input.direction ?? 'both', {
    upper: config.upper ?? null,
    lower: config.lower ?? null,
    margin,
  });
  result.plot = bandPlot(input.treated, config.upper ?? NaN, config.lower ?? NaN);
  return result;
}

export const staticThresholdDetector: DetectorModule<typeof staticThresholdConfig> = {
  ...identity,
  description: 'Does the treated window breach fixed upper/lower thresholds on at least minViolations points?',
  configSchema: staticThresholdConfig,
  capabilities: { minTreatedPoints: 1, needsHistory: false, needsControl: false, needsLogs: false, seasonal: false },
  detect: staticThreshold,
};
