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
