/**
 * Automatic ARIMA order selection in the manner of `forecast::auto.arima` (Hyndman &
 * Khandakar 2008, "Automatic time series forecasting: the forecast package for R", JSS 27(3)):
 * the seasonal difference from the strength of seasonality of an STL decomposition, the
 * ordinary differences from repeated KPSS tests, then a stepwise search over (p, q, P, Q) and
 * the constant that minimises AICc, rejecting models with roots near the unit circle.
 */
import { z } from 'zod';
import { parseConfig } from '../../src/core/config.js';
import { SluiceError } from '../../src/core/errors.js';
import { finiteOrNaN } from '../../src/core/series.js';
import { nanVariance } from '../../src/core/stats.js';
import { parseStlOptions, stl } from '../stl/index.js';
import { arimaOptionsSchema, fitWith, type ArimaFit } from './fit.js';
import { difference, expandAr, expandMa, polynomialRoots } from './polynomial.js';

/**
 * KPSS statistic for level stationarity (Kwiatkowski, Phillips, Schmidt & Shin 1992), with the
 * Bartlett-window long-run variance over `lags` lags (default ⌊3√n / 13⌋, as `forecast::ndiffs`).
 * Missing values are dropped first. O(n · lags).
 */
export function kpssStatistic(values: ArrayLike<number>, lags?: number): number {
  const x = Float64Array.from(values).filter((v) => Number.isFinite(v));
  const n = x.length;
  if (n < 2) return NaN;
  let mean = 0;
  for (let t = 0; t < n; t++) mean += x[t];
  mean /= n;
  const e = x.map((v) => v - mean);
  let partial = 0;
  let sumPartial2 = 0;
  for (let t = 0; t < n; t++) {
    partial += e[t];
    sumPartial2 += partial * partial;
  }
  const l = lags ?? Math.trunc((3 * Math.sqrt(n)) / 13);
  let longRun = 0;
  for (let t = 0; t < n; t++) longRun += e[t] * e[t];
  for (let i = 1; i <= l; i++) {
    let s = 0;
    for (let t = i; t < n; t++) s += e[t] * e[t - i];
    longRun += 2 * (1 - i / (l + 1)) * s;
  }
  longRun /= n;
  return sumPartial2 / (n * n) / longRun;
}

/** KPSS level-test critical values (Kwiatkowski et al. 1992, table 1) at 10, 5, 2.5 and 1 %. */
const KPSS_CRITICAL = [
  [0.347, 0.1],
  [0.463, 0.05],
  [0.574, 0.025],
  [0.739, 0.01],
] as const;

/** p-value of a KPSS level statistic, interpolated in the critical-value table and clamped to [0.01, 0.1] (as urca / forecast). */
export function kpssPValue(statistic: number): number {
  if (!(statistic > KPSS_CRITICAL[0][0])) return 0.1;
  for (let i = 1; i < KPSS_CRITICAL.length; i++) {
    const [c1, p1] = KPSS_CRITICAL[i];
    if (statistic <= c1) {
      const [c0, p0] = KPSS_CRITICAL[i - 1];
      return p0 + ((statistic - c0) / (c1 - c0)) * (p1 - p0);
    }
  }
  return 0.01;
}

const isConstant = (x: ArrayLike<number>): boolean => {
  let first = NaN;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) continue;
    if (first !== first) first = v;
    else if (v !== first) return false;
  }
  return true;
};

/** Number of first differences (0 … maxD) KPSS at level `alpha` asks for (`forecast::ndiffs`). */
export function ndiffs(values: ArrayLike<number>, alpha = 0.05, maxD = 2): number {
  let x: Float64Array = Float64Array.from(values).filter((v) => Number.isFinite(v));
  if (isConstant(x)) return 0;
  let d = 0;
  while (d < maxD && x.length > 2 && kpssPValue(kpssStatistic(x)) < alpha) {
    d++;
    x = difference(x, 1, 0, 1);
    if (isConstant(x)) return d;
  }
  return d;
}

/**
 * Strength of seasonality, 1 − Var(remainder) / Var(remainder + seasonal), clamped to [0, 1],
 * from an STL decomposition with a seasonal window of 11 (Wang, Smith & Hyndman 2006; as
 * `forecast`'s seasonal heuristic through `mstl`).
 */
export function seasonalStrength(values: Float64Array, period: number): number {
  if (values.length <= 2 * period) return 0;
  const decomposition = stl(values, parseStlOptions({ period, seasonalWindow: 11 }));
  const remainder = decomposition.remainder;
  const sum = remainder.map((v, i) => v + decomposition.seasonal[i]);
  const strength = 1 - nanVariance(remainder) / nanVariance(sum);
  return Number.isFinite(strength) ? Math.max(0, Math.min(1, strength)) : 0;
}

/** Number of seasonal differences (0 or 1): 1 when the seasonal strength exceeds 0.64 (`forecast::nsdiffs`, test "seas"). */
export function nsdiffs(values: Float64Array, period: number): number {
  if (period < 2 || isConstant(values) || period >= values.length) return 0;
  return seasonalStrength(values, period) > 0.64 ? 1 : 0;
}

/** Options of `autoArima`; every field has a default. */
export const autoArimaOptionsSchema = z.object({
  /** Seasonal period in steps (1 = non-seasonal). */
  period: z.number().int().min(1).max(400).default(1),
  /** Fix d instead of testing for it. */
  d: z.number().int().min(0).max(2).optional(),
  /** Fix D instead of testing for it. */
  D: z.number().int().min(0).max(1).optional(),
  maxP: z.number().int().min(0).max(5).default(5),
  maxQ: z.number().int().min(0).max(5).default(5),
  maxSeasonalP: z.number().int().min(0).max(2).default(2),
  maxSeasonalQ: z.number().int().min(0).max(2).default(2),
  maxD: z.number().int().min(0).max(2).default(2),
  allowDrift: z.boolean().default(true),
  allowMean: z.boolean().default(true),
  /** Rank candidates by the conditional-sum-of-squares fit, refitting the best exactly (default: n > 150 or period > 12, as R). */
  approximation: z.boolean().optional(),
  /** Most models the stepwise search may fit. */
  maxModels: z.number().int().min(1).max(500).default(94),
  /** Level of the KPSS test. */
  alpha: z.number().min(0.01).max(0.1).default(0.05),
});
export type AutoArimaOptions = z.input<typeof autoArimaOptionsSchema>;

export interface AutoArimaResult {
  fit: ArimaFit;
  /** Models tried, in order: orders, constant, and the criterion (Infinity when rejected). */
  trace: { p: number; d: number; q: number; P: number; D: number; Q: number; constant: boolean; aicc: number }[];
}

interface Candidate {
  p: number;
  q: number;
  P: number;
  Q: number;
  constant: boolean;
}

/**
 * Chooses and fits a seasonal ARIMA for `values` by the stepwise algorithm of
 * `forecast::auto.arima` with its defaults (AICc, KPSS for d, seasonal strength for D, start
 * (2,d,2)(1,D,1), at most 94 models). Throws `SluiceError('insufficient_data')` for fewer
 * than 4 observed points. Cost: up to `maxModels` fits; tens of milliseconds to a second for
 * monthly series of a few hundred points.
 */
export function autoArima(values: ArrayLike<number>, options: AutoArimaOptions = {}): AutoArimaResult {
  const config = parseConfig(autoArimaOptionsSchema, options, 'autoArima config');
  const all = finiteOrNaN(values);
  let first = 0;
  while (first < all.length && all[first] !== all[first]) first++;
  const x = all.subarray(first);
  let serieslength = 0;
  for (let t = 0; t < x.length; t++) if (x[t] === x[t]) serieslength++;
  if (serieslength < 4) throw new SluiceError('insufficient_data', 'values', `autoArima needs at least 4 observed points, got ${serieslength}`);
  const trace: AutoArimaResult['trace'] = [];
  const m = config.period;
  if (isConstant(x)) {
    const fit = fitWith(x, arimaOptionsSchema.parse({ includeMean: config.allowMean }), {});
    return { fit, trace };
  }
  let maxP = Math.min(config.maxP, Math.floor(serieslength / 3));
  let maxQ = Math.min(config.maxQ, Math.floor(serieslength / 3));
  let maxSP = Math.min(config.maxSeasonalP, Math.floor(serieslength / 3 / m));
  let maxSQ = Math.min(config.maxSeasonalQ, Math.floor(serieslength / 3 / m));
  let D: number;
  if (m === 1) {
    D = 0;
    maxSP = maxSQ = 0;
  } else if (config.D !== undefined) D = config.D;
  else if (x.length <= 2 * m) D = 0;
  else {
    D = nsdiffs(x, m);
    if (D > 0 && difference(x, 0, 1, m).every((v) => v !== v)) D = 0;
  }
  const dx = D > 0 ? difference(x, 0, D, m) : x;
  let d: number;
  if (config.d !== undefined) d = config.d;
  else {
    d = ndiffs(dx, config.alpha, config.maxD);
    if (d > 0 && difference(dx, d, 0, 1).every((v) => v !== v)) d--;
  }
  const differenced = difference(dx, d, 0, 1);
  if (differenced.length === 0) throw new SluiceError('insufficient_data', 'values', 'autoArima: not enough data left after differencing');
  const allowDrift = config.allowDrift && d + D === 1;
  const allowMean = config.allowMean && d + D === 0;
  if (isConstant(differenced)) {
    const fit = fitWith(x, arimaOptionsSchema.parse({ d, D, period: m, includeMean: allowMean, includeDrift: allowDrift && D === 0 }), {});
    return { fit, trace };
  }
  if (m > 1) {
    if (maxSP > 0) maxP = Math.min(maxP, m - 1);
    if (maxSQ > 0) maxQ = Math.min(maxQ, m - 1);
  }
  const approximation = config.approximation ?? (x.length > 150 || m > 12);
  let offset = 0;
  if (approximation) {
    try {
      const base = fitWith(x, arimaOptionsSchema.parse({ d, D, period: m, includeMean: true }), {});
      offset = -2 * base.logLikelihood - serieslength * Math.log(base.sigma2);
    } catch {
      offset = 0;
    }
  }
  const nstar = serieslength - d - D * m;
  const optionsOf = (c: Candidate) => ({
    p: c.p,
    d,
    q: c.q,
    P: c.P,
    D,
    Q: c.Q,
    period: m,
    includeMean: c.constant && d + D === 0,
    includeDrift: c.constant && d + D === 1,
  });
  // The Hessian check costs more than the fit, and only matters for a model that would be
  // chosen: callers pass the criterion to beat and the variances are computed only below it.
  const evaluate = (c: Candidate, approximate: boolean, toBeat = -Infinity): { fit: ArimaFit | null; ic: number } => {
    let fit: ArimaFit;
    const variances = Number.isFinite(toBeat) || toBeat === Infinity;
    try {
      fit = fitWith(
        x,
        arimaOptionsSchema.parse({ ...optionsOf(c), method: approximate ? 'CSS' : 'CSS-ML' }),
        { strictCss: true },
      );
    } catch {
      return { fit: null, ic: Infinity };
    }
    const parameters = c.p + c.q + c.P + c.Q + (c.constant ? 1 : 0) + 1;
    let aic = approximate ? offset + nstar * Math.log(fit.sigma2) + 2 * parameters : fit.aic;
    if (!Number.isFinite(aic)) aic = Infinity;
    let ic = aic + (2 * parameters * (parameters + 1)) / (nstar - parameters - 1);
    if (!(nstar - parameters - 1 > 0)) ic = Infinity;
    // Reject near-unit roots and indefinite Hessians, as forecast's myarima does.
    const phi = expandAr(fit.coefficients.ar, fit.coefficients.seasonalAr, m);
    const theta = expandMa(fit.coefficients.ma, fit.coefficients.seasonalMa, m);
    if (smallestRootModulus(Float64Array.from(phi, (v) => -v)) < 1.01 || smallestRootModulus(theta) < 1.01) ic = Infinity;
    if (variances && ic < toBeat) {
      const checked = fitWith(x, arimaOptionsSchema.parse({ ...optionsOf(c), method: approximate ? 'CSS' : 'CSS-ML' }), { strictCss: true, variances: true });
      if (checked.variances && checked.variances.some((v) => v !== v)) ic = Infinity;
      fit = checked;
    }
    return { fit, ic };
  };
  const results: (Candidate & { ic: number })[] = [];
  const seen = (c: Candidate) => results.some((r) => r.p === c.p && r.q === c.q && r.P === c.P && r.Q === c.Q && r.constant === c.constant);
  const record = (c: Candidate, ic: number) => {
    results.push({ ...c, ic });
    trace.push({ p: c.p, d, q: c.q, P: c.P, D, Q: c.Q, constant: c.constant, aicc: ic });
  };
  let best: { fit: ArimaFit | null; ic: number } = { fit: null, ic: Infinity };
  const tryModel = (c: Candidate): { fit: ArimaFit | null; ic: number } => {
    const r = evaluate(c, approximation, best.ic);
    record(c, r.ic);
    return r;
  };

  let constant = allowDrift || allowMean;
  const small = x.length < 10;
  let p = Math.min(small ? 1 : 2, maxP);
  let q = Math.min(small ? 1 : 2, maxQ);
  let P = Math.min(small ? 0 : 1, maxSP);
  let Q = Math.min(small ? 0 : 1, maxSQ);
  best = tryModel({ p, q, P, Q, constant });
  const consider = (c: Candidate): boolean => {
    const r = tryModel(c);
    if (r.ic < best.ic) {
      best = r;
      ({ p, q, P, Q, constant } = c);
      return true;
    }
    return false;
  };
  consider({ p: 0, q: 0, P: 0, Q: 0, constant });
  if (maxP > 0 || maxSP > 0) consider({ p: maxP > 0 ? 1 : 0, q: 0, P: m > 1 && maxSP > 0 ? 1 : 0, Q: 0, constant });
  if (maxQ > 0 || maxSQ > 0) consider({ p: 0, q: maxQ > 0 ? 1 : 0, P: 0, Q: m > 1 && maxSQ > 0 ? 1 : 0, constant });
  if (constant) consider({ p: 0, q: 0, P: 0, Q: 0, constant: false });

  const canDrift = allowDrift || allowMean;
  let moved = true;
  while (moved && results.length < config.maxModels) {
    moved = false;
    const neighbours: [boolean, Candidate][] = [
      [P > 0, { p, q, P: P - 1, Q, constant }],
      [Q > 0, { p, q, P, Q: Q - 1, constant }],
      [P < maxSP, { p, q, P: P + 1, Q, constant }],
      [Q < maxSQ, { p, q, P, Q: Q + 1, constant }],
      [Q > 0 && P > 0, { p, q, P: P - 1, Q: Q - 1, constant }],
      [Q < maxSQ && P > 0, { p, q, P: P - 1, Q: Q + 1, constant }],
      [Q > 0 && P < maxSP, { p, q, P: P + 1, Q: Q - 1, constant }],
      [Q < maxSQ && P < maxSP, { p, q, P: P + 1, Q: Q + 1, constant }],
      [p > 0, { p: p - 1, q, P, Q, constant }],
      [q > 0, { p, q: q - 1, P, Q, constant }],
      [p < maxP, { p: p + 1, q, P, Q, constant }],
      [q < maxQ, { p, q: q + 1, P, Q, constant }],
      [q > 0 && p > 0, { p: p - 1, q: q - 1, P, Q, constant }],
      [q < maxQ && p > 0, { p: p - 1, q: q + 1, P, Q, constant }],
      [q > 0 && p < maxP, { p: p + 1, q: q - 1, P, Q, constant }],
      [q < maxQ && p < maxP, { p: p + 1, q: q + 1, P, Q, constant }],
      [canDrift, { p, q, P, Q, constant: !constant }],
    ];
    for (const [allowed, candidate] of neighbours) {
      if (!allowed || seen(candidate)) continue;
      if (results.length >= config.maxModels) break;
      if (consider(candidate)) {
        moved = true;
        break;
      }
    }
  }

  if (approximation) {
    const ranked = results.filter((r) => Number.isFinite(r.ic)).sort((a, b) => a.ic - b.ic);
    for (const candidate of ranked) {
      const r = evaluate(candidate, false, Infinity);
      if (r.fit && Number.isFinite(r.ic)) {
        best = r;
        break;
      }
    }
  }
  if (!best.fit || !Number.isFinite(best.ic)) {
    throw new SluiceError('invalid_input', 'values', 'autoArima: no suitable ARIMA model found');
  }
  return { fit: best.fit, trace };
}

/** Smallest modulus among the roots of 1 + c₁z + … (2 when there are none, as forecast). */
function smallestRootModulus(coefficients: Float64Array): number {
  let k = coefficients.length;
  while (k > 0 && Math.abs(coefficients[k - 1]) <= 1e-8) k--;
  if (k === 0) return 2;
  const { re, im } = polynomialRoots(coefficients.subarray(0, k));
  let smallest = 2;
  for (let j = 0; j < k; j++) smallest = Math.min(smallest, Math.hypot(re[j], im[j]));
  return smallest;
}
