/**
 * Fitting and forecasting seasonal ARIMA models by exact Gaussian maximum likelihood.
 *
 * The model: Δ(B)(yₜ − xₜ'β) = wₜ with Δ(B) = (1 − B)^d (1 − B^s)^D and
 * φ(B)Φ(B^s) wₜ = θ(B)Θ(B^s) eₜ, eₜ ~ N(0, σ²); xₜ holds an intercept (undifferenced
 * models only) and/or a linear drift (at most one difference in total), as R's `arima` with
 * `include.mean` and `forecast::Arima` with `include.drift`.
 *
 * Estimation follows R's default `method = "CSS-ML"`: conditional sum of squares for starting
 * values, then the exact likelihood (σ² concentrated out) maximised by BFGS with the AR parts
 * reparametrised through partial autocorrelations (stationary by construction) and the MA
 * parts flipped to their invertible form afterwards.
 */
import { z } from 'zod';
import { parseConfig } from '../../src/core/config.js';
import { SluiceError } from '../../src/core/errors.js';
import { finiteOrNaN } from '../../src/core/series.js';
import { bfgs } from '../../src/core/optimize.js';
import { qnorm } from '../../src/core/stats.js';
import { armaFilter, conditionalSumSquares, forecastState, kalmanFilter, type KalmanResult, type KalmanState } from './kalman.js';
import {
  arFromUnconstrained,
  arToUnconstrained,
  difference,
  differencingCoefficients,
  expandAr,
  expandMa,
  invertMa,
  isStationary,
  type ArimaOrder,
} from './polynomial.js';

const order = z.number().int().min(0);

/** Options of `fitArima`; every field has a default. */
export const arimaOptionsSchema = z.object({
  /** Non-seasonal AR order. */
  p: order.max(20).default(0),
  /** Non-seasonal differences. */
  d: order.max(2).default(0),
  /** Non-seasonal MA order. */
  q: order.max(20).default(0),
  /** Seasonal AR order. */
  P: order.max(3).default(0),
  /** Seasonal differences. */
  D: order.max(1).default(0),
  /** Seasonal MA order. */
  Q: order.max(3).default(0),
  /** Seasonal period in steps (1 = none). Seasonal orders need a period of at least 2. */
  period: z.number().int().min(1).max(400).default(1),
  /** Estimate a mean; only used when the model has no differencing (as R's `include.mean`). */
  includeMean: z.boolean().default(true),
  /** Estimate a linear drift; only allowed with at most one difference in total. */
  includeDrift: z.boolean().default(false),
  /** `CSS-ML` (default, as R), `ML` (start from zeros) or `CSS` (conditional sum of squares only). */
  method: z.enum(['CSS-ML', 'ML', 'CSS']).default('CSS-ML'),
});
export type ArimaOptions = z.input<typeof arimaOptionsSchema>;

export interface ArimaCoefficients {
  ar: Float64Array;
  ma: Float64Array;
  seasonalAr: Float64Array;
  seasonalMa: Float64Array;
  /** Mean (undifferenced models) or `null`. */
  intercept: number | null;
  /** Drift per step, or `null`. */
  drift: number | null;
}

/** A fitted ARIMA model. */
export interface ArimaFit {
  order: ArimaOrder;
  method: 'CSS-ML' | 'ML' | 'CSS';
  coefficients: ArimaCoefficients;
  /** Coefficients by R's names (`ar1`, `ma1`, `sar1`, `sma1`, `intercept`, `drift`). */
  named: Record<string, number>;
  /** Innovation variance, ML estimate (R's `sigma2`). */
  sigma2: number;
  /** Exact Gaussian log-likelihood of the differenced series (CSS: the conditional one). */
  logLikelihood: number;
  aic: number;
  aicc: number;
  bic: number;
  /** Observations in the likelihood (n − d − sD when nothing is missing). */
  used: number;
  /** Standardized one-step innovations vₜ/√Fₜ on the σ scale, `NaN` where missing or not used. */
  residuals: Float64Array;
  /** One-step-ahead predictions of yₜ (`NaN` where not available). */
  fitted: Float64Array;
  /** Whether the optimiser met its tolerance. */
  converged: boolean;
  /** Length of the input series. */
  length: number;
  /** Filter state past the end, for forecasting. */
  state: KalmanState;
  /** Coefficient variances (same order as `named`), when requested; `NaN` = indefinite Hessian. */
  variances?: Float64Array;
}

/** The parameter count a model needs beyond its differencing, and the fewest points to fit it. */
export function minimumLength(o: ArimaOrder, regressors = 0): number {
  const parameters = o.p + o.q + o.P + o.Q + regressors + 1;
  return o.d + o.D * o.period + Math.max(parameters + 2, o.p + o.P * o.period + 1);
}

interface Layout {
  order: ArimaOrder;
  regressors: ('intercept' | 'drift')[];
  delta: Float64Array;
}

function layoutFor(config: z.output<typeof arimaOptionsSchema>): Layout {
  const o: ArimaOrder = { p: config.p, d: config.d, q: config.q, P: config.P, D: config.D, Q: config.Q, period: config.period };
  if (o.period < 2 && (o.P > 0 || o.D > 0 || o.Q > 0)) {
    throw new SluiceError('invalid_config', 'period', 'arima config: seasonal orders need a period of at least 2');
  }
  if (o.period < 2) o.P = o.D = o.Q = 0;
  const regressors: ('intercept' | 'drift')[] = [];
  const differences = o.d + o.D;
  if (config.includeMean && differences === 0) regressors.push('intercept');
  if (config.includeDrift) {
    if (differences > 1) throw new SluiceError('invalid_config', 'includeDrift', 'arima config: drift needs at most one difference in total (d + D ≤ 1)');
    regressors.push('drift');
  }
  return { order: o, regressors, delta: differencingCoefficients(o.d, o.D, o.period) };
}

function regressorValue(kind: 'intercept' | 'drift', t: number): number {
  return kind === 'intercept' ? 1 : t + 1;
}

interface Split {
  ar: Float64Array;
  ma: Float64Array;
  sar: Float64Array;
  sma: Float64Array;
  beta: Float64Array;
}

function split(x: ArrayLike<number>, o: ArimaOrder, k: number): Split {
  const at = (from: number, count: number) => Float64Array.from({ length: count }, (_, i) => x[from + i]);
  return {
    ar: at(0, o.p),
    ma: at(o.p, o.q),
    sar: at(o.p + o.q, o.P),
    sma: at(o.p + o.q + o.P, o.Q),
    beta: at(o.p + o.q + o.P + o.Q, k),
  };
}

function join(s: Split): Float64Array {
  return Float64Array.from([...s.ar, ...s.ma, ...s.sar, ...s.sma, ...s.beta]);
}

/** u = y − Xβ */
function removeRegression(values: Float64Array, layout: Layout, beta: ArrayLike<number>, out: Float64Array): Float64Array {
  out.set(values);
  layout.regressors.forEach((kind, j) => {
    const b = beta[j];
    for (let t = 0; t < out.length; t++) out[t] -= b * regressorValue(kind, t);
  });
  return out;
}

/**
 * Ordinary least squares of the differenced series on the differenced regressors: starting
 * values and the scale each regression coefficient is optimised on.
 */
function regressionStart(values: Float64Array, layout: Layout): { beta: Float64Array; scale: Float64Array } {
  const k = layout.regressors.length;
  const beta = new Float64Array(k);
  const scale = new Float64Array(k).fill(1);
  if (k === 0) return { beta, scale };
  const { d, D, period } = layout.order;
  const y = difference(values, d, D, period);
  const columns = layout.regressors.map((kind) => difference(Float64Array.from({ length: values.length }, (_, t) => regressorValue(kind, t)), d, D, period));
  const xtx = new Float64Array(k * k);
  const xty = new Float64Array(k);
  let count = 0;
  for (let t = 0; t < y.length; t++) {
    if (y[t] !== y[t]) continue;
    count++;
    for (let a = 0; a < k; a++) {
      xty[a] += columns[a][t] * y[t];
      for (let b = 0; b < k; b++) xtx[a * k + b] += columns[a][t] * columns[b][t];
    }
  }
  if (count <= k) return { beta, scale };
  let inverse: Float64Array;
  if (k === 1) inverse = Float64Array.of(1 / xtx[0]);
  else {
    const det = xtx[0] * xtx[3] - xtx[1] * xtx[2];
    inverse = Float64Array.of(xtx[3] / det, -xtx[1] / det, -xtx[2] / det, xtx[0] / det);
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) beta[a] += inverse[a * k + b] * xty[b];
  let rss = 0;
  for (let t = 0; t < y.length; t++) {
    if (y[t] !== y[t]) continue;
    let fitted = 0;
    for (let a = 0; a < k; a++) fitted += columns[a][t] * beta[a];
    rss += (y[t] - fitted) ** 2;
  }
  const s2 = rss / Math.max(1, count - k);
  // as R's arima: optimise regression coefficients on the scale of ten standard errors
  for (let a = 0; a < k; a++) {
    const se = Math.sqrt(s2 * inverse[a * k + a]);
    scale[a] = Number.isFinite(se) && se > 0 ? 10 * se : 1;
  }
  if (!beta.every(Number.isFinite)) beta.fill(0);
  return { beta, scale };
}

/**
 * Fits a seasonal ARIMA (p, d, q)(P, D, Q)[period] to `values` (`NaN` = missing) by exact
 * maximum likelihood, as R's `arima(method = "CSS-ML")` (Gardner, Harvey & Phillips 1980;
 * Jones 1980). Throws `SluiceError('invalid_config')` on a bad option and
 * `SluiceError('insufficient_data')` when the series has too few points for the order.
 * Cost per likelihood evaluation: O(n · r²) with r = max(p + sP, q + sQ + 1), falling to
 * O(n · r) once the filter reaches its steady state; O(n · (r + d + sD)²) when there are gaps.
 * A fit takes tens to a few hundred evaluations: some tens of milliseconds for ARIMA(2,1,2)
 * on a thousand points (bench/arima.bench.ts).
 *
 * @example
 *   fitArima(logAirPassengers, { p: 0, d: 1, q: 1, P: 0, D: 1, Q: 1, period: 12 }).named
 *   // { ma1: -0.40182, sma1: -0.55694 } (R: -0.40183, -0.55694); logLikelihood 244.6965
 */
export function fitArima(values: ArrayLike<number>, options: ArimaOptions = {}): ArimaFit {
  return fitWith(values, parseConfig(arimaOptionsSchema, options, 'arima config'), {});
}

/** Switches for order selection, which needs R's failure modes to rank models alike. */
export interface FitControls {
  /** Throw (as R does) when the CSS start has a non-stationary AR part, instead of starting from zero. */
  strictCss?: boolean;
  /** Also compute the coefficient variances from a numerical Hessian (R's `var.coef`). */
  variances?: boolean;
}

/** `fitArima` on parsed options, with the order-selection switches. */
export function fitWith(values: ArrayLike<number>, config: z.output<typeof arimaOptionsSchema>, controls: FitControls): ArimaFit {
  const layout = layoutFor(config);
  const o = layout.order;
  const y = finiteOrNaN(values);
  let present = 0;
  for (let t = 0; t < y.length; t++) if (y[t] === y[t]) present++;
  const k = layout.regressors.length;
  const needed = minimumLength(o, k);
  if (present < needed) {
    throw new SluiceError(
      'insufficient_data',
      'values',
      `ARIMA(${o.p},${o.d},${o.q})(${o.P},${o.D},${o.Q})[${o.period}] needs at least ${needed} observed points, got ${present}`,
    );
  }
  const armaCount = o.p + o.q + o.P + o.Q;
  const { beta: beta0, scale } = regressionStart(y, layout);
  const u = new Float64Array(y.length);
  const betaOf = (x: ArrayLike<number>): Float64Array => Float64Array.from({ length: k }, (_, j) => beta0[j] + scale[j] * x[armaCount + j]);

  // The differenced series and regressors, once: w = Δy − Σ βⱼ Δxⱼ for any β.
  const differencedY = difference(y, o.d, o.D, o.period);
  const differencedX = layout.regressors.map((kind) => difference(Float64Array.from({ length: y.length }, (_, t) => regressorValue(kind, t)), o.d, o.D, o.period));
  const w = new Float64Array(differencedY.length);
  const differenced = (beta: Float64Array): Float64Array => {
    w.set(differencedY);
    for (let j = 0; j < k; j++) {
      const b = beta[j];
      const column = differencedX[j];
      for (let t = 0; t < w.length; t++) w[t] -= b * column[t];
    }
    return w;
  };
  const gapFree = present === y.length;

  // Conditional sum of squares on the differenced series.
  const conditioning = o.p + o.P * o.period;
  const cssResiduals = new Float64Array(w.length);
  const cssObjective = (x: Float64Array): number => {
    const s = split(x, o, k);
    const { sumSquares, used } = conditionalSumSquares(differenced(betaOf(x)), expandAr(s.ar, s.sar, o.period), expandMa(s.ma, s.sma, o.period), conditioning, cssResiduals);
    return used > 0 ? 0.5 * Math.log(sumSquares / used) : Infinity;
  };
  let start: Float64Array = new Float64Array(armaCount + k);
  let converged = true;
  if (config.method !== 'ML') {
    const css = bfgs(cssObjective, start, { gradientStep: 1e-4, relativeTolerance: 1e-8, maxIterations: 100 });
    start = css.x;
    converged = css.converged;
    if (config.method === 'CSS') {
      const result = finish(y, layout, config.method, start, betaOf, converged, true);
      if (controls.variances) result.variances = hessianVariances(cssObjective, start, result.used);
      return result;
    }
    const s = split(start, o, k);
    if (!isStationary(s.ar) || !isStationary(s.sar)) {
      if (controls.strictCss) throw new SluiceError('invalid_input', 'values', 'non-stationary AR part from CSS');
      // As R would refuse; start the exact fit from white noise instead.
      start = new Float64Array(armaCount + k);
      start.set(split(css.x, o, k).beta, armaCount);
    } else {
      s.ma = invertMa(s.ma);
      s.sma = invertMa(s.sma);
      start = join(s);
    }
  }
  // Exact likelihood in the transformed space.
  const toModel = (x: ArrayLike<number>): Float64Array => {
    const s = split(x, o, k);
    s.ar = arFromUnconstrained(s.ar);
    s.sar = arFromUnconstrained(s.sar);
    return join(s);
  };
  const fromModel = (x: ArrayLike<number>): Float64Array => {
    const s = split(x, o, k);
    s.ar = arToUnconstrained(s.ar);
    s.sar = arToUnconstrained(s.sar);
    return join(s);
  };
  const mlObjective = (raw: Float64Array): number => {
    const x = toModel(raw);
    const s = split(x, o, k);
    const phi = expandAr(s.ar, s.sar, o.period);
    const theta = expandMa(s.ma, s.sma, o.period);
    // Without gaps the exact likelihood is that of the differenced series alone.
    const result = gapFree ? armaFilter(differenced(betaOf(x)), phi, theta) : kalmanFilter(removeRegression(y, layout, betaOf(x), u), phi, theta, layout.delta);
    if (result.used === 0) return Infinity;
    return 0.5 * Math.log(result.sumSquares / result.used) + (0.5 * result.sumLogVariance) / result.used;
  };
  let raw = fromModel(start);
  if (!raw.every(Number.isFinite)) raw = new Float64Array(armaCount + k);
  let ml = bfgs(mlObjective, raw, { gradientStep: 1e-4, relativeTolerance: 1e-10, maxIterations: 300 });
  // A second pass from the optimum with a fresh metric catches premature stops on flat ridges.
  const polish = bfgs(mlObjective, ml.x, { gradientStep: 1e-5, relativeTolerance: 1e-13, maxIterations: 200 });
  if (polish.value <= ml.value) ml = polish;
  const fitted = toModel(ml.x);
  const s = split(fitted, o, k);
  s.ma = invertMa(s.ma);
  s.sma = invertMa(s.sma);
  const final = join(s);
  const result = finish(y, layout, config.method, final, betaOf, ml.converged, false);
  if (controls.variances) {
    const rawFinal = fromModel(final);
    result.variances = rawFinal.every(Number.isFinite) ? hessianVariances(mlObjective, rawFinal, result.used, toModel) : new Float64Array(final.length).fill(NaN);
  }
  return result;
}

/**
 * Diagonal of the coefficient covariance J′(n·H)⁻¹J, H the Hessian of `f` in the optimiser's
 * space at `x` and J the Jacobian of `toModel` — R's `var.coef`, computed the way `optim`'s
 * `hessian = TRUE` does (differences of central-difference gradients, steps of 1e-3) so that
 * near-redundant models are judged alike. `NaN` entries mark a negative variance.
 */
function hessianVariances(f: (x: Float64Array) => number, x: Float64Array, used: number, toModel?: (x: Float64Array) => Float64Array): Float64Array {
  const k = x.length;
  const step = 1e-3;
  const probe = Float64Array.from(x);
  const gradientAt = (point: Float64Array): Float64Array => {
    const g = new Float64Array(k);
    const local = Float64Array.from(point);
    for (let j = 0; j < k; j++) {
      local[j] = point[j] + step;
      const up = f(local);
      local[j] = point[j] - step;
      const down = f(local);
      local[j] = point[j];
      g[j] = (up - down) / (2 * step);
    }
    return g;
  };
  const H = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    probe.set(x);
    probe[i] = x[i] + step;
    const up = gradientAt(probe);
    probe[i] = x[i] - step;
    const down = gradientAt(probe);
    for (let j = 0; j < k; j++) H[i * k + j] = ((up[j] - down[j]) / (2 * step)) * used;
  }
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      const v = 0.5 * (H[i * k + j] + H[j * k + i]);
      H[i * k + j] = v;
      H[j * k + i] = v;
    }
  }
  const inverse = invert(H, k);
  if (!inverse) return new Float64Array(k).fill(NaN);
  // Jacobian of the map to model coefficients, by central differences.
  const J = new Float64Array(k * k);
  if (toModel) {
    const h = 1e-6;
    for (let j = 0; j < k; j++) {
      probe.set(x);
      probe[j] = x[j] + h;
      const up = toModel(probe);
      probe[j] = x[j] - h;
      const down = toModel(probe);
      for (let i = 0; i < k; i++) J[j * k + i] = (up[i] - down[i]) / (2 * h);
    }
  } else {
    for (let i = 0; i < k; i++) J[i * k + i] = 1;
  }
  const out = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let v = 0;
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) v += J[a * k + c] * inverse[a * k + b] * J[b * k + c];
    out[c] = v >= 0 ? v : NaN;
  }
  return out;
}

/** Gauss–Jordan inverse of a k × k matrix; `null` when singular or not finite. */
function invert(matrix: Float64Array, n: number): Float64Array | null {
  const A = Float64Array.from(matrix);
  const I = new Float64Array(n * n);
  for (let i = 0; i < n; i++) I[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]) > Math.abs(A[pivot * n + c])) pivot = r;
    if (!(Math.abs(A[pivot * n + c]) > 0) || !Number.isFinite(A[pivot * n + c])) return null;
    for (let j = 0; j < n; j++) {
      [A[c * n + j], A[pivot * n + j]] = [A[pivot * n + j], A[c * n + j]];
      [I[c * n + j], I[pivot * n + j]] = [I[pivot * n + j], I[c * n + j]];
    }
    const d = A[c * n + c];
    for (let j = 0; j < n; j++) {
      A[c * n + j] /= d;
      I[c * n + j] /= d;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const factor = A[r * n + c];
      if (factor === 0) continue;
      for (let j = 0; j < n; j++) {
        A[r * n + j] -= factor * A[c * n + j];
        I[r * n + j] -= factor * I[c * n + j];
      }
    }
  }
  return I;
}

function finish(
  y: Float64Array,
  layout: Layout,
  method: 'CSS-ML' | 'ML' | 'CSS',
  x: Float64Array,
  betaOf: (x: ArrayLike<number>) => Float64Array,
  converged: boolean,
  cssOnly: boolean,
): ArimaFit {
  const o = layout.order;
  const k = layout.regressors.length;
  const s = split(x, o, k);
  const beta = betaOf(x);
  const phi = expandAr(s.ar, s.sar, o.period);
  const theta = expandMa(s.ma, s.sma, o.period);
  const u = removeRegression(y, layout, beta, new Float64Array(y.length));
  const filter = filterWithOutputs(u, phi, theta, layout);
  let sigma2: number;
  let logLikelihood: number;
  let used: number;
  if (cssOnly) {
    const w = difference(u, o.d, o.D, o.period);
    const css = conditionalSumSquares(w, phi, theta, o.p + o.P * o.period);
    used = css.used;
    sigma2 = css.sumSquares / used;
    logLikelihood = -0.5 * used * (Math.log(2 * Math.PI * sigma2) + 1);
  } else {
    used = filter.used;
    sigma2 = filter.sumSquares / used;
    logLikelihood = -0.5 * (used * Math.log(2 * Math.PI * sigma2) + filter.sumLogVariance + used);
  }
  const parameters = o.p + o.q + o.P + o.Q + k + 1;
  const aic = -2 * logLikelihood + 2 * parameters;
  const aicc = used - parameters - 1 > 0 ? aic + (2 * parameters * (parameters + 1)) / (used - parameters - 1) : Infinity;
  const bic = aic + parameters * (Math.log(used) - 2);
  const named: Record<string, number> = {};
  s.ar.forEach((v, i) => (named[`ar${i + 1}`] = v));
  s.ma.forEach((v, i) => (named[`ma${i + 1}`] = v));
  s.sar.forEach((v, i) => (named[`sar${i + 1}`] = v));
  s.sma.forEach((v, i) => (named[`sma${i + 1}`] = v));
  let intercept: number | null = null;
  let drift: number | null = null;
  layout.regressors.forEach((kind, j) => {
    named[kind] = beta[j];
    if (kind === 'intercept') intercept = beta[j];
    else drift = beta[j];
  });
  const fittedValues = new Float64Array(y.length).fill(NaN);
  const predictions = filter.predictions!;
  for (let t = 0; t < y.length; t++) {
    let regression = 0;
    layout.regressors.forEach((kind, j) => (regression += beta[j] * regressorValue(kind, t)));
    fittedValues[t] = predictions[t] + regression;
  }
  return {
    order: { ...o },
    method,
    coefficients: { ar: s.ar, ma: s.ma, seasonalAr: s.sar, seasonalMa: s.sma, intercept, drift },
    named,
    sigma2,
    logLikelihood,
    aic,
    aicc,
    bic,
    used,
    residuals: filter.residuals!,
    fitted: fittedValues,
    converged,
    length: y.length,
    state: filter.finalState!,
  };
}

/**
 * The filter pass with residuals, predictions and the final state. Without gaps the
 * differencing states are known exactly, so the ARMA filter on the differenced series gives
 * the same numbers at a fraction of the augmented filter's cost; the augmented state for
 * forecasting is then the ARMA state next to the last m observations.
 */
function filterWithOutputs(u: Float64Array, phi: Float64Array, theta: Float64Array, layout: Layout): KalmanResult {
  const n = u.length;
  const delta = layout.delta;
  const m = delta.length;
  let gaps = false;
  for (let t = 0; t < n && !gaps; t++) gaps = u[t] !== u[t];
  if (gaps || n <= m) return kalmanFilter(u, phi, theta, delta, { residuals: true, finalState: true });
  const w = new Float64Array(n - m);
  for (let t = m; t < n; t++) {
    let v = u[t];
    for (let j = 0; j < m; j++) v -= delta[j] * u[t - j - 1];
    w[t - m] = v;
  }
  const inner = armaFilter(w, phi, theta, { residuals: true, finalState: true });
  const residuals = new Float64Array(n).fill(NaN);
  residuals.set(inner.residuals!, m);
  const predictions = new Float64Array(n).fill(NaN);
  for (let t = m; t < n; t++) {
    let p = inner.predictions![t - m];
    for (let j = 0; j < m; j++) p += delta[j] * u[t - j - 1];
    predictions[t] = p;
  }
  const armaState = inner.finalState!;
  const r = armaState.armaDimension;
  const dimension = r + m;
  const x = new Float64Array(dimension);
  x.set(armaState.x);
  for (let j = 0; j < m; j++) x[r + j] = u[n - 1 - j];
  const P = new Float64Array(dimension * dimension);
  for (let i = 0; i < r; i++) for (let k = 0; k < r; k++) P[i * dimension + k] = armaState.P[i * r + k];
  return {
    sumSquares: inner.sumSquares,
    sumLogVariance: inner.sumLogVariance,
    used: inner.used,
    firstUsed: m,
    residuals,
    predictions,
    finalState: { dimension, armaDimension: r, x, P },
  };
}

export interface ArimaForecast {
  /** Point forecasts for steps 1 … h past the end. */
  mean: Float64Array;
  /** Forecast standard errors (σ scale). */
  se: Float64Array;
  /** Lower and upper limits per requested level, in the order given. */
  intervals: { level: number; lower: Float64Array; upper: Float64Array }[];
}

/**
 * Forecasts `horizon` steps past the end of the fitted series with Gaussian prediction
 * intervals at each `level` in (0, 1) (default 0.8 and 0.95, as `forecast::forecast`). The
 * standard errors are exact for the fitted model given its parameters, like R's
 * `predict.Arima`. O(h · (r + m)²).
 */
export function forecastArima(fit: ArimaFit, horizon: number, levels: readonly number[] = [0.8, 0.95]): ArimaForecast {
  if (!(Number.isInteger(horizon) && horizon >= 1)) throw new SluiceError('invalid_config', 'horizon', `horizon must be a positive integer, got ${horizon}`);
  for (const level of levels) {
    if (!(level > 0 && level < 1)) throw new SluiceError('invalid_config', 'levels', `prediction interval levels must lie in (0, 1), got ${level}`);
  }
  const o = fit.order;
  const c = fit.coefficients;
  const phi = expandAr(c.ar, c.seasonalAr, o.period);
  const theta = expandMa(c.ma, c.seasonalMa, o.period);
  const delta = differencingCoefficients(o.d, o.D, o.period);
  const { mean, variance } = forecastState(fit.state, phi, theta, delta, horizon);
  const se = new Float64Array(horizon);
  for (let h = 0; h < horizon; h++) {
    const t = fit.length + h;
    mean[h] += (c.intercept ?? 0) + (c.drift ?? 0) * (t + 1);
    se[h] = Math.sqrt(Math.max(0, variance[h]) * fit.sigma2);
  }
  const intervals = levels.map((level) => {
    const z = qnorm(0.5 + level / 2);
    return { level, lower: mean.map((v, h) => v - z * se[h]), upper: mean.map((v, h) => v + z * se[h]) };
  });
  return { mean, se, intervals };
}

/**
 * The exact Gaussian log-likelihood of `values` under given coefficients (differenced series,
 * regression removed). With `sigma2` omitted σ² is set to its ML value given the other
 * coefficients (the concentrated likelihood R maximises). O(n · (r + m)²).
 */
export function arimaLogLikelihood(
  values: ArrayLike<number>,
  o: ArimaOrder,
  coefficients: Partial<ArimaCoefficients>,
  sigma2?: number,
): { logLikelihood: number; sigma2: number; used: number } {
  const y = finiteOrNaN(values);
  for (let t = 0; t < y.length; t++) y[t] -= (coefficients.intercept ?? 0) + (coefficients.drift ?? 0) * (t + 1);
  const phi = expandAr(coefficients.ar ?? [], o.period > 1 ? coefficients.seasonalAr ?? [] : [], o.period);
  const theta = expandMa(coefficients.ma ?? [], o.period > 1 ? coefficients.seasonalMa ?? [] : [], o.period);
  const delta = differencingCoefficients(o.d, o.period > 1 ? o.D : 0, o.period);
  const f = kalmanFilter(y, phi, theta, delta);
  const s2 = sigma2 ?? f.sumSquares / f.used;
  const logLikelihood = -0.5 * (f.used * Math.log(2 * Math.PI * s2) + f.sumLogVariance + f.sumSquares / s2);
  return { logLikelihood, sigma2: s2, used: f.used };
}
