/**
 * Window statistics of standardised residuals, and their empirical null: the same statistics over
 * every window of the same length slid across a baseline. Detectors that calibrate their bands on
 * what a series did before (rather than on a normal model) share these.
 */
import type { Direction } from './detector.js';

export interface WindowStatistics {
  /** Present points. */
  count: number;
  /** Mean z (signed); `NaN` when no point is present. */
  mean: number;
  /** Mean z in the bad direction (negated for `down`, absolute for `both`). */
  shift: number;
  /** Mean of the highest quarter (rounded up) of z in the bad direction. */
  burst: number;
  /** Sample standard deviation of z (0 below two points). */
  spread: number;
}

/**
 * Shift, burst and spread of `z` over [from, to), skipping `NaN`. O(n log n). `scratch` (at least
 * `to − from` long) saves an allocation when called in a loop.
 */
export function windowStatistics(z: ArrayLike<number>, from: number, to: number, direction: Direction, scratch: Float64Array = new Float64Array(Math.max(0, to - from))): WindowStatistics {
  let count = 0;
  let sum = 0;
  for (let i = from; i < to; i++) {
    const v = z[i];
    if (v !== v) continue;
    scratch[count++] = direction === 'up' ? v : direction === 'down' ? -v : Math.abs(v);
    sum += v;
  }
  const directed = scratch.subarray(0, count);
  if (count === 0) return { count, mean: NaN, shift: 0, burst: 0, spread: 0 };
  const mean = sum / count;
  let m2 = 0;
  for (let i = from; i < to; i++) if (z[i] === z[i]) m2 += (z[i] - mean) ** 2;
  directed.sort();
  const top = Math.max(1, Math.ceil(count / 4));
  let topSum = 0;
  for (let i = 0; i < top; i++) topSum += directed[count - 1 - i];
  const shift = direction === 'up' ? mean : direction === 'down' ? -mean : Math.abs(mean);
  return { count, mean, shift, burst: topSum / top, spread: count > 1 ? Math.sqrt(m2 / (count - 1)) : 0 };
}

export interface NullMaxima {
  /** Windows that had enough present points to count. */
  windows: number;
  shift: number;
  burst: number;
  spread: number;
}

/**
 * The largest shift, burst and spread over every window of length `n` slid across `z` (windows
 * with fewer than `minCount` present points are skipped). O(len · n log n).
 */
export function nullMaxima(z: ArrayLike<number>, n: number, direction: Direction, minCount: number): NullMaxima {
  const out: NullMaxima = { windows: 0, shift: 0, burst: 0, spread: 0 };
  const scratch = new Float64Array(Math.max(0, n));
  for (let from = 0; from + n <= z.length; from++) {
    const stats = windowStatistics(z, from, from + n, direction, scratch);
    if (stats.count < minCount) continue;
    out.windows++;
    out.shift = Math.max(out.shift, stats.shift);
    out.burst = Math.max(out.burst, stats.burst);
    out.spread = Math.max(out.spread, stats.spread);
  }
  return out;
}
