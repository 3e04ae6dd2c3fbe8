/**
 * The mapping from a deviation to a 0–100 anomaly score, shared by every detector so that
 * "75" means the same thing everywhere.
 *
 * Point score, for a residual r (observed − expected) and a band half-width δ > 0:
 *
 *   inside the band  (|r| ≤ δ):  score = 50 · |r| / δ                      (0 … 50)
 *   outside the band (|r| > δ):  score = 50 + 50 · (1 − exp(−(|r| − δ) / δ))  (50 … 100)
 *
 * So the band edge scores exactly 50, one δ beyond it ≈ 81.6, two δ ≈ 93.2, three δ ≈ 97.5.
 * Only deviations in the bad direction count: with direction `up`, a negative residual scores 0.
 * The score depends on r / δ only, so it does not change when the metric is rescaled or shifted.
 *
 * Window score, for the point scores of an observation window (see `windowScore`): by default
 * the mean of the `persistence` (3) highest point scores, so one spike to 100 among quiet points
 * gives 33, two give 67 and three or more points at 100 give 100 — robust to a lone spike,
 * rising as the deviation persists.
 */
import type { Direction } from './detector.js';

/** Score in [0, 100] of one residual against a band half-width `delta` (> 0). `NaN` inputs give 0. */
export function deviationScore(residual: number, delta: number, direction: Direction = 'both'): number {
  if (!Number.isFinite(residual) || !(delta > 0) || !Number.isFinite(delta)) return 0;
  if (direction === 'up' && residual <= 0) return 0;
  if (direction === 'down' && residual >= 0) return 0;
  const a = Math.abs(residual);
  if (a <= delta) return (50 * a) / delta;
  return 50 + 50 * (1 - Math.exp(-(a - delta) / delta));
}

/**
 * Maps a non-negative statistic to [0, 100) with `half` scoring exactly 50:
 * score = 100 · x / (x + half). For distances and ratios whose natural scale is known.
 */
export function saturatingScore(value: number, half: number): number {
  if (!Number.isFinite(value) || value <= 0 || !(half > 0)) return 0;
  return (100 * value) / (value + half);
}

/** Clamps a number into [0, 100], sending `NaN` to 0. */
export function clampScore(score: number): number {
  if (!(score > 0)) return 0;
  return score > 100 ? 100 : score;
}

/**
 * Per-point scores of observations against a band [lower, upper]: the residual from the band's
 * midpoint, scored by `deviationScore` with δ = half the band's width, so the edges score 50.
 * A zero-width band scores 0 on it and 100 off it (in the bad direction). A point with a missing
 * observation or bound, or with lower > upper, scores `NaN` (no evidence, not "normal").
 * Invariant under x → a·x + b (a > 0) applied to all three inputs. Cost: O(n).
 *
 * @example
 * scoreSeries([10, 11, 6], [8, 8, 8], [12, 12, 12], 'both') // [0, 25, 81.6…] (residuals 0, 1, −4 against δ = 2)
 */
export function scoreSeries(actual: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>, direction: Direction = 'both'): Float64Array {
  const n = actual.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = actual[i];
    const lo = i < lower.length ? lower[i] : NaN;
    const hi = i < upper.length ? upper[i] : NaN;
    if (!Number.isFinite(x) || !Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
      out[i] = NaN;
      continue;
    }
    const half = (hi - lo) / 2;
    const residual = x - (lo + half);
    if (half > 0) {
      out[i] = deviationScore(residual, half, direction);
    } else {
      const bad = direction === 'up' ? residual > 0 : direction === 'down' ? residual < 0 : residual !== 0;
      out[i] = bad ? 100 : 0;
    }
  }
  return out;
}

/**
 * Mean of the highest ⌈n/4⌉ values of `scores` (n = its length); 0 for an empty list. The window
 * score of the forecast-band detectors: a lone spike among 20 points moves it by at most 1/5 of
 * its score, a deviation lasting a quarter of the window or more scores like its points.
 *
 * @example
 * topQuarterMean([0, 100, 0, 0, 50]) // 75 (the top ⌈5/4⌉ = 2 values)
 */
export function topQuarterMean(scores: ArrayLike<number>): number {
  if (scores.length === 0) return 0;
  const sorted = Array.from(scores).sort((a, b) => b - a);
  const take = Math.ceil(sorted.length / 4);
  let sum = 0;
  for (let i = 0; i < take; i++) sum += sorted[i];
  return sum / take;
}

export interface WindowScoreOptions {
  /**
   * `top-mean` (default): mean of the `persistence` highest point scores, counting absent ones as 0.
   * `max`: the highest point score (a single spike decides). `mean`: the mean of all present scores.
   * `top-quarter`: mean of the highest quarter (rounded up) of the present scores (`topQuarterMean`).
   */
  method?: 'top-mean' | 'max' | 'mean' | 'top-quarter';
  /** Points that must deviate together for the full score under `top-mean` (default 3, at least 1). */
  persistence?: number;
}

/**
 * One 0–100 score for a window of point scores (`NaN` = missing point, skipped). With the
 * default `top-mean` and persistence m, the score is the sum of the m highest scores divided by
 * m: a lone spike counts 1/m of its score, and the score grows as more points deviate until m of
 * them do. A window shorter than m points therefore scores at most (points / m) × its maximum.
 * `NaN` when no point is present. Cost: O(n · m) for `top-mean` (m is small), O(n log n) for
 * `top-quarter`, O(n) otherwise.
 *
 * @example
 * windowScore([0, 100, 0, 0]) // 33.33…; windowScore([90, 95, 100, 0]) // 95
 */
export function windowScore(pointScores: ArrayLike<number>, options: WindowScoreOptions = {}): number {
  const method = options.method ?? 'top-mean';
  const persistence = options.persistence ?? 3;
  if (!(Number.isInteger(persistence) && persistence >= 1)) {
    throw new RangeError(`windowScore: persistence must be a positive integer, got ${persistence}`);
  }
  let present = 0;
  let sum = 0;
  let max = 0;
  const top = method === 'top-mean' ? new Float64Array(persistence) : null;
  const all: number[] | null = method === 'top-quarter' ? [] : null;
  for (let i = 0; i < pointScores.length; i++) {
    const s = pointScores[i];
    if (s !== s) continue;
    const v = clampScore(s);
    present++;
    if (all !== null) all.push(v);
    sum += v;
    if (v > max) max = v;
    if (top !== null && v > top[persistence - 1]) {
      // Insertion into a descending array of the m largest.
      let k = persistence - 1;
      while (k > 0 && top[k - 1] < v) {
        top[k] = top[k - 1];
        k--;
      }
      top[k] = v;
    }
  }
  if (present === 0) return NaN;
  if (method === 'max') return max;
  if (method === 'mean') return sum / present;
  if (all !== null) return clampScore(topQuarterMean(all));
  let topSum = 0;
  for (let k = 0; k < persistence; k++) topSum += (top as Float64Array)[k];
  return clampScore(topSum / persistence);
}

export interface BandJudgment {
  /** Per-point scores (`scoreSeries`). */
  pointScores: Float64Array;
  /** Window score (`windowScore`); 0 when no point is present, with `pointsPresent` 0 saying so. */
  score: number;
  /** Side the out-of-band points mostly fall on; `none` when no present point is outside the band. */
  direction: 'up' | 'down' | 'none';
  pointsPresent: number;
  pointsAbove: number;
  pointsBelow: number;
}

/**
 * Scores a window of observations against a band in one pass: point scores, the window score,
 * and which side the deviation is on (the side with more points outside the band, counting only
 * the bad `direction`; ties go to the side with the larger summed excess). O(n).
 *
 * @example
 * judgeAgainstBand([10, 20, 21, 5], [8, 8, 8, 8], [12, 12, 12, 12], 'both')
 * // pointScores [0, 99.08, 99.44, 88.84]; score 95.79 (mean of the top three); direction 'up'; pointsAbove 2, pointsBelow 1
 */
export function judgeAgainstBand(actual: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>, direction: Direction = 'both', options: WindowScoreOptions = {}): BandJudgment {
  const pointScores = scoreSeries(actual, lower, upper, direction);
  let pointsPresent = 0;
  let pointsAbove = 0;
  let pointsBelow = 0;
  let excessAbove = 0;
  let excessBelow = 0;
  for (let i = 0; i < pointScores.length; i++) {
    if (pointScores[i] !== pointScores[i]) continue;
    pointsPresent++;
    if (actual[i] > upper[i] && direction !== 'down') {
      pointsAbove++;
      excessAbove += (actual[i] - upper[i]) / Math.max(upper[i] - lower[i], Number.MIN_VALUE);
    } else if (actual[i] < lower[i] && direction !== 'up') {
      pointsBelow++;
      excessBelow += (lower[i] - actual[i]) / Math.max(upper[i] - lower[i], Number.MIN_VALUE);
    }
  }
  const side =
    pointsAbove + pointsBelow === 0
      ? 'none'
      : pointsAbove !== pointsBelow
        ? pointsAbove > pointsBelow
          ? 'up'
          : 'down'
        : excessAbove >= excessBelow
          ? 'up'
          : 'down';
  const score = pointsPresent === 0 ? 0 : windowScore(pointScores, options);
  return { pointScores, score, direction: side, pointsPresent, pointsAbove, pointsBelow };
}
