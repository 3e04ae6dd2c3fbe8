/**
 * Numeric helpers shared by detectors: NaN-aware moments and quantiles, the normal
 * distribution. No allocation beyond what the result needs.
 */

/** Mean of the finite values; `NaN` when there are none. */
export function nanMean(values: ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      sum += v;
      n++;
    }
  }
  return n === 0 ? NaN : sum / n;
}

/** Sample variance (n − 1) of the finite values, by Welford's update; `NaN` when fewer than two. */
export function nanVariance(values: ArrayLike<number>): number {
  let mean = 0;
  let m2 = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    n++;
    const d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
  }
  return n < 2 ? NaN : m2 / (n - 1);
}

/** Sample standard deviation of the finite values. */
export function nanStd(values: ArrayLike<number>): number {
  return Math.sqrt(nanVariance(values));
}

/** How many of the values are finite (neither NaN nor ±Infinity). O(n), no allocation. */
export function countFinite(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) n++;
  return n;
}

/** The finite values, in their order, in a new array. */
export function finiteValues(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(countFinite(values));
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) out[k++] = v;
  }
  return out;
}

/** The finite values, sorted ascending, in a new array. */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  return finiteValues(values).sort();
}

/**
 * Quantile `p` in [0, 1] of an ascending-sorted array, linear interpolation between order
 * statistics (R's type 7, numpy's default). `NaN` for an empty array.
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (p <= 0) return sorted[0];
  if (p >= 1) return sorted[n - 1];
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const frac = h - lo;
  return frac === 0 ? sorted[lo] : sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

/** Quantile `p` of the finite values (type 7). */
export function nanQuantile(values: ArrayLike<number>, p: number): number {
  return quantileSorted(sortedFinite(values), p);
}

/** Median of the finite values. */
export function nanMedian(values: ArrayLike<number>): number {
  return nanQuantile(values, 0.5);
}

/** Median absolute deviation of the finite values, scaled by 1.4826 to estimate σ under normality. */
export function nanMad(values: ArrayLike<number>): number {
  const sorted = sortedFinite(values);
  if (sorted.length === 0) return NaN;
  const med = quantileSorted(sorted, 0.5);
  const dev = new Float64Array(sorted.length);
  for (let i = 0; i < sorted.length; i++) dev[i] = Math.abs(sorted[i] - med);
  dev.sort();
  return 1.4826 * quantileSorted(dev, 0.5);
}

/**
 * Standard normal CDF Φ(x), accurate to about 1e-15 (W. J. Cody's rational Chebyshev
 * approximation of erfc, as in R's pnorm).
 */
export function pnorm(x: number): number {
  if (Number.isNaN(x)) return NaN;
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Upper tail 1 − Φ(x) without cancellation for large x. */
export function pnormUpper(x: number): number {
  if (Number.isNaN(x)) return NaN;
  return 0.5 * erfc(x / Math.SQRT2);
}

/** Complementary error function, relative accuracy ≈ 1e-15 (Cody 1969). */
export function erfc(x: number): number {
  const ax = Math.abs(x);
  let result: number;
  if (ax < 0.5) {
    const t = x * x;
    const top = (((0.185777706184603153 * t + 3.16112374387056560) * t + 113.864154151050156) * t + 377.485237685302021) * t + 3209.37758913846947;
    const bot = (((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t + 2844.23683343917062;
    return 1 - (x * top) / bot;
  } else if (ax < 4) {
    const top = (((((((2.15311535474403846e-8 * ax + 0.564188496988670089) * ax + 8.88314979438837594) * ax + 66.1191906371416295) * ax + 298.635138197400131) * ax + 881.95222124176909) * ax + 1712.04761263407058) * ax + 2051.07837782607147) * ax + 1230.33935479799725;
    const bot = (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax + 1621.38957456669019) * ax + 3290.79923573345963) * ax + 4362.61909014324716) * ax + 3439.36767414372164) * ax + 1230.33935480374942;
    result = (Math.exp(-ax * ax) * top) / bot;
  } else {
    const z = 1 / (ax * ax);
    const top = ((((0.0163153871373020978 * z + 0.305326634961232344) * z + 0.360344899949804439) * z + 0.125781726111229246) * z + 0.0160837851487422766) * z + 6.58749161529837803e-4;
    const bot = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 0.527905102951428412) * z + 0.0605183413124413191) * z + 0.00233520497626869185;
    const r = (z * top) / bot;
    result = (Math.exp(-ax * ax) / ax) * (1 / Math.sqrt(Math.PI) - r);
  }
  return x < 0 ? 2 - result : result;
}

/**
 * Standard normal quantile Φ⁻¹(p) for p in (0, 1); ±Infinity at 0 and 1; `NaN` outside.
 * Wichura's AS 241 (PPND16), relative accuracy about 1e-16, the algorithm behind R's qnorm.
 */
export function qnorm(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r + 133.14166789178437745) * r + 3.387132872796366608)) /
      (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r + 42.313330701600911252) * r + 1);
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let val: number;
  if (r <= 5) {
    r -= 1.6;
    val = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r + 4.6303378461565452959) * r + 1.42343711074968357734) /
      (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r + 2.05319162663775882187) * r + 1);
  } else {
    r -= 5;
    val = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r + 5.4637849111641143699) * r + 6.6579046435011037772) /
      (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r + 0.59983220655588793769) * r + 1);
  }
  return q < 0 ? -val : val;
}

/** Student's t quantile at 0.999 by degrees of freedom (tables). */
const T999: readonly (readonly [number, number])[] = [[1, 318.31], [2, 22.327], [3, 10.215], [4, 7.173], [5, 5.893], [6, 5.208], [7, 4.785], [8, 4.501], [9, 4.297], [10, 4.144], [12, 3.93], [15, 3.733], [20, 3.552], [30, 3.385], [60, 3.232], [120, 3.16]];
/**
 * Student's t quantile at 0.999 over the normal's (3.090) for `df` ≥ 1 degrees of freedom (tables,
 * linear in 1/df between them; ∞ → 1): how much wider a band in standard errors must be when the
 * standard error itself was estimated from few values.
 */
export function tOverNormal999(df: number): number {
  if (df >= 120) return 1 + (3.16 / 3.09 - 1) * (120 / df);
  let k = 0;
  while (T999[k + 1][0] <= df) k++;
  const [d0, t0] = T999[k];
  const [d1, t1] = T999[k + 1];
  // Linear in 1/df between the tabled points.
  return (t0 + ((t1 - t0) * (1 / df - 1 / d0)) / (1 / d1 - 1 / d0)) / 3.09;
}
