/**
 * The DTW comparison detector: how different is the shape of the released hosts' series from
 * the unreleased hosts' over the same minutes (or, with no control, from the same-length tail
 * of their own history)?
 *
 * Calibration (documented so that a score can be checked by hand):
 *
 *   per-point distance  d = D / L                      (absolute cost)
 *                       d = sqrt(D / L)                (squared cost: back to the data's units)
 *   normalised distance r = d / scale,  scale = max(mean |reference|, minScale)
 *                           (with z-normalisation the series are already in units of σ: scale = 1)
 *   score               = 100 · r / (r + halfScore)    (src/core/score.ts saturatingScore)
 *
 * D is the DTW distance under a Sakoe–Chiba band of `windowFraction · L` points and L the number
 * of minutes where both series have a value. So with the default `halfScore` 0.2, a treated
 * series that sits 20 % of the control's level away from it, point by point after the best
 * alignment, scores 50; 60 % scores 75. The direction is the sign of the mean of
 * treated − reference; a change in the harmless direction scores 0.
 *
 * Cost: O(L · window) time, O(window) memory. When the score is sure to exceed
 * `pruneAboveScore`, LB_Kim, LB_Keogh or early abandoning stop the work and the score reported
 * is that bound (evidence `pruned: true`).
 */
import { z } from 'zod';
import { comparisonPair, presentPairs } from '../../src/core/compare.js';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult } from '../../src/core/detector.js';
import { clampScore, saturatingScore } from '../../src/core/score.js';
import { toJsonValues } from '../../src/core/series.js';
import { dtw } from './dtw.js';

export const dtwConfigSchema = z.object({
  /** Sakoe–Chiba band half-width as a fraction of the compared length (0 = lock-step, 1 = unconstrained). */
  windowFraction: z.number().min(0).max(1).default(0.1),
  /** Point cost of the alignment. */
  cost: z.enum(['absolute', 'squared']).default('absolute'),
  /** Compare shapes only: z-normalise both series first (a pure level shift then scores 0). */
  zNormalize: z.boolean().default(false),
  /** Normalised distance that scores 50. */
  halfScore: z.number().positive().default(0.2),
  /** Score at or above which the result is anomalous. */
  anomalousAbove: z.number().min(0).max(100).default(50),
  /** Stop computing once the score is proven to be at least this (100 = never prune). */
  pruneAboveScore: z.number().gt(0).max(100).default(99),
  /** Floor of the reference scale, in the metric's units, so that a reference near zero does not blow the ratio up. */
  minScale: z.number().min(0).default(0),
  /** Fewest minutes with both series present. */
  minPoints: z.number().int().min(2).default(5),
});

export type DtwConfig = z.output<typeof dtwConfigSchema>;

const identity = { name: 'dtw', version: '1.0.0' } as const;

/** Runs the DTW comparison on one metric; see the module comment for the calibration. */
export function dtwDetect(input: DetectorInput, config: DtwConfig): DetectorResult {
  const chosen = comparisonPair(input);
  if (!chosen.ok) return insufficientData(identity, chosen.error.message);
  const pair = chosen.value;
  const { a: treated, b: reference } = presentPairs(pair.treated, pair.reference);
  const length = treated.length;
  if (length < config.minPoints) {
    return insufficientData(identity, `dtw requires at least ${config.minPoints} minutes where both series have a value, got ${length}`, { points: length, mode: pair.mode });
  }
  let meanDifference = 0;
  let referenceLevel = 0;
  for (let i = 0; i < length; i++) {
    meanDifference += treated[i] - reference[i];
    referenceLevel += Math.abs(reference[i]);
  }
  meanDifference /= length;
  referenceLevel /= length;
  const scale = config.zNormalize ? 1 : Math.max(referenceLevel, config.minScale);
  const band = Math.round(config.windowFraction * length);
  // Invert the calibration: the raw distance at which the score reaches `pruneAboveScore`.
  const pruneAt = config.pruneAboveScore >= 100 ? Infinity : (config.halfScore * config.pruneAboveScore) / (100 - config.pruneAboveScore);
  const perPointLimit = pruneAt * scale;
  const abandonAbove = !Number.isFinite(perPointLimit) ? undefined : config.cost === 'squared' ? perPointLimit * perPointLimit * length : perPointLimit * length;
  const outcome = dtw(treated, reference, { window: band, cost: config.cost, zNormalize: config.zNormalize, abandonAbove });
  const perPoint = outcome.abandoned ? perPointLimit : config.cost === 'squared' ? Math.sqrt(outcome.distance / length) : outcome.distance / length;
  const normalized = perPoint === 0 ? 0 : scale > 0 ? perPoint / scale : Infinity;
  const observed: DetectorResult['direction'] = meanDifference > 0 ? 'up' : meanDifference < 0 ? 'down' : 'none';
  const wanted = input.direction ?? 'both';
  const harmless = (wanted === 'up' && observed === 'down') || (wanted === 'down' && observed === 'up');
  const raw = normalized === Infinity ? 100 : saturatingScore(normalized, config.halfScore);
  const score = harmless ? 0 : clampScore(raw);
  return {
    detector: identity.name,
    version: identity.version,
    status: 'ok',
    score,
    anomalous: score >= config.anomalousAbove && score > 0,
    direction: observed,
    evidence: {
      mode: pair.mode,
      points: length,
      distance: outcome.abandoned ? null : outcome.distance,
      distanceAtLeast: outcome.abandoned ? (abandonAbove ?? null) : outcome.distance,
      normalizedDistance: outcome.abandoned || !Number.isFinite(normalized) ? null : normalized,
      normalizedDistanceAtLeast: Number.isFinite(normalized) ? normalized : null,
      scale,
      band,
      cost: config.cost,
      zNormalize: config.zNormalize,
      pruned: outcome.abandoned,
      prunedBy: outcome.prunedBy,
      cells: outcome.cells,
      meanDifference,
      harmlessDirection: harmless,
    },
    plot: [
      { name: 'treated', start: pair.start, step: pair.step, values: toJsonValues(pair.treated), role: 'observed' },
      { name: pair.mode === 'released_vs_unreleased' ? 'control' : 'history', start: pair.start, step: pair.step, values: toJsonValues(pair.reference), role: 'control' },
    ],
  };
}

/** Registry entry: released vs unreleased (or before vs after) shape distance by DTW. */
export const dtwDetector: DetectorModule<typeof dtwConfigSchema> = {
  name: identity.name,
  version: identity.version,
  description: 'How far the released hosts\u2019 curve is from the unreleased hosts\u2019 after the best time alignment (DTW), relative to the control\u2019s level.',
  configSchema: dtwConfigSchema,
  capabilities: { minTreatedPoints: 5, needsHistory: false, needsControl: true, needsLogs: false, seasonal: false },
  detect: dtwDetect,
};
