/**
 * The Mann–Whitney U test (Wilcoxon rank-sum test) for two independent samples, with the
 * Hodges–Lehmann shift estimate and its confidence interval, computed the way R's
 * `wilcox.test(x, y, conf.int = TRUE)` computes them so that results can be checked against it:
 *
 * - no ties and both samples under 50: exact p-value from the null distribution of W, exact
 *   interval from order statistics of the pairwise differences xᵢ − yⱼ, estimate their median;
 * - otherwise: normal approximation with the tie-corrected variance and (by default) a
 *   continuity correction; interval and estimate by inverting the approximate test, found with
 *   Brent's root finder at R's tolerance (1e-4), as R does.
 *
 * W = Σ ranks of x − nₓ(nₓ + 1)/2 is the number of pairs (xᵢ, yⱼ) with xᵢ > yⱼ (ties count ½).
 * References: R documentation `?wilcox.test`, `?pwilcox`; Hollander & Wolfe (1973),
 * "Nonparametric Statistical Methods", ch. 4; Bauer (1972) for the interval.
 *
 * Cost: ranking O(N log N), N = nₓ + n_y (one sort of each sample); exact distribution
 * O(nₓ · n_y · min(nₓ, n_y)) time, O(nₓ · n_y) memory (nₓ, n_y < 50); exact interval
 * O(nₓ n_y log(nₓ n_y)); approximate interval O(nₓ log(n_y / nₓ)) per root-finder step.
 */

import { pnorm, pnormUpper, qnorm, sortedFinite } from '../../src/core/stats.js';

export type Alternative = 'two.sided' | 'less' | 'greater';

export interface MannWhitneyOptions {
  /** Alternative hypothesis about the shift x − y (default `two.sided`). */
  alternative?: Alternative;
  /** `auto` (default) = exact when both samples are under 50 and there are no ties, as R does. `true` forces it (still not with ties, nor when nₓ·n_y > 5000). */
  exact?: boolean | 'auto';
  /** Continuity correction in the normal approximation (default true, as R). */
  correct?: boolean;
  /** Confidence level of the interval, in (0, 1) (default 0.95). */
  confLevel?: number;
}

export interface MannWhitneyResult {
  /** R's W: Σ ranks of x − nₓ(nₓ + 1)/2 (the U statistic of x). */
  statistic: number;
  pValue: number;
  method: 'exact' | 'normal';
  /** Whether the pooled sample has tied values. */
  ties: boolean;
  /** Standardised statistic of the normal approximation (`NaN` for the exact method). */
  z: number;
  /** Location shift x − y: median of pairwise differences (exact) or the root of the test (normal). */
  estimate: number;
  /** Confidence interval of the shift (one-sided alternatives give an infinite end). */
  confInt: [number, number];
  /** Confidence level actually achieved (the exact interval is discrete). */
  confLevel: number;
  nX: number;
  nY: number;
}

const DBL_EPSILON = 2.220446049250313e-16;
/** Largest distribution table (in doubles, ≈ 80 MB) and sample product a forced exact test may use. */
const EXACT_CELLS = 1e7;
const EXACT_PAIRS = 5000;

/**
 * Null distribution of W for sample sizes m and n: counts[k] = number of rank arrangements with
 * W = k, k = 0 … m·n (R's `cwilcox`), by the recurrence on the largest observation. The total is
 * C(m + n, m). O(m · n · min(m, n)) time.
 */
export function wilcoxonCounts(m: number, n: number): Float64Array {
  const small = Math.min(m, n);
  const large = Math.max(m, n);
  // rows[j] = counts for (i, j); build i = 0 … small, j = 0 … large.
  let rows: Float64Array[] = [];
  for (let j = 0; j <= large; j++) rows.push(Float64Array.of(1));
  for (let i = 1; i <= small; i++) {
    const next: Float64Array[] = [Float64Array.of(1)];
    for (let j = 1; j <= large; j++) {
      // Largest of the i + j values is an x (beats all j y's: +j) or a y (beats nothing).
      const out = new Float64Array(i * j + 1);
      const fromX = rows[j];
      const fromY = next[j - 1];
      for (let k = 0; k < fromY.length; k++) out[k] += fromY[k];
      for (let k = 0; k < fromX.length; k++) out[k + j] += fromX[k];
      next.push(out);
    }
    rows = next;
  }
  return rows[large];
}

/** P(W ≤ q) for sample sizes m and n (R's `pwilcox(q, m, n)`). */
export function pwilcox(q: number, m: number, n: number, counts: Float64Array = wilcoxonCounts(m, n)): number {
  const k = Math.floor(q + 1e-7);
  if (k < 0) return 0;
  if (k >= m * n) return 1;
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  // Sum the shorter tail, as R does, so that small probabilities keep their digits.
  if (k <= (m * n) / 2) {
    let p = 0;
    for (let i = 0; i <= k; i++) p += counts[i] / total;
    return p;
  }
  let upper = 0;
  for (let i = 0; i < m * n - k; i++) upper += counts[i] / total;
  return 1 - upper;
}

/** P(W ≥ q) = P(W > q − 1) for sample sizes m and n, summed over the short tail by symmetry. */
function upperTail(q: number, m: number, n: number, counts: Float64Array): number {
  const k = Math.floor(q - 1 + 1e-7);
  if (k < 0) return 1;
  if (k >= m * n) return 0;
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (k >= (m * n) / 2) {
    let p = 0;
    for (let i = 0; i < m * n - k; i++) p += counts[i] / total;
    return p;
  }
  let lower = 0;
  for (let i = 0; i <= k; i++) lower += counts[i] / total;
  return 1 - lower;
}

/** Smallest q with P(W ≤ q) ≥ p (R's `qwilcox(p, m, n)`, including its 10·ε tolerance). */
export function qwilcox(p: number, m: number, n: number, counts: Float64Array = wilcoxonCounts(m, n)): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  let cumulative = 0;
  let q = 0;
  if (p <= 0.5) {
    const target = p - 10 * DBL_EPSILON;
    for (;;) {
      cumulative += counts[q] / total;
      if (cumulative >= target) return q;
      q++;
    }
  }
  const target = 1 - p + 10 * DBL_EPSILON;
  for (;;) {
    cumulative += counts[q] / total;
    if (cumulative > target) return m * n - q;
    q++;
  }
}

/** Average ranks (1-based) of `values`; also Σ(t³ − t) over tie groups. O(N log N). */
export function averageRanks(values: Float64Array): { ranks: Float64Array; tieSum: number } {
  const n = values.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(n);
  let tieSum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = rank;
    const t = j - i + 1;
    tieSum += t * t * t - t;
    i = j + 1;
  }
  return { ranks, tieSum };
}

/**
 * Rank sum of x − d among (x − d, y) and the tie term Σ(t³ − t) over the groups of equal values,
 * from the sorted samples: for each group of equal x − d, the y below and equal to it found by
 * galloping from the previous group's place. O(nₓ log(n_y / nₓ)) — the many-hosts control of a
 * rank test is ten times the released group, and the interval's root finder asks this dozens of
 * times. `tieSumY` is Σ(t³ − t) over y's own groups. Ties are exact floating-point equality of
 * x − d and y, as in R's `rank` of the shifted sample, so every sum equals the merged ranking's.
 */
function shiftedRankSum(sortedX: Float64Array, sortedY: Float64Array, d: number, tieSumY: number): { rankSumX: number; tieSum: number } {
  const nx = sortedX.length;
  let below = 0;
  let rankSumX = 0;
  let tieSum = tieSumY;
  let i = 0;
  while (i < nx) {
    const v = sortedX[i] - d;
    let a = 1;
    while (i + a < nx && sortedX[i + a] - d === v) a++;
    below = firstNotBelow(sortedY, below, v);
    const equal = firstAbove(sortedY, below, v) - below;
    const t = a + equal;
    rankSumX += a * (i + below + (t + 1) / 2);
    // (a + b)³ − (a + b) for the merged group, in place of y's own b³ − b (in tieSumY): the
    // difference is a³ − a + 3ab(a + b).
    tieSum += a * a * a - a + 3 * a * equal * t;
    i += a;
  }
  return { rankSumX, tieSum };
}

/** Σ(t³ − t) over the groups of equal values of an ascending array. */
function sortedTieSum(sorted: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < sorted.length; ) {
    let t = 1;
    while (i + t < sorted.length && sorted[i + t] === sorted[i]) t++;
    sum += t * t * t - t;
    i += t;
  }
  return sum;
}

/** First index ≥ `from` of ascending `a` whose value is not below `v` (a.length if none), galloping from `from`. */
function firstNotBelow(a: Float64Array, from: number, v: number): number {
  return gallop(a, from, (x) => x < v);
}

/** First index ≥ `from` of ascending `a` whose value is above `v`. */
function firstAbove(a: Float64Array, from: number, v: number): number {
  return gallop(a, from, (x) => x <= v);
}

/** First index ≥ `from` where `before` turns false (it is true on a prefix of a[from…]): steps 1, 2, 4, … then bisection. */
function gallop(a: Float64Array, from: number, before: (x: number) => boolean): number {
  const n = a.length;
  if (from >= n || !before(a[from])) return from;
  let low = from;
  let step = 1;
  while (low + step < n && before(a[low + step])) {
    low += step;
    step *= 2;
  }
  let high = Math.min(n, low + step);
  while (high - low > 1) {
    const mid = (low + high) >>> 1;
    if (before(a[mid])) low = mid;
    else high = mid;
  }
  return high;
}

/**
 * Brent's root finder exactly as R's `uniroot` runs it (R_zeroin2, after Brent 1973): same
 * steps, so the same root to the last bit for the same function. `fLower` and `fUpper` are
 * f(lower) and f(upper), of opposite signs.
 */
export function brentRoot(f: (x: number) => number, lower: number, upper: number, fLower: number, fUpper: number, tolerance: number, maxIterations = 1000): number {
  let a = lower;
  let b = upper;
  let fa = fLower;
  let fb = fUpper;
  let c = a;
  let fc = fa;
  if (fa === 0) return a;
  if (fb === 0) return b;
  let remaining = maxIterations + 1;
  while (remaining-- > 0) {
    const previousStep = b - a;
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const toleranceNow = 2 * DBL_EPSILON * Math.abs(b) + tolerance / 2;
    let newStep = (c - b) / 2;
    if (Math.abs(newStep) <= toleranceNow || fb === 0) return b;
    if (Math.abs(previousStep) >= toleranceNow && Math.abs(fa) > Math.abs(fb)) {
      let p: number;
      let q: number;
      const cb = c - b;
      if (a === c) {
        const t1 = fb / fa;
        p = cb * t1;
        q = 1 - t1;
      } else {
        const qa = fa / fc;
        const t1 = fb / fc;
        const t2 = fb / fa;
        p = t2 * (cb * qa * (qa - t1) - (b - a) * (t1 - 1));
        q = (qa - 1) * (t1 - 1) * (t2 - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (p < 0.75 * cb * q - Math.abs(toleranceNow * q) / 2 && p < Math.abs((previousStep * q) / 2)) newStep = p / q;
    }
    if (Math.abs(newStep) < toleranceNow) newStep = newStep > 0 ? toleranceNow : -toleranceNow;
    a = b;
    fa = fb;
    b += newStep;
    fb = f(b);
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a;
      fc = fa;
    }
  }
  return b;
}

/** Median of the sorted array (mean of the middle two for an even length). */
function sortedMedian(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = n >> 1;
  return n % 2 === 1 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
}

/** All pairwise differences xᵢ − yⱼ, ascending. O(nₓ n_y log(nₓ n_y)). */
export function pairwiseDifferences(x: Float64Array, y: Float64Array): Float64Array {
  const out = new Float64Array(x.length * y.length);
  let k = 0;
  for (let i = 0; i < x.length; i++) for (let j = 0; j < y.length; j++) out[k++] = x[i] - y[j];
  return out.sort();
}

/**
 * Hodges–Lehmann two-sample shift estimate: the median of all xᵢ − yⱼ. `NaN` when a sample is
 * empty. O(nₓ n_y log(nₓ n_y)).
 */
export function hodgesLehmann(x: Float64Array, y: Float64Array): number {
  return sortedMedian(pairwiseDifferences(x, y));
}

/**
 * Mann–Whitney U test of x against y (see the module comment). Non-finite values are dropped,
 * as R drops `NA`. Never throws on data: an empty sample gives `NaN` throughout; a pooled sample
 * of one repeated value gives p = 1 (R reports `NaN`) and, when both samples are constant, the
 * exact shift as estimate and interval.
 */
export function mannWhitney(xValues: ArrayLike<number>, yValues: ArrayLike<number>, options: MannWhitneyOptions = {}): MannWhitneyResult {
  return mannWhitneySorted(sortedFinite(xValues), sortedFinite(yValues), options);
}

/**
 * `mannWhitney` of two samples already without missing values and in ascending order (for a
 * caller that sorted them anyway); the same result as `mannWhitney` of them in any order.
 */
export function mannWhitneySorted(sortedX: Float64Array, sortedY: Float64Array, options: MannWhitneyOptions = {}): MannWhitneyResult {
  const alternative = options.alternative ?? 'two.sided';
  const correct = options.correct ?? true;
  const confLevel = options.confLevel ?? 0.95;
  const nx = sortedX.length;
  const ny = sortedY.length;
  if (nx === 0 || ny === 0) {
    return { statistic: NaN, pValue: NaN, method: 'normal', ties: false, z: NaN, estimate: NaN, confInt: [NaN, NaN], confLevel, nX: nx, nY: ny };
  }
  const tieSumY = sortedTieSum(sortedY);
  const { rankSumX, tieSum } = shiftedRankSum(sortedX, sortedY, 0, tieSumY);
  const statistic = rankSumX - (nx * (nx + 1)) / 2;
  const ties = tieSum > 0;
  // A forced exact test on big samples would need O((nₓ·n_y)²) time and (max + 1)·(nₓ·n_y + 1)
  // doubles for the distribution; past these bounds the normal approximation is as good.
  const affordable = nx * ny <= EXACT_PAIRS && (Math.max(nx, ny) + 1) * (nx * ny + 1) <= EXACT_CELLS;
  const exact = options.exact === undefined || options.exact === 'auto' ? nx < 50 && ny < 50 : options.exact && affordable;
  const alpha = 1 - confLevel;

  if (exact && !ties) {
    const counts = wilcoxonCounts(nx, ny);
    const lowerP = pwilcox(statistic, nx, ny, counts);
    const upperP = upperTail(statistic, nx, ny, counts);
    const pValue = alternative === 'two.sided' ? Math.min(2 * (statistic > (nx * ny) / 2 ? upperP : lowerP), 1) : alternative === 'greater' ? upperP : lowerP;
    const diffs = pairwiseDifferences(sortedX, sortedY);
    let confInt: [number, number];
    let achievedAlpha: number;
    if (alternative === 'two.sided') {
      let qu = qwilcox(alpha / 2, nx, ny, counts);
      if (qu === 0) qu = 1;
      const ql = nx * ny - qu;
      achievedAlpha = 2 * pwilcox(Math.trunc(qu) - 1, nx, ny, counts);
      confInt = [diffs[qu - 1], diffs[ql]];
    } else {
      let qu = qwilcox(alpha, nx, ny, counts);
      if (qu === 0) qu = 1;
      achievedAlpha = pwilcox(Math.trunc(qu) - 1, nx, ny, counts);
      confInt = alternative === 'greater' ? [diffs[qu - 1], Infinity] : [-Infinity, diffs[nx * ny - qu]];
    }
    // R reports the achieved level only when the requested one is far from achievable.
    const level = achievedAlpha - alpha > alpha / 2 ? 1 - achievedAlpha : confLevel;
    return { statistic, pValue, method: 'exact', ties, z: NaN, estimate: sortedMedian(diffs), confInt, confLevel: level, nX: nx, nY: ny };
  }

  const total = nx + ny;
  const sigmaOf = (tie: number): number => Math.sqrt(((nx * ny) / 12) * (total + 1 - tie / (total * (total - 1))));
  const center = statistic - (nx * ny) / 2;
  const sigma = sigmaOf(tieSum);
  const correction = correct ? (alternative === 'two.sided' ? Math.sign(center) * 0.5 : alternative === 'greater' ? 0.5 : -0.5) : 0;
  const z = (center - correction) / sigma;
  let pValue: number;
  if (!(sigma > 0)) pValue = 1;
  else if (alternative === 'less') pValue = lowerNormal(z);
  else if (alternative === 'greater') pValue = upperNormal(z);
  else pValue = 2 * Math.min(lowerNormal(z), upperNormal(z));

  const low = sortedX[0] - sortedY[ny - 1];
  const high = sortedX[nx - 1] - sortedY[0];
  if (low === high) {
    // Both samples constant: every pairwise difference is the same number, which is the shift.
    return { statistic, pValue, method: 'normal', ties, z: sigma > 0 ? z : NaN, estimate: low, confInt: [low, low], confLevel, nX: nx, nY: ny };
  }
  const standardized = (d: number, quantile: number, withCorrection: boolean): number => {
    const { rankSumX: shifted, tieSum: shiftedTies } = shiftedRankSum(sortedX, sortedY, d, tieSumY);
    const dz = shifted - (nx * (nx + 1)) / 2 - (nx * ny) / 2;
    const corr = withCorrection ? (alternative === 'two.sided' ? Math.sign(dz) * 0.5 : alternative === 'greater' ? 0.5 : -0.5) : 0;
    const s = sigmaOf(shiftedTies);
    return s > 0 ? (dz - corr) / s - quantile : NaN;
  };
  const root = (quantile: number): number => {
    const fLow = standardized(low, quantile, correct);
    const fHigh = standardized(high, quantile, correct);
    if (fLow <= 0) return low;
    if (fHigh >= 0) return high;
    if (!Number.isFinite(fLow) || !Number.isFinite(fHigh)) return NaN;
    return brentRoot((d) => standardized(d, quantile, correct), low, high, fLow, fHigh, 1e-4);
  };
  let confInt: [number, number];
  if (alternative === 'two.sided') confInt = [root(qnormUpperTail(alpha / 2)), root(-qnormUpperTail(alpha / 2))];
  else if (alternative === 'greater') confInt = [root(qnormUpperTail(alpha)), Infinity];
  else confInt = [-Infinity, root(-qnormUpperTail(alpha))];
  const fLow0 = standardized(low, 0, false);
  const fHigh0 = standardized(high, 0, false);
  const estimate = fLow0 * fHigh0 > 0 || !Number.isFinite(fLow0 * fHigh0) ? NaN : brentRoot((d) => standardized(d, 0, false), low, high, fLow0, fHigh0, 1e-4);
  return { statistic, pValue, method: 'normal', ties, z: sigma > 0 ? z : NaN, estimate, confInt, confLevel, nX: nx, nY: ny };
}


const lowerNormal = (z: number): number => pnorm(z);
const upperNormal = (z: number): number => pnormUpper(z);
/** The upper-tail quantile: q with P(Z > q) = p, i.e. R's qnorm(p, lower.tail = FALSE). */
const qnormUpperTail = (p: number): number => -qnorm(p);
