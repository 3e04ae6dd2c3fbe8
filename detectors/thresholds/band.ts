/**
 * Shared pieces of the threshold detectors: scoring points against a band, turning point scores
 * into a window score, and the window statistics the comparison detectors use.
 */
import { z } from 'zod';
import { deviationScore } from '../../src/core/score.js';
import { nanMad, nanMedian } from '../../src/core/stats.js';
import type { DetectorResult, Direction, PlotSeries } from '../../src/core/detector.js';
import { toJsonValues, type Series } from '../../src/core/series.js';

/** Points that must breach before a window counts as breaching; absorbs single spikes. */
export const minViolationsField = z.number().int().min(1).default(3);

/** Multiplier of the robust spread that makes the band half-width (comparison detectors). */
export const sensitivityField = z.number().positive().default(3);

/**
 * Scores of every point against the thresholds `upper` (with margin `upperMargin`) and `lower`
 * (with `lowerMargin`). A point exactly on a threshold scores 50, one margin beyond it ≈ 81.6,
 * one margin inside it 0 (src/core/score.ts). `NaN` points, and absent thresholds, score `NaN`.
 * Writes into `up` and `down`. O(n).
 */
export function bandScores(
  values: Float64Array,
  upper: ArrayLike<number> | number,
  lower: ArrayLike<number> | number,
  upperMargin: ArrayLike<number> | number,
  lowerMargin: ArrayLike<number> | number,
  up: Float64Array,
  down: Float64Array,
): void {
  const at = (x: ArrayLike<number> | number, i: number): number => (typeof x === 'number' ? x : x[i]);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const u = at(upper, i);
    const l = at(lower, i);
    if (!Number.isFinite(v)) {
      up[i] = NaN;
      down[i] = NaN;
      continue;
    }
    const mu = at(upperMargin, i);
    const ml = at(lowerMargin, i);
    up[i] = Number.isFinite(u) ? deviationScore(v - (u - mu), mu, 'up') : NaN;
    down[i] = Number.isFinite(l) ? deviationScore(v - (l + ml), ml, 'down') : NaN;
  }
}

/**
 * The k-th largest finite value (k ≥ 1, capped at the count of finite values); `NaN` if none.
 * Keeps the k largest in a small sorted buffer: O(n·k) for the small k thresholds use.
 */
export function kthLargest(values: ArrayLike<number>, k: number): number {
  const top = new Float64Array(Math.max(1, k));
  let filled = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (filled === top.length && v <= top[filled - 1]) continue;
    // Insert v into the descending buffer, dropping its smallest entry when full.
    let j = filled < top.length ? filled++ : filled - 1;
    while (j > 0 && top[j - 1] < v) {
      top[j] = top[j - 1];
      j--;
    }
    top[j] = v;
  }
  return filled === 0 ? NaN : top[filled - 1];
}

function countAtLeast(values: Float64Array, limit: number): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] >= limit) n++;
  return n;
}

/**
 * Window verdict from per-point band scores: the score is the `minViolations`-th largest point
 * score in the bad direction, so it reaches 50 exactly when that many points lie beyond a
 * threshold. The observed direction looks at both sides whatever the bad direction is.
 */
export function windowFromBand(
  detector: { name: string; version: string },
  up: Float64Array,
  down: Float64Array,
  minViolations: number,
  direction: Direction,
  evidence: DetectorResult['evidence'],
): DetectorResult {
  const upScore = kthLargest(up, minViolations);
  const downScore = kthLargest(down, minViolations);
  const u = Number.isFinite(upScore) ? upScore : 0;
  const d = Number.isFinite(downScore) ? downScore : 0;
  const score = direction === 'up' ? u : direction === 'down' ? d : Math.max(u, d);
  const observed = u >= 50 && u >= d ? 'up' : d >= 50 ? 'down' : 'none';
  return {
    detector: detector.name,
    version: detector.version,
    status: 'ok',
    score,
    anomalous: score >= 50,
    direction: observed,
    evidence: { ...evidence, minViolations, pointsAbove: countAtLeast(up, 50), pointsBelow: countAtLeast(down, 50) },
  };
}

/**
 * Window verdict from one window statistic: `residual` (observed change minus the usual change)
 * against the band half-width `delta`. Shared by trend, same-time and previous-window.
 */
export function windowFromResidual(
  detector: { name: string; version: string },
  residual: number,
  delta: number,
  direction: Direction,
  evidence: DetectorResult['evidence'],
): DetectorResult {
  const score = deviationScore(residual, delta, direction);
  const observed = Math.abs(residual) > delta ? (residual > 0 ? 'up' : 'down') : 'none';
  return {
    detector: detector.name,
    version: detector.version,
    status: 'ok',
    score,
    anomalous: score >= 50,
    direction: observed,
    evidence: { ...evidence, residual: finiteOrNull(residual), delta: finiteOrNull(delta) },
  };
}

/** JSON has no NaN or Infinity: map them to `null` in evidence. */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * Robust centre and spread of window statistics: median and scaled MAD (σ-equivalent), with
 * the spread floored at `floor` so a perfectly regular history still gives a usable band.
 */
export function robustBand(statistics: ArrayLike<number>, floor: number): { center: number; spread: number } {
  const center = nanMedian(statistics);
  const mad = nanMad(statistics);
  return { center, spread: Math.max(Number.isFinite(mad) ? mad : 0, floor) };
}

/** A floor for a spread: a tiny fraction of the data's magnitude, so constant data never divides by zero. */
export function spreadFloor(magnitude: number): number {
  const m = Math.abs(magnitude);
  return Number.isFinite(m) && m > 0 ? m * 1e-9 : 1e-12;
}

/**
 * Index in `history` at which `treated` starts (usually `history.values.length`), or `null` when
 * the two series do not share a step and a grid.
 */
export function treatedOffset(history: { start: number; step: number }, treated: { start: number; step: number }): number | null {
  if (history.step !== treated.step) return null;
  const offset = (treated.start - history.start) / treated.step;
  return Number.isInteger(offset) && offset >= 0 ? offset : null;
}

/** Relative-change floor of the band, as a fraction of the reference level. */
export const minRelativeChangeField = z.number().min(0).default(0.05);

/** The treated series with its thresholds, for plotting next to the verdict (absent thresholds are left out). */
export function bandPlot(treated: Series, upper: Float64Array | number, lower: Float64Array | number): PlotSeries[] {
  const { start, step, values } = treated;
  const line = (x: Float64Array | number): Float64Array => (typeof x === 'number' ? new Float64Array(values.length).fill(x) : x);
  const plot: PlotSeries[] = [{ name: 'observed', start, step, values: toJsonValues(values), role: 'observed' }];
  const hasAny = (x: Float64Array | number) => (typeof x === 'number' ? Number.isFinite(x) : x.some(Number.isFinite));
  if (hasAny(lower)) plot.push({ name: 'lower', start, step, values: toJsonValues(line(lower)), role: 'lower' });
  if (hasAny(upper)) plot.push({ name: 'upper', start, step, values: toJsonValues(line(upper)), role: 'upper' });
  return plot;
}
