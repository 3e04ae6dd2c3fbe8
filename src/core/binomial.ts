/**
 * Exact tests on counts: the binomial test and the comparison of two Poisson rates by the
 * conditional binomial test, matching R's `binom.test` and `poisson.test` (two samples).
 *
 * Given x₁ events in exposure T₁ and x₂ in T₂ (exposure in any unit, e.g. host-minutes), under
 * H₀ rate₁ / rate₂ = r the count x₁ given x₁ + x₂ = n is Binomial(n, r·T₁ / (r·T₁ + T₂)).
 * Reference: Przyborowski & Wileński (1940); R documentation `?poisson.test`.
 */

import { pnorm, pnormUpper } from './stats.js';

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log Γ(x) for x > 0: Stirling's series after shifting x above 15 by the recurrence, relative
 * accuracy about 1e-15. `NaN` for x ≤ 0 or non-finite x. O(1).
 */
export function logGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return NaN;
  let shift = 0;
  let z = x;
  // The recurrence Γ(z + 1) = z·Γ(z) moves small arguments to where the series is exact enough.
  while (z < 15) {
    shift += Math.log(z);
    z += 1;
  }
  const inverse = 1 / z;
  const inverse2 = inverse * inverse;
  const series = inverse * (1 / 12 - inverse2 * (1 / 360 - inverse2 * (1 / 1260 - inverse2 * (1 / 1680 - inverse2 / 1188))));
  return (z - 0.5) * Math.log(z) - z + HALF_LOG_TWO_PI + series - shift;
}

/** log of the binomial coefficient C(n, k) for integers 0 ≤ k ≤ n. */
export function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return -Infinity;
  if (k === 0 || k === n) return 0;
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/** log P(X = k) for X ~ Binomial(n, p); `-Infinity` outside the support. */
export function logBinomialProbability(k: number, n: number, p: number): number {
  if (k < 0 || k > n || !Number.isInteger(k)) return -Infinity;
  if (p === 0) return k === 0 ? 0 : -Infinity;
  if (p === 1) return k === n ? 0 : -Infinity;
  return logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p);
}

/** P(X = k) for X ~ Binomial(n, p) (R's `dbinom`). */
export function binomialProbability(k: number, n: number, p: number): number {
  return Math.exp(logBinomialProbability(k, n, p));
}

/**
 * Regularized incomplete beta I_x(a, b) for a, b > 0 and x in [0, 1], by the modified Lentz
 * continued fraction (Didonato & Morris' approach of using the symmetry I_x(a,b) = 1 − I_{1−x}(b,a)
 * where the fraction converges slowly). Relative accuracy about 1e-14; O(√max(a, b)) iterations.
 */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0) || Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = a * Math.log(x) + b * Math.log1p(-x) - (logGamma(a) + logGamma(b) - logGamma(a + b));
  if (x > (a + 1) / (a + b + 2)) return 1 - Math.exp(logFront) * betaFraction(1 - x, b, a) / b;
  return Math.exp(logFront) * betaFraction(x, a, b) / a;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 100_000; m++) {
    const m2 = 2 * m;
    let coefficient = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + coefficient * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + coefficient / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    coefficient = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + coefficient * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + coefficient / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/** P(X ≤ k) for X ~ Binomial(n, p) (R's `pbinom`). O(√n). */
export function binomialCdf(k: number, n: number, p: number): number {
  const kk = Math.floor(k);
  if (kk < 0) return 0;
  if (kk >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  return regularizedBeta(1 - p, n - kk, kk + 1);
}

/** P(X > k) for X ~ Binomial(n, p), without the cancellation of 1 − P(X ≤ k). O(√n). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  const kk = Math.floor(k);
  if (kk < 0) return 1;
  if (kk >= n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  return regularizedBeta(p, kk + 1, n - kk);
}

export type Alternative = 'two.sided' | 'greater' | 'less';

/**
 * Exact binomial test of H₀: success probability = p, for x successes in n trials. The two-sided
 * p-value sums the probabilities of all outcomes no more likely than x, with R's relative
 * tolerance of 1e-7 for ties, so it equals `binom.test(x, n, p)$p.value`. O(√n · log n).
 * Above 1e12 trials (where doubles no longer count exactly) a continuity-corrected normal
 * approximation is used instead.
 */
export function binomialTest(x: number, n: number, p: number, alternative: Alternative = 'two.sided'): number {
  if (!(n > 0)) return 1;
  if (n > HUGE_TRIALS) return normalApproximation(x, n, p, alternative);
  if (alternative === 'less') return binomialCdf(x, n, p);
  if (alternative === 'greater') return binomialUpperTail(x - 1, n, p);
  if (p <= 0) return x === 0 ? 1 : 0;
  if (p >= 1) return x === n ? 1 : 0;
  const logTolerance = Math.log1p(1e-7);
  const limit = logBinomialProbability(x, n, p) + logTolerance;
  const mean = n * p;
  if (x === mean) return 1;
  let pValue: number;
  if (x < mean) {
    // Probabilities fall monotonically on [ceil(mean), n]: find the first one at or below x's.
    let lo = Math.ceil(mean);
    let hi = n + 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (logBinomialProbability(mid, n, p) <= limit) hi = mid;
      else lo = mid + 1;
    }
    const count = n + 1 - lo;
    pValue = binomialCdf(x, n, p) + binomialUpperTail(n - count, n, p);
  } else {
    // Probabilities rise monotonically on [0, floor(mean)]: count those at or below x's.
    let lo = 0;
    let hi = Math.floor(mean) + 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (logBinomialProbability(mid, n, p) <= limit) lo = mid + 1;
      else hi = mid;
    }
    const count = lo;
    pValue = binomialCdf(count - 1, n, p) + binomialUpperTail(x - 1, n, p);
  }
  return Math.min(1, pValue);
}

/** Beyond this many trials counts lose integer precision and the exact sums stop converging. */
const HUGE_TRIALS = 1e12;

/** Normal approximation with continuity correction, for counts too large to treat exactly. */
function normalApproximation(x: number, n: number, p: number, alternative: Alternative): number {
  const sd = Math.sqrt(n * p * (1 - p));
  if (!(sd > 0)) return x === n * p ? 1 : 0;
  const upper = pnormUpper((x - 0.5 - n * p) / sd);
  const lower = pnorm((x + 0.5 - n * p) / sd);
  if (alternative === 'greater') return upper;
  if (alternative === 'less') return lower;
  return Math.min(1, 2 * Math.min(upper, lower));
}

export interface PoissonRateTest {
  /** Exact p-value of H₀ rate₁ / rate₂ = `ratio`. */
  pValue: number;
  /** Estimated rate ratio (x₁/T₁) / (x₂/T₂); `Infinity` when x₂ = 0 < x₁, `NaN` when both are 0. */
  rateRatio: number;
}

/**
 * Compares two Poisson rates: `count1` events in `exposure1` against `count2` in `exposure2`,
 * H₀ rate₁ = `ratio` · rate₂, by the exact conditional binomial test. Same p-value as R's
 * `poisson.test(c(count1, count2), c(exposure1, exposure2), r = ratio, alternative)`.
 * Exposures must be positive; counts non-negative integers. O(√n · log n), n = count1 + count2.
 */
export function poissonRateTest(count1: number, exposure1: number, count2: number, exposure2: number, alternative: Alternative = 'two.sided', ratio = 1): PoissonRateTest {
  const n = count1 + count2;
  const rateRatio = count1 / exposure1 / (count2 / exposure2);
  const p = (ratio * exposure1) / (ratio * exposure1 + exposure2);
  return { pValue: binomialTest(count1, n, p, alternative), rateRatio };
}

/**
 * Exact (Clopper–Pearson) confidence interval of a binomial proportion from x successes in n
 * trials, at confidence `level` in (0, 1): the beta quantiles R's `binom.test(x, n, conf.level =
 * level)$conf.int` gives (lower 0 at x = 0, upper 1 at x = n; [0, 1] without trials). O(√n) per
 * bisection step, 200 steps at most.
 */
export function binomialInterval(x: number, n: number, level = 0.95): [number, number] {
  if (!(n > 0) || !(x >= 0) || x > n || !(level > 0 && level < 1)) return [0, 1];
  const alpha = (1 - level) / 2;
  const lower = x === 0 ? 0 : betaQuantile(alpha, x, n - x + 1);
  const upper = x === n ? 1 : betaQuantile(1 - alpha, x + 1, n - x);
  return [lower, upper];
}

/** The q such that I_q(a, b) = p, by bisection (I is increasing in q); exact to about 1e-15. */
function betaQuantile(p: number, a: number, b: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (regularizedBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
