/**
 * STL: Seasonal-Trend decomposition by Loess (Cleveland, Cleveland, McRae & Terpenning, 1990,
 * "STL: A Seasonal-Trend Decomposition Procedure Based on Loess", Journal of Official
 * Statistics 6(1), 3–73).
 *
 * y = seasonal + trend + remainder, by an inner loop (detrend → smooth each cycle-subseries →
 * remove the low-pass of that → deseasonalise → smooth the trend) wrapped in an optional outer
 * loop that down-weights points with large remainders (bisquare robustness weights).
 */
import { z } from 'zod';
import { parseConfig } from '../../src/core/config.js';
import { cycleSubseriesSmooth, loessSmooth, lowPassFilter, TricubeTable, type SubseriesBuffers } from './loess.js';

const oddWindow = (minimum: number) =>
  z
    .number()
    .int()
    .min(minimum)
    .refine((v) => v % 2 === 1, { message: 'must be an odd integer' });
const degree = z.union([z.literal(0), z.literal(1)]);
const positiveInteger = z.number().int().min(1);

/**
 * STL parameters. Anything left out takes the default of the chosen `preset`:
 *
 * | field | `preset: 'r'` (R's `stats::stl`) | `preset: 'statsmodels'` (`STL(...).fit()`) |
 * | --- | --- | --- |
 * | seasonalDegree | 0 | 1 |
 * | trendWindow | nextodd(ceil(1.5·period / (1 − 1.5 / seasonalWindow))) | same |
 * | trendDegree | 1 | 1 |
 * | lowpassWindow | nextodd(period) | smallest odd > period |
 * | lowpassDegree | trendDegree | 1 |
 * | jumps | ceil(window / 10) | 1 |
 * | inner | robust ? 1 : 2 | robust ? 2 : 5 |
 * | outer | robust ? 15 : 0 | robust ? 15 : 0 |
 *
 * `seasonalWindow: 'periodic'` follows R: a window of 10·n + 1 with degree 0, then the seasonal
 * component is replaced by its mean per position in the cycle, so it repeats exactly.
 */
export const stlConfigSchema = z.object({
  /** Points per seasonal cycle (12 for monthly data with a yearly cycle, 288 for 5-minute data with a daily one). */
  period: z.number().int().min(2),
  /** Span of the cycle-subseries loess, in cycles: odd ≥ 7, or 'periodic'. */
  seasonalWindow: z.union([z.literal('periodic'), oddWindow(7)]).default(7),
  seasonalDegree: degree.optional(),
  /** Span of the trend loess, in points (odd ≥ 3). */
  trendWindow: oddWindow(3).optional(),
  trendDegree: degree.default(1),
  /** Span of the low-pass loess, in points (odd ≥ 3). */
  lowpassWindow: oddWindow(3).optional(),
  lowpassDegree: degree.optional(),
  /** Evaluate each loess every `jump` points and interpolate linearly between (1 = every point). */
  seasonalJump: positiveInteger.optional(),
  trendJump: positiveInteger.optional(),
  lowpassJump: positiveInteger.optional(),
  /** Passes of the inner loop per robustness iteration. */
  inner: positiveInteger.optional(),
  /** Robustness iterations (0 = none). */
  outer: z.number().int().min(0).optional(),
  /** Down-weight points with large remainders (bisquare of remainder / 6·median|remainder|). */
  robust: z.boolean().default(false),
  /** Whose defaults fill the fields left out. */
  preset: z.enum(['r', 'statsmodels']).default('r'),
});

/** STL options after parsing (defaults filled; preset-dependent fields may still be absent). */
export type StlOptions = z.output<typeof stlConfigSchema>;
/** STL options as a caller writes them. */
export type StlConfig = z.input<typeof stlConfigSchema>;

/** Every STL parameter, resolved for a series of a given length. */
export interface StlParameters {
  period: number;
  periodic: boolean;
  seasonalWindow: number;
  seasonalDegree: 0 | 1;
  trendWindow: number;
  trendDegree: 0 | 1;
  lowpassWindow: number;
  lowpassDegree: 0 | 1;
  seasonalJump: number;
  trendJump: number;
  lowpassJump: number;
  inner: number;
  outer: number;
}

export interface StlResult {
  seasonal: Float64Array;
  trend: Float64Array;
  /** y − seasonal − trend, exactly as computed; `NaN` where y is missing. */
  remainder: Float64Array;
  /** Final robustness weights in [0, 1] (all 1 without robustness); 0 where y is missing. */
  weights: Float64Array;
}

/** Parses and validates STL options (throws `SluiceError('invalid_config')` naming the field). */
export function parseStlOptions(input: unknown): StlOptions {
  return parseConfig(stlConfigSchema, input, 'stl config');
}

const nextOdd = (x: number): number => {
  const r = Math.round(x);
  return r % 2 === 0 ? r + 1 : r;
};

/** Resolves every parameter for a series of `n` points, filling the preset's defaults. */
export function resolveStlParameters(n: number, options: StlOptions): StlParameters {
  const { period, robust } = options;
  const r = options.preset === 'r';
  const periodic = options.seasonalWindow === 'periodic';
  const seasonalWindow = periodic ? 10 * n + 1 : (options.seasonalWindow as number);
  const seasonalDegree = periodic ? 0 : (options.seasonalDegree ?? (r ? 0 : 1));
  const trendWindow = options.trendWindow ?? nextOdd(Math.ceil((1.5 * period) / (1 - 1.5 / seasonalWindow)));
  const trendDegree = options.trendDegree;
  const lowpassWindow = options.lowpassWindow ?? (r ? nextOdd(period) : period + 1 + ((period + 1) % 2 === 0 ? 1 : 0));
  const lowpassDegree = options.lowpassDegree ?? (r ? trendDegree : 1);
  // A periodic seasonal fits each subseries once, whatever the preset: the window spans it all.
  const jump = (window: number) => (r || periodic ? Math.ceil(window / 10) : 1);
  return {
    period,
    periodic,
    seasonalWindow,
    seasonalDegree,
    trendWindow,
    trendDegree,
    lowpassWindow,
    lowpassDegree,
    seasonalJump: options.seasonalJump ?? jump(seasonalWindow),
    trendJump: options.trendJump ?? (r ? Math.ceil(trendWindow / 10) : 1),
    lowpassJump: options.lowpassJump ?? (r ? Math.ceil(lowpassWindow / 10) : 1),
    inner: options.inner ?? (r ? (robust ? 1 : 2) : robust ? 2 : 5),
    outer: options.outer ?? (robust ? 15 : 0),
  };
}

/**
 * Decomposes `values` into seasonal + trend + remainder by STL.
 *
 * Missing points (`NaN`) take part with weight zero in every loess fit, as the paper allows:
 * the seasonal and trend are estimated from the points present, and are defined (finite) at
 * the missing points too. Before the loop the gaps are filled by linear interpolation between
 * present neighbours (constant beyond the ends) — those values only matter where a loess
 * window holds no present point at all, where the reference falls back to the raw value. The
 * remainder is `NaN` and the weight 0 at missing points. A series of fewer than two full
 * periods (or with fewer than two present points) is not decomposed: seasonal is 0 and
 * trend the mean of the present points.
 *
 * Cost: O(n · (seasonalWindow / seasonalJump + trendWindow / trendJump + lowpassWindow /
 * lowpassJump) · inner · (outer + 1)); memory O(n + period).
 *
 * @example
 *   stl(co2, parseStlOptions({ period: 12, seasonalWindow: 'periodic' }))
 *   // seasonal -0.0610, 0.5946, 1.3290 …; trend 315.1954, 315.3023, 315.4093 …
 *   // (R's stl(co2, s.window = "periodic") agrees to 1e-10)
 */
export function stl(values: Float64Array, options: StlOptions): StlResult {
  const n = values.length;
  const seasonal = new Float64Array(n);
  const trend = new Float64Array(n);
  const remainder = new Float64Array(n);
  const weights = new Float64Array(n);
  const p = resolveStlParameters(n, options);
  const period = p.period;

  // Missing points: weight 0, value interpolated (used only as a last-resort fallback).
  const y = new Float64Array(n);
  const present = new Float64Array(n);
  let presentCount = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      y[i] = v;
      present[i] = 1;
      presentCount++;
    }
  }
  const hasMissing = presentCount < n;

  if (n < 2 * period || presentCount < 2) {
    let sum = 0;
    for (let i = 0; i < n; i++) if (present[i] === 1) sum += y[i];
    const level = presentCount > 0 ? sum / presentCount : 0;
    for (let i = 0; i < n; i++) {
      trend[i] = level;
      remainder[i] = values[i] - level;
      weights[i] = present[i];
    }
    return { seasonal, trend, remainder, weights };
  }
  if (hasMissing) interpolateGaps(y, present);

  const extended = n + 2 * period;
  const detrended = new Float64Array(extended);
  const cycle = new Float64Array(extended);
  const low = new Float64Array(extended);
  const scratch = new Float64Array(extended);
  const table = new TricubeTable(n + 1);
  const subLength = Math.trunc(n / period) + 3;
  const buffers: SubseriesBuffers = {
    values: new Float64Array(subLength),
    smoothed: new Float64Array(subLength),
    weights: new Float64Array(subLength),
    table: new TricubeTable(subLength + 1),
  };
  const robustWeights = weights;
  const absResiduals = new Float64Array(presentCount);
  if (hasMissing) robustWeights.set(present);
  let useWeights = hasMissing;

  for (let iteration = 0; ; iteration++) {
    for (let pass = 0; pass < p.inner; pass++) {
      for (let i = 0; i < n; i++) detrended[i] = y[i] - trend[i];
      cycleSubseriesSmooth(detrended, n, period, p.seasonalWindow, p.seasonalDegree, p.seasonalJump, useWeights, robustWeights, cycle, buffers);
      lowPassFilter(cycle, 0, extended, period, low, 0, scratch, 0);
      loessSmooth(low, 0, n, p.lowpassWindow, p.lowpassDegree, p.lowpassJump, false, robustWeights, 0, detrended, 0, table);
      for (let i = 0; i < n; i++) seasonal[i] = cycle[period + i] - detrended[i];
      for (let i = 0; i < n; i++) detrended[i] = y[i] - seasonal[i];
      loessSmooth(detrended, 0, n, p.trendWindow, p.trendDegree, p.trendJump, useWeights, robustWeights, 0, trend, 0, table);
    }
    if (iteration >= p.outer) break;
    updateRobustWeights(y, seasonal, trend, present, hasMissing, robustWeights, absResiduals);
    useWeights = true;
  }
  if (p.outer <= 0) robustWeights.set(present);

  if (p.periodic) {
    // The mean per cycle position, so the seasonal repeats exactly (as R does).
    const sums = new Float64Array(period);
    const counts = new Float64Array(period);
    for (let i = 0; i < n; i++) {
      sums[i % period] += seasonal[i];
      counts[i % period]++;
    }
    for (let i = 0; i < n; i++) seasonal[i] = sums[i % period] / counts[i % period];
  }
  for (let i = 0; i < n; i++) remainder[i] = values[i] - seasonal[i] - trend[i];
  return { seasonal, trend, remainder, weights: robustWeights };
}

/**
 * Bisquare robustness weights from the current fit: B(|r| / (6 · median|r|)), with the median
 * over present points taken as the textbook median (mean of the two middle order statistics
 * when their count is even).
 */
function updateRobustWeights(
  y: Float64Array,
  seasonal: Float64Array,
  trend: Float64Array,
  present: Float64Array,
  hasMissing: boolean,
  out: Float64Array,
  scratch: Float64Array,
): void {
  const n = y.length;
  let m = 0;
  for (let i = 0; i < n; i++) if (present[i] === 1) scratch[m++] = Math.abs(y[i] - seasonal[i] - trend[i]);
  const median = medianInPlace(scratch, m);
  const cmad = 6 * median;
  const c9 = 0.999 * cmad;
  const c1 = 0.001 * cmad;
  for (let i = 0; i < n; i++) {
    const r = Math.abs(y[i] - seasonal[i] - trend[i]);
    let w: number;
    if (r <= c1) w = 1;
    else if (r <= c9) {
      const u = r / cmad;
      const v = 1 - u * u;
      w = v * v;
    } else w = 0;
    out[i] = hasMissing ? w * present[i] : w;
  }
}

/** Median of `a[0..m)` by quickselect (reorders `a`). O(m) expected. */
export function medianInPlace(a: Float64Array, m: number): number {
  if (m === 0) return 0;
  const upper = m >> 1;
  const hi = select(a, m, upper);
  if (m % 2 === 1) return hi;
  // After selecting `upper`, everything before it is ≤ it: the lower middle is their maximum.
  let lo = -Infinity;
  for (let i = 0; i < upper; i++) if (a[i] > lo) lo = a[i];
  return (lo + hi) / 2;
}

function select(a: Float64Array, m: number, k: number): number {
  let left = 0;
  let right = m - 1;
  while (right > left) {
    const pivot = a[(left + right) >> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return a[k];
}

/** Fills points with `present[i] === 0` by linear interpolation; constant beyond the ends. */
function interpolateGaps(y: Float64Array, present: Float64Array): void {
  const n = y.length;
  let previous = -1;
  for (let i = 0; i < n; i++) {
    if (present[i] !== 1) continue;
    if (previous === -1) for (let j = 0; j < i; j++) y[j] = y[i];
    else if (i - previous > 1) {
      const a = y[previous];
      const slope = (y[i] - a) / (i - previous);
      for (let j = previous + 1; j < i; j++) y[j] = a + slope * (j - previous);
    }
    previous = i;
  }
  for (let j = previous + 1; j < n; j++) y[j] = y[previous];
}
