/**
 * Lag-polynomial algebra for ARIMA models: expanding seasonal products, the
 * partial-autocorrelation reparametrisation that keeps an AR part stationary, and inverting
 * moving-average roots that fall inside the unit circle.
 *
 * Conventions (as R's `arima`): the AR polynomial is 1 − φ₁B − … − φₚBᵖ and the MA
 * polynomial is 1 + θ₁B + … + θ_qB^q.
 */

/** The orders of a seasonal ARIMA (p, d, q)(P, D, Q)[period]. */
export interface ArimaOrder {
  p: number;
  d: number;
  q: number;
  P: number;
  D: number;
  Q: number;
  /** Seasonal period in steps; 1 when there is no seasonal part. */
  period: number;
}

/**
 * Expands (1 − Σ φᵢBⁱ)(1 − Σ Φⱼ B^{sj}) into 1 − Σ φ*ₖ Bᵏ and returns φ* (length p + sP).
 * Cost O(p·P).
 */
export function expandAr(phi: ArrayLike<number>, seasonalPhi: ArrayLike<number>, period: number): Float64Array {
  const p = phi.length;
  const P = seasonalPhi.length;
  const out = new Float64Array(p + period * P);
  for (let i = 0; i < p; i++) out[i] += phi[i];
  for (let j = 0; j < P; j++) {
    const lag = (j + 1) * period;
    out[lag - 1] += seasonalPhi[j];
    // the cross term −φᵢΦⱼ B^{i+sj} enters 1 − Σφ* with a minus sign
    for (let i = 0; i < p; i++) out[lag + i] -= phi[i] * seasonalPhi[j];
  }
  return out;
}

/** Expands (1 + Σ θᵢBⁱ)(1 + Σ Θⱼ B^{sj}) into 1 + Σ θ*ₖ Bᵏ; returns θ* (length q + sQ). */
export function expandMa(theta: ArrayLike<number>, seasonalTheta: ArrayLike<number>, period: number): Float64Array {
  const q = theta.length;
  const Q = seasonalTheta.length;
  const out = new Float64Array(q + period * Q);
  for (let i = 0; i < q; i++) out[i] += theta[i];
  for (let j = 0; j < Q; j++) {
    const lag = (j + 1) * period;
    out[lag - 1] += seasonalTheta[j];
    for (let i = 0; i < q; i++) out[lag + i] += theta[i] * seasonalTheta[j];
  }
  return out;
}

/**
 * Coefficients δ of the differencing operator (1 − B)^d (1 − B^s)^D = 1 − Σ δⱼ Bʲ, so that
 * yₜ = wₜ + Σ δⱼ yₜ₋ⱼ. Length d + sD.
 */
export function differencingCoefficients(d: number, D: number, period: number): Float64Array {
  let poly = [1];
  const multiply = (lag: number) => {
    const next = new Array<number>(poly.length + lag).fill(0);
    for (let i = 0; i < poly.length; i++) {
      next[i] += poly[i];
      next[i + lag] -= poly[i];
    }
    poly = next;
  };
  for (let i = 0; i < d; i++) multiply(1);
  for (let i = 0; i < D; i++) multiply(period);
  const out = new Float64Array(poly.length - 1);
  for (let j = 1; j < poly.length; j++) out[j - 1] = poly[j] === 0 ? 0 : -poly[j];
  return out;
}

/** Applies (1 − B)^d (1 − B^s)^D; the result is shorter by d + sD; `NaN` propagates. O(n·(d + D)). */
export function difference(values: ArrayLike<number>, d: number, D: number, period: number): Float64Array {
  let x = Float64Array.from(values);
  for (let i = 0; i < d; i++) {
    const next = new Float64Array(Math.max(0, x.length - 1));
    for (let t = 0; t < next.length; t++) next[t] = x[t + 1] - x[t];
    x = next;
  }
  for (let i = 0; i < D; i++) {
    const next = new Float64Array(Math.max(0, x.length - period));
    for (let t = 0; t < next.length; t++) next[t] = x[t + period] - x[t];
    x = next;
  }
  return x;
}

/**
 * Maps unconstrained reals to the coefficients of a stationary AR polynomial: each input
 * goes through tanh to a partial autocorrelation in (−1, 1), and the Durbin–Levinson
 * recursion turns those into AR coefficients (Jones 1980; the map R's `arima` uses with
 * `transform.pars = TRUE`). O(p²).
 */
export function arFromUnconstrained(raw: ArrayLike<number>): Float64Array {
  const p = raw.length;
  const phi = new Float64Array(p);
  const work = new Float64Array(p);
  for (let j = 0; j < p; j++) phi[j] = Math.tanh(raw[j]);
  for (let j = 1; j < p; j++) {
    const a = phi[j];
    for (let k = 0; k < j; k++) work[k] = phi[k] - a * phi[j - k - 1];
    for (let k = 0; k < j; k++) phi[k] = work[k];
  }
  return phi;
}

/**
 * Partial autocorrelations of an AR polynomial by the reverse Durbin–Levinson recursion.
 * All of them lie strictly inside (−1, 1) exactly when the polynomial is stationary.
 */
export function arToPartialAutocorrelations(phi: ArrayLike<number>): Float64Array {
  const p = phi.length;
  const cur = Float64Array.from(phi);
  const work = new Float64Array(p);
  for (let j = p - 1; j >= 1; j--) {
    const a = cur[j];
    const denominator = 1 - a * a;
    if (!(Math.abs(a) < 1)) return cur.fill(NaN, 0, j).fill(a, j, j + 1);
    for (let k = 0; k < j; k++) work[k] = (cur[k] + a * cur[j - k - 1]) / denominator;
    for (let k = 0; k < j; k++) cur[k] = work[k];
  }
  return cur;
}

/** Inverse of `arFromUnconstrained` for a stationary polynomial (non-finite otherwise). */
export function arToUnconstrained(phi: ArrayLike<number>): Float64Array {
  const pacf = arToPartialAutocorrelations(phi);
  const out = new Float64Array(pacf.length);
  for (let j = 0; j < pacf.length; j++) out[j] = Math.atanh(pacf[j]);
  return out;
}

/** True when 1 − Σ φᵢBⁱ has every root outside the unit circle (with a small margin). */
export function isStationary(phi: ArrayLike<number>, margin = 1e-8): boolean {
  if (phi.length === 0) return true;
  const pacf = arToPartialAutocorrelations(phi);
  for (let j = 0; j < pacf.length; j++) if (!(Math.abs(pacf[j]) < 1 - margin)) return false;
  return true;
}

/** True when 1 + Σ θᵢBⁱ has every root outside the unit circle. */
export function isInvertible(theta: ArrayLike<number>, margin = 1e-8): boolean {
  const negated = Float64Array.from(theta, (v) => -v);
  return isStationary(negated, margin);
}

/**
 * Complex roots of 1 + c₁z + … + c_k z^k by the Aberth–Ehrlich iteration. Returns parallel
 * arrays of real and imaginary parts. Intended for the short polynomials of ARIMA models.
 */
export function polynomialRoots(coefficients: ArrayLike<number>): { re: Float64Array; im: Float64Array } {
  let k = coefficients.length;
  while (k > 0 && coefficients[k - 1] === 0) k--;
  const re = new Float64Array(k);
  const im = new Float64Array(k);
  if (k === 0) return { re, im };
  // monic form: z^k + a_{k-1} z^{k-1} + … + a₀ with aⱼ = c_j / c_k (c₀ = 1)
  const a = new Float64Array(k + 1);
  a[k] = 1;
  for (let j = 0; j < k; j++) a[j] = (j === 0 ? 1 : coefficients[j - 1]) / coefficients[k - 1];
  let radius = 0;
  for (let j = 0; j < k; j++) radius = Math.max(radius, Math.abs(a[j]));
  radius = Math.min(1 + radius, 1e6);
  for (let j = 0; j < k; j++) {
    const angle = (2 * Math.PI * j) / k + 0.4;
    re[j] = radius * 0.5 * Math.cos(angle);
    im[j] = radius * 0.5 * Math.sin(angle);
  }
  for (let iteration = 0; iteration < 500; iteration++) {
    let moved = 0;
    for (let j = 0; j < k; j++) {
      // p(z) and p'(z) by Horner in complex arithmetic
      let pr = a[k];
      let pi = 0;
      let dr = 0;
      let di = 0;
      for (let m = k - 1; m >= 0; m--) {
        const ndr = dr * re[j] - di * im[j] + pr;
        const ndi = dr * im[j] + di * re[j] + pi;
        dr = ndr;
        di = ndi;
        const npr = pr * re[j] - pi * im[j] + a[m];
        const npi = pr * im[j] + pi * re[j];
        pr = npr;
        pi = npi;
      }
      const dd = dr * dr + di * di;
      if (dd === 0 && pr === 0 && pi === 0) continue;
      // ratio = p / p'
      const rr = (pr * dr + pi * di) / dd;
      const ri = (pi * dr - pr * di) / dd;
      let sr = 0;
      let si = 0;
      for (let m = 0; m < k; m++) {
        if (m === j) continue;
        const xr = re[j] - re[m];
        const xi = im[j] - im[m];
        const xx = xr * xr + xi * xi;
        sr += xr / xx;
        si += -xi / xx;
      }
      // correction w = ratio / (1 − ratio · s)
      const denr = 1 - (rr * sr - ri * si);
      const deni = -(rr * si + ri * sr);
      const den = denr * denr + deni * deni;
      const wr = (rr * denr + ri * deni) / den;
      const wi = (ri * denr - rr * deni) / den;
      if (!Number.isFinite(wr) || !Number.isFinite(wi)) continue;
      re[j] -= wr;
      im[j] -= wi;
      moved = Math.max(moved, Math.hypot(wr, wi) / Math.max(1, Math.hypot(re[j], im[j])));
    }
    if (moved < 1e-15) break;
  }
  return { re, im };
}

/**
 * Replaces every root of 1 + Σ θᵢBⁱ inside the unit circle by its reciprocal, giving the
 * invertible MA polynomial with the same autocorrelations (as R's `arima` does after fitting).
 * Returns the input unchanged when it is already invertible.
 */
export function invertMa(theta: ArrayLike<number>): Float64Array {
  const q = theta.length;
  let k = q;
  while (k > 0 && theta[k - 1] === 0) k--;
  if (k === 0 || isInvertible(theta.length === k ? theta : Array.from(theta).slice(0, k))) return Float64Array.from(theta);
  const { re, im } = polynomialRoots(Array.from(theta).slice(0, k));
  // product of (1 − z / rootⱼ) in complex arithmetic
  let polyRe = [1];
  let polyIm = [0];
  for (let j = 0; j < k; j++) {
    let rr = re[j];
    let ri = im[j];
    const modulus2 = rr * rr + ri * ri;
    if (modulus2 < 1) {
      rr = rr / modulus2;
      ri = -ri / modulus2;
    }
    const m2 = rr * rr + ri * ri;
    const invR = rr / m2;
    const invI = -ri / m2;
    const nextRe = new Array<number>(polyRe.length + 1).fill(0);
    const nextIm = new Array<number>(polyRe.length + 1).fill(0);
    for (let m = 0; m < polyRe.length; m++) {
      nextRe[m] += polyRe[m];
      nextIm[m] += polyIm[m];
      nextRe[m + 1] -= polyRe[m] * invR - polyIm[m] * invI;
      nextIm[m + 1] -= polyRe[m] * invI + polyIm[m] * invR;
    }
    polyRe = nextRe;
    polyIm = nextIm;
  }
  const out = new Float64Array(q);
  for (let j = 0; j < k; j++) out[j] = polyRe[j + 1];
  return out;
}
