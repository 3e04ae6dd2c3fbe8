/**
 * Bands: the explicit upper and lower bounds "prediction ± δ" that turn a forecast into a
 * judgment. δ comes from a fixed value, from exponentially smoothed past deviations at the same
 * periodic slot, or from k standard deviations of recent residuals.
 */
import { z } from 'zod';
import { parseConfig } from './config.js';
import { SluiceError } from './errors.js';

const fixedSchema = z.object({
  method: z.literal('fixed'),
  /** Half-width in the metric's units (≥ 0). */
  delta: z.number().finite().nonnegative(),
});

const seasonalEwmaSchema = z.object({
  method: z.literal('seasonal-ewma'),
  /** Season length in points; point i shares its slot with i − period, i − 2·period, … */
  period: z.number().int().positive(),
  /** Smoothing weight of the newest deviation, in (0, 1] (default 0.3). */
  alpha: z.number().gt(0).lte(1).default(0.3),
  /** δ = multiplier × smoothed |residual| (default 3; for normal residuals E|r| ≈ 0.8σ, so 3 ≈ 2.4σ). */
  multiplier: z.number().finite().positive().default(3),
  /** Floor on δ in the metric's units, so a slot that was exact once does not give a zero-width band (default 0). */
  minDelta: z.number().finite().nonnegative().default(0),
});

const rollingSigmaSchema = z.object({
  method: z.literal('rolling-sigma'),
  /** How many preceding points' residuals form the window (default 60). */
  window: z.number().int().min(2).default(60),
  /** δ = k × sample standard deviation of the window's residuals (default 3). */
  k: z.number().finite().positive().default(3),
  /** Fewest present residuals in the window for a δ; fewer gives `NaN` (default half the window, at least 2). */
  minPoints: z.number().int().min(2).optional(),
  /** Floor on δ in the metric's units (default 0). */
  minDelta: z.number().finite().nonnegative().default(0),
}).refine((o) => o.minPoints === undefined || o.minPoints <= o.window, {
  message: 'minPoints cannot exceed window',
  path: ['minPoints'],
});

export const bandOptionsSchema = z.discriminatedUnion('method', [fixedSchema, seasonalEwmaSchema, rollingSigmaSchema]);
export type BandOptions = z.input<typeof bandOptionsSchema>;

export interface Band {
  /** prediction − delta. */
  lower: Float64Array;
  /** prediction + delta. */
  upper: Float64Array;
  /** Half-width per point; `NaN` where there is not yet enough past to estimate it. */
  delta: Float64Array;
}

/**
 * Band = prediction ± δ for every point.
 *
 * - `fixed`: δ is the given constant.
 * - `seasonal-ewma`: per slot s = i mod period, d_s ← α·|r_i| + (1 − α)·d_s over the residuals
 *   r = actual − prediction seen so far at that slot (the first one initialises d_s);
 *   δ_i = max(minDelta, multiplier · d_s) using only earlier points of the slot, so an anomaly
 *   never widens its own band. `NaN` until the slot has a residual.
 * - `rolling-sigma`: δ_i = max(minDelta, k · sd(r_{i−window} … r_{i−1})), the sample standard
 *   deviation of the preceding window's present residuals (again excluding point i).
 *
 * Missing residuals (either input `NaN`) are skipped; a missing prediction gives `NaN` bounds but
 * still a δ. Cost: O(n) time for every method (running sums for `rolling-sigma`), O(n + period) memory.
 *
 * @example
 * band(Float64Array.of(10, 10, 10, 10), Float64Array.of(11, 9, 12, 10), { method: 'rolling-sigma', window: 2, k: 1 })
 * // delta [NaN, NaN, 1.4142…, 2.1213…]
 */
export function band(prediction: ArrayLike<number>, actual: ArrayLike<number> | null, options: BandOptions): Band {
  const o = parseConfig(bandOptionsSchema, options, 'band options');
  const n = prediction.length;
  if (o.method !== 'fixed' && (actual === null || actual.length !== n)) {
    throw new SluiceError('invalid_input', 'actual', `band: actual must have the prediction's length ${n}, got ${actual === null ? 'none' : actual.length}`);
  }
  const delta = new Float64Array(n);
  if (o.method === 'fixed') {
    delta.fill(o.delta);
  } else if (o.method === 'seasonal-ewma') {
    seasonalEwmaDelta(prediction, actual as ArrayLike<number>, o.period, o.alpha, o.multiplier, o.minDelta, delta);
  } else {
    const minPoints = o.minPoints ?? Math.max(2, Math.ceil(o.window / 2));
    rollingSigmaDelta(prediction, actual as ArrayLike<number>, o.window, o.k, minPoints, o.minDelta, delta);
  }
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = Number.isFinite(prediction[i]) ? prediction[i] : NaN;
    lower[i] = p - delta[i];
    upper[i] = p + delta[i];
  }
  return { lower, upper, delta };
}

function residualAt(prediction: ArrayLike<number>, actual: ArrayLike<number>, i: number): number {
  const r = actual[i] - prediction[i];
  return Number.isFinite(r) ? r : NaN;
}

function seasonalEwmaDelta(
  prediction: ArrayLike<number>,
  actual: ArrayLike<number>,
  period: number,
  alpha: number,
  multiplier: number,
  minDelta: number,
  delta: Float64Array,
): void {
  const smoothed = new Float64Array(Math.min(period, prediction.length)).fill(NaN);
  for (let i = 0, slot = 0; i < prediction.length; i++, slot = slot + 1 === period ? 0 : slot + 1) {
    const state = smoothed[slot];
    delta[i] = state === state ? Math.max(minDelta, multiplier * state) : NaN;
    const r = residualAt(prediction, actual, i);
    if (r !== r) continue;
    const deviation = Math.abs(r);
    smoothed[slot] = state === state ? alpha * deviation + (1 - alpha) * state : deviation;
  }
}

function rollingSigmaDelta(
  prediction: ArrayLike<number>,
  actual: ArrayLike<number>,
  window: number,
  k: number,
  minPoints: number,
  minDelta: number,
  delta: Float64Array,
): void {
  const n = prediction.length;
  const residuals = new Float64Array(n);
  let shift = NaN;
  for (let i = 0; i < n; i++) {
    residuals[i] = residualAt(prediction, actual, i);
    if (shift !== shift && residuals[i] === residuals[i]) shift = residuals[i];
  }
  // Sums of (r − shift) keep the running variance free of cancellation when residuals sit far from 0.
  let count = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    if (count >= minPoints) {
      const variance = Math.max(0, (sumSquares - (sum * sum) / count) / (count - 1));
      delta[i] = Math.max(minDelta, k * Math.sqrt(variance));
    } else {
      delta[i] = NaN;
    }
    const entering = residuals[i];
    if (entering === entering) {
      const d = entering - shift;
      count++;
      sum += d;
      sumSquares += d * d;
    }
    if (i - window >= 0) {
      const leaving = residuals[i - window];
      if (leaving === leaving) {
        const d = leaving - shift;
        count--;
        sum -= d;
        sumSquares -= d * d;
      }
    }
    // Add-and-remove drifts over millions of points; re-summing once per window bounds the error at O(1) amortised cost.
    if ((i + 1) % window === 0) {
      count = 0;
      sum = 0;
      sumSquares = 0;
      for (let j = Math.max(0, i - window + 1); j <= i; j++) {
        const r = residuals[j];
        if (r !== r) continue;
        const d = r - shift;
        count++;
        sum += d;
        sumSquares += d * d;
      }
    }
  }
}
