/**
 * The exact Gaussian likelihood of an ARIMA model through its state-space form and the
 * Kalman filter (Harvey 1989 §3.3; Durbin & Koopman 2012 §3.4), the way R's `arima` and
 * statsmodels' SARIMAX compute it, with two differences that make the figure exact rather
 * than approximate:
 *
 * - the stationary ARMA part starts from its exact unconditional covariance, obtained in
 *   O(r²) from the autocovariances instead of solving a Lyapunov equation numerically;
 * - the differencing states start from observed values (conditioning on the first d + sD
 *   observations) instead of a large "diffuse" variance, so with no gaps the result equals
 *   the multivariate normal density of the differenced series to rounding error.
 *
 * The state is [α (ARMA, r = max(p*, q*+1)); uₜ₋₁ … uₜ₋ₘ (m = d + sD)]. A missing value
 * (`NaN`) skips the update step, so gaps cost information but never throw. Once the
 * filtered covariance has collapsed to zero (an invertible MA makes it converge) the
 * filter switches to the O(r) steady-state recursion until the next gap.
 */

/** Autocovariances γ(0 … maxLag) of the ARMA process φ(B)wₜ = θ(B)eₜ with unit innovation variance (Brockwell & Davis 1991, §3.3). O(p³ + maxLag·(p + q)). */
export function armaAutocovariance(phi: ArrayLike<number>, theta: ArrayLike<number>, maxLag: number): Float64Array {
  const p = phi.length;
  const q = theta.length;
  const psi = psiWeights(phi, theta, q);
  // right-hand sides: Σ_{j=k}^{q} θⱼ ψ_{j−k}, θ₀ = 1
  const rhs = (k: number): number => {
    let s = 0;
    for (let j = k; j <= q; j++) s += (j === 0 ? 1 : theta[j - 1]) * psi[j - k];
    return s;
  };
  const gamma = new Float64Array(Math.max(maxLag, p) + 1);
  if (p === 0) {
    for (let k = 0; k <= Math.min(q, gamma.length - 1); k++) gamma[k] = rhs(k);
    return gamma.subarray(0, maxLag + 1);
  }
  const size = p + 1;
  const a = new Float64Array(size * size);
  const b = new Float64Array(size);
  for (let k = 0; k < size; k++) {
    a[k * size + k] += 1;
    for (let j = 1; j <= p; j++) a[k * size + Math.abs(k - j)] -= phi[j - 1];
    b[k] = rhs(k);
  }
  solveInPlace(a, b, size);
  for (let k = 0; k < size; k++) gamma[k] = b[k];
  for (let k = size; k < gamma.length; k++) {
    let s = k <= q ? rhs(k) : 0;
    for (let j = 1; j <= p; j++) s += phi[j - 1] * gamma[k - j];
    gamma[k] = s;
  }
  return gamma.subarray(0, maxLag + 1);
}

/** ψ weights ψ₀ … ψ_count of the causal expansion wₜ = Σ ψⱼ eₜ₋ⱼ. */
export function psiWeights(phi: ArrayLike<number>, theta: ArrayLike<number>, count: number): Float64Array {
  const psi = new Float64Array(count + 1);
  psi[0] = 1;
  for (let j = 1; j <= count; j++) {
    let s = j <= theta.length ? theta[j - 1] : 0;
    for (let k = 1; k <= Math.min(j, phi.length); k++) s += phi[k - 1] * psi[j - k];
    psi[j] = s;
  }
  return psi;
}

/** Gaussian elimination with partial pivoting; overwrites `b` with the solution. */
function solveInPlace(a: Float64Array, b: Float64Array, n: number): void {
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) if (Math.abs(a[row * n + col]) > Math.abs(a[pivot * n + col])) pivot = row;
    if (pivot !== col) {
      for (let k = 0; k < n; k++) {
        const t = a[col * n + k];
        a[col * n + k] = a[pivot * n + k];
        a[pivot * n + k] = t;
      }
      const t = b[col];
      b[col] = b[pivot];
      b[pivot] = t;
    }
    const diagonal = a[col * n + col];
    for (let row = col + 1; row < n; row++) {
      const factor = a[row * n + col] / diagonal;
      if (factor === 0) continue;
      for (let k = col; k < n; k++) a[row * n + k] -= factor * a[col * n + k];
      b[row] -= factor * b[col];
    }
  }
  for (let row = n - 1; row >= 0; row--) {
    let s = b[row];
    for (let k = row + 1; k < n; k++) s -= a[row * n + k] * b[k];
    b[row] = s / a[row * n + row];
  }
}

/**
 * Unconditional covariance (unit innovation variance) of the ARMA state vector in Harvey's
 * form, r × r row-major: the solution of P = TPT' + RR', built from the autocovariances
 * (first row) and the Lyapunov recursion run from the bottom-right corner (other rows). O(r²)
 * after the autocovariances.
 */
export function stationaryStateCovariance(phi: ArrayLike<number>, theta: ArrayLike<number>, r: number): Float64Array {
  const gamma = armaAutocovariance(phi, theta, r);
  const psi = psiWeights(phi, theta, r);
  const ph = (i: number): number => (i >= 1 && i <= phi.length ? phi[i - 1] : 0);
  const th = (i: number): number => (i === 0 ? 1 : i <= theta.length ? theta[i - 1] : 0);
  const P = new Float64Array(r * r);
  for (let k = 0; k < r; k++) {
    let s = 0;
    for (let j = 0; j <= r - 1 - k; j++) s += ph(k + j + 1) * gamma[j + 1] + th(k + j) * psi[j];
    P[k] = s;
    P[k * r] = s;
  }
  const first = (k: number): number => (k < r ? P[k] : 0);
  for (let i = r - 1; i >= 1; i--) {
    for (let k = r - 1; k >= i; k--) {
      const next = i + 1 < r && k + 1 < r ? P[(i + 1) * r + k + 1] : 0;
      const v = ph(i + 1) * ph(k + 1) * P[0] + ph(i + 1) * first(k + 1) + ph(k + 1) * first(i + 1) + next + th(i) * th(k);
      P[i * r + k] = v;
      P[k * r + i] = v;
    }
  }
  return P;
}

export interface KalmanOptions {
  /** Also return the standardized innovations vₜ/√Fₜ (σ scale, `NaN` where missing). */
  residuals?: boolean;
  /** Also return the predicted state and covariance one step past the end, for forecasting. */
  finalState?: boolean;
}

/** The predicted state for time n and its covariance (unit innovation variance), dim = r + m. */
export interface KalmanState {
  dimension: number;
  /** ARMA state length r. */
  armaDimension: number;
  x: Float64Array;
  /** Row-major dim × dim. */
  P: Float64Array;
}

export interface KalmanResult {
  /** Σ vₜ²/Fₜ over the observations used. */
  sumSquares: number;
  /** Σ log Fₜ. */
  sumLogVariance: number;
  /** Observations that entered the likelihood. */
  used: number;
  /** Index of the first observation that entered (earlier ones start the differencing states). */
  firstUsed: number;
  residuals?: Float64Array;
  /** One-step predictions of u (same length as u; `NaN` before `firstUsed`). */
  predictions?: Float64Array;
  finalState?: KalmanState;
}

const STEADY_TOLERANCE = 1e-13;

/**
 * Runs the Kalman filter of the ARIMA model for series `u` (already net of any regression),
 * with expanded AR coefficients `phi` (φ*), MA coefficients `theta` (θ*) and differencing
 * coefficients `delta` (see `differencingCoefficients`). Unit innovation variance: the ML
 * estimate of σ² is `sumSquares / used`. O(n·(r + m)²), O(n·r) in the steady state.
 */
export function kalmanFilter(u: ArrayLike<number>, phi: ArrayLike<number>, theta: ArrayLike<number>, delta: ArrayLike<number>, options: KalmanOptions = {}): KalmanResult {
  const n = u.length;
  const p = phi.length;
  const q = theta.length;
  const m = delta.length;
  const r = Math.max(p, q + 1);
  const dim = r + m;
  const ph = new Float64Array(r);
  for (let i = 0; i < p; i++) ph[i] = phi[i];
  const R = new Float64Array(r);
  R[0] = 1;
  for (let i = 0; i < q; i++) R[i + 1] = theta[i];

  const residuals = options.residuals ? new Float64Array(n).fill(NaN) : undefined;
  const predictions = options.residuals ? new Float64Array(n).fill(NaN) : undefined;

  // Start where m consecutive observations are available to seed the differencing states.
  let start = m;
  if (m > 0) {
    let run = 0;
    start = n;
    for (let t = 0; t < n; t++) {
      run = u[t] === u[t] ? run + 1 : 0;
      if (run === m) {
        start = t + 1;
        break;
      }
    }
  }
  if (m > 0 && !options.residuals && !options.finalState && start < n) {
    // Without gaps the differencing states carry no uncertainty: filtering the differenced
    // series with the ARMA state alone gives identical innovations at a fraction of the cost.
    let gaps = false;
    for (let t = start - m; t < n && !gaps; t++) gaps = u[t] !== u[t];
    if (!gaps) {
      const w = new Float64Array(n - start);
      for (let t = start; t < n; t++) {
        let v = u[t];
        for (let j = 0; j < m; j++) v -= delta[j] * u[t - j - 1];
        w[t - start] = v;
      }
      const inner = armaFilter(w, phi, theta);
      return { ...inner, firstUsed: start };
    }
  }
  if (m === 0 && !options.residuals && !options.finalState) return armaFilter(u, phi, theta);
  const x = new Float64Array(dim);
  const xNext = new Float64Array(dim);
  let P = new Float64Array(dim * dim);
  let M = new Float64Array(dim * dim);
  const PZ = new Float64Array(dim);
  if (start <= n) {
    for (let j = 0; j < m; j++) x[r + j] = u[start - 1 - j];
    const P0 = stationaryStateCovariance(phi, theta, r);
    for (let i = 0; i < r; i++) for (let k = 0; k < r; k++) P[i * dim + k] = P0[i * r + k];
  }

  // x ← T x
  const transitionVector = (src: Float64Array, dst: Float64Array): void => {
    const a0 = src[0];
    for (let i = 0; i < r - 1; i++) dst[i] = ph[i] * a0 + src[i + 1];
    dst[r - 1] = ph[r - 1] * a0;
    if (m > 0) {
      let z = a0;
      for (let j = 0; j < m; j++) z += delta[j] * src[r + j];
      for (let j = m - 1; j >= 1; j--) dst[r + j] = src[r + j - 1];
      dst[r] = z;
    }
  };
  // dst ← T src (rows), for a dim × dim row-major matrix
  const transitionRows = (src: Float64Array, dst: Float64Array): void => {
    for (let i = 0; i < r; i++) {
      const f = ph[i];
      const row = i * dim;
      if (i + 1 < r) {
        const next = (i + 1) * dim;
        for (let k = 0; k < dim; k++) dst[row + k] = f * src[k] + src[next + k];
      } else {
        for (let k = 0; k < dim; k++) dst[row + k] = f * src[k];
      }
    }
    if (m > 0) {
      const row = r * dim;
      for (let k = 0; k < dim; k++) dst[row + k] = src[k];
      for (let j = 0; j < m; j++) {
        const dj = delta[j];
        if (dj === 0) continue;
        const from = (r + j) * dim;
        for (let k = 0; k < dim; k++) dst[row + k] += dj * src[from + k];
      }
      for (let j = m - 1; j >= 1; j--) {
        const to = (r + j) * dim;
        const from = (r + j - 1) * dim;
        for (let k = 0; k < dim; k++) dst[to + k] = src[from + k];
      }
    }
  };
  const transpose = (src: Float64Array, dst: Float64Array): void => {
    for (let i = 0; i < dim; i++) for (let k = 0; k < dim; k++) dst[k * dim + i] = src[i * dim + k];
  };
  // P ← T P T' + R R'
  const predictCovariance = (): void => {
    transitionRows(P, M);
    transpose(M, P);
    transitionRows(P, M);
    const swap = P;
    P = M;
    M = swap;
    for (let i = 0; i < r; i++) for (let k = 0; k < r; k++) P[i * dim + k] += R[i] * R[k];
  };

  let sumSquares = 0;
  let sumLogVariance = 0;
  let used = 0;
  let steady = false;
  for (let t = start; t < n; t++) {
    if (t > start) {
      transitionVector(x, xNext);
      x.set(xNext);
      if (!steady) predictCovariance();
    }
    const observed = u[t];
    let prediction = x[0];
    for (let j = 0; j < m; j++) prediction += delta[j] * x[r + j];
    if (predictions) predictions[t] = prediction;
    if (observed !== observed) {
      if (steady) {
        // leave the steady state: the filtered covariance was zero, so the prediction's is RR'
        steady = false;
        P.fill(0);
        for (let i = 0; i < r; i++) for (let k = 0; k < r; k++) P[i * dim + k] = R[i] * R[k];
      }
      continue;
    }
    const v = observed - prediction;
    if (steady) {
      for (let i = 0; i < r; i++) x[i] += R[i] * v;
      sumSquares += v * v;
      used++;
      if (residuals) residuals[t] = v;
      continue;
    }
    for (let i = 0; i < dim; i++) {
      const row = i * dim;
      let s = P[row];
      for (let j = 0; j < m; j++) s += delta[j] * P[row + r + j];
      PZ[i] = s;
    }
    let F = PZ[0];
    for (let j = 0; j < m; j++) F += delta[j] * PZ[r + j];
    if (!(F > 0)) continue;
    const gain = v / F;
    for (let i = 0; i < dim; i++) x[i] += PZ[i] * gain;
    let largest = 0;
    for (let i = 0; i < dim; i++) {
      const row = i * dim;
      const a = PZ[i] / F;
      for (let k = 0; k < dim; k++) {
        const value = P[row + k] - a * PZ[k];
        P[row + k] = value;
        const abs = value < 0 ? -value : value;
        if (abs > largest) largest = abs;
      }
    }
    sumSquares += v * gain;
    sumLogVariance += Math.log(F);
    used++;
    if (residuals) residuals[t] = v / Math.sqrt(F);
    if (largest < STEADY_TOLERANCE) {
      steady = true;
      P.fill(0);
    }
  }
  const result: KalmanResult = { sumSquares, sumLogVariance, used, firstUsed: Math.min(start, n) };
  if (residuals) result.residuals = residuals;
  if (predictions) result.predictions = predictions;
  if (options.finalState) {
    if (start < n) {
      transitionVector(x, xNext);
      x.set(xNext);
      if (steady) {
        P.fill(0);
        for (let i = 0; i < r; i++) for (let k = 0; k < r; k++) P[i * dim + k] = R[i] * R[k];
      } else {
        predictCovariance();
      }
    }
    result.finalState = { dimension: dim, armaDimension: r, x: Float64Array.from(x), P: Float64Array.from(P) };
  }
  return result;
}

/**
 * h-step forecasts from a predicted state: means (of u) and variances in units of σ².
 * Propagates the same transition as the filter. O(h·(r + m)²).
 */
export function forecastState(state: KalmanState, phi: ArrayLike<number>, theta: ArrayLike<number>, delta: ArrayLike<number>, horizon: number): { mean: Float64Array; variance: Float64Array } {
  // Reuse the filter on an all-missing continuation: predictions and covariances follow.
  const dim = state.dimension;
  const r = state.armaDimension;
  const m = delta.length;
  const ph = new Float64Array(r);
  for (let i = 0; i < phi.length; i++) ph[i] = phi[i];
  const R = new Float64Array(r);
  R[0] = 1;
  for (let i = 0; i < theta.length; i++) R[i + 1] = theta[i];
  const x = Float64Array.from(state.x);
  let P = Float64Array.from(state.P);
  let M = new Float64Array(dim * dim);
  const mean = new Float64Array(horizon);
  const variance = new Float64Array(horizon);
  const rows = (src: Float64Array, dst: Float64Array): void => {
    for (let i = 0; i < r; i++) {
      for (let k = 0; k < dim; k++) dst[i * dim + k] = ph[i] * src[k] + (i + 1 < r ? src[(i + 1) * dim + k] : 0);
    }
    if (m > 0) {
      for (let k = 0; k < dim; k++) {
        let s = src[k];
        for (let j = 0; j < m; j++) s += delta[j] * src[(r + j) * dim + k];
        dst[r * dim + k] = s;
      }
      for (let j = m - 1; j >= 1; j--) for (let k = 0; k < dim; k++) dst[(r + j) * dim + k] = src[(r + j - 1) * dim + k];
    }
  };
  for (let h = 0; h < horizon; h++) {
    let z = x[0];
    for (let j = 0; j < m; j++) z += delta[j] * x[r + j];
    mean[h] = z;
    let F = 0;
    // Z P Z'
    for (let a = 0; a < dim; a++) {
      const za = a === 0 ? 1 : a >= r ? delta[a - r] : 0;
      if (za === 0) continue;
      for (let b = 0; b < dim; b++) {
        const zb = b === 0 ? 1 : b >= r ? delta[b - r] : 0;
        if (zb !== 0) F += za * zb * P[a * dim + b];
      }
    }
    variance[h] = F;
    // advance
    const a0 = x[0];
    const next = new Float64Array(dim);
    for (let i = 0; i < r; i++) next[i] = ph[i] * a0 + (i + 1 < r ? x[i + 1] : 0);
    if (m > 0) {
      next[r] = z;
      for (let j = 1; j < m; j++) next[r + j] = x[r + j - 1];
    }
    x.set(next);
    rows(P, M);
    for (let i = 0; i < dim; i++) for (let k = 0; k < dim; k++) P[k * dim + i] = M[i * dim + k];
    rows(P, M);
    const swap = P;
    P = M;
    M = swap;
    for (let i = 0; i < r; i++) for (let k = 0; k < r; k++) P[i * dim + k] += R[i] * R[k];
  }
  return { mean, variance };
}

/**
 * Conditional sum of squares of the ARMA recursion on the differenced series `w`, the first
 * `conditioning` residuals taken as zero (Box & Jenkins; R's `method = "CSS"`). Residuals at
 * missing points count as zero. Returns the sum and the count of residuals used. O(n·(p + q)).
 */
export function conditionalSumSquares(w: ArrayLike<number>, phi: ArrayLike<number>, theta: ArrayLike<number>, conditioning: number, residualsOut?: Float64Array): { sumSquares: number; used: number } {
  const n = w.length;
  const p = phi.length;
  const q = theta.length;
  const e = residualsOut ?? new Float64Array(n);
  e.fill(0, 0, Math.min(conditioning, n));
  let sumSquares = 0;
  let used = 0;
  for (let t = conditioning; t < n; t++) {
    let v = w[t];
    for (let j = 0; j < p; j++) v -= phi[j] * w[t - j - 1];
    for (let j = 0; j < Math.min(q, t); j++) v -= theta[j] * e[t - j - 1];
    if (v === v) {
      e[t] = v;
      sumSquares += v * v;
      used++;
    } else {
      e[t] = 0;
    }
  }
  return { sumSquares, used };
}

/**
 * The likelihood pass of `kalmanFilter` for a stationary ARMA series (no differencing states;
 * pass the differenced series when it has no gaps), specialised for speed: the covariance is kept as its upper triangle and predicted in one
 * sweep through the Lyapunov recursion P⁺ᵢₖ = φᵢ₊₁φₖ₊₁P₀₀ + φᵢ₊₁P₀,ₖ₊₁ + φₖ₊₁P₀,ᵢ₊₁ +
 * Pᵢ₊₁,ₖ₊₁ + θᵢθₖ, about four flops per entry per step.
 */
export function armaFilter(w: ArrayLike<number>, phi: ArrayLike<number>, theta: ArrayLike<number>, options: KalmanOptions = {}): KalmanResult {
  const n = w.length;
  const p = phi.length;
  const q = theta.length;
  const r = Math.max(p, q + 1);
  const ph = new Float64Array(r + 1);
  for (let i = 0; i < p; i++) ph[i] = phi[i];
  const R = new Float64Array(r + 1);
  R[0] = 1;
  for (let i = 0; i < q; i++) R[i + 1] = theta[i];
  const x = new Float64Array(r + 1);
  // (r + 1) × (r + 1) storage with a zero last row and column, so Pᵢ₊₁,ₖ₊₁ needs no bounds test
  const size = r + 1;
  const P = new Float64Array(size * size);
  const P0 = stationaryStateCovariance(phi, theta, r);
  for (let i = 0; i < r; i++) for (let k = 0; k < r; k++) P[i * size + k] = P0[i * r + k];
  const row0 = new Float64Array(size);
  const column = new Float64Array(size);
  const residuals = options.residuals ? new Float64Array(n).fill(NaN) : undefined;
  const predictions = options.residuals ? new Float64Array(n).fill(NaN) : undefined;
  let sumSquares = 0;
  let sumLogVariance = 0;
  let used = 0;
  let steady = false;
  for (let t = 0; t <= n; t++) {
    if (t === n && !options.finalState) break;
    if (t > 0) {
      const a0 = x[0];
      for (let i = 0; i < r; i++) x[i] = ph[i] * a0 + x[i + 1];
      if (!steady) {
        for (let k = 0; k < size; k++) row0[k] = P[k];
        const p00 = row0[0];
        for (let i = 0; i < r; i++) {
          const fi = ph[i];
          const ri = R[i];
          const base = i * size;
          const next = (i + 1) * size + 1;
          const c = fi * p00;
          const r0i = row0[i + 1];
          for (let k = i; k < r; k++) {
            P[base + k] = fi * row0[k + 1] + ph[k] * (c + r0i) + P[next + k] + ri * R[k];
          }
        }
      }
    }
    if (t === n) break;
    const observed = w[t];
    const v = observed - x[0];
    if (predictions) predictions[t] = x[0];
    if (observed !== observed) {
      if (steady) {
        steady = false;
        P.fill(0);
        for (let i = 0; i < r; i++) for (let k = i; k < r; k++) P[i * size + k] = R[i] * R[k];
      }
      continue;
    }
    if (steady) {
      for (let i = 0; i < r; i++) x[i] += R[i] * v;
      sumSquares += v * v;
      used++;
      if (residuals) residuals[t] = v;
      continue;
    }
    const F = P[0];
    if (!(F > 0)) continue;
    // column of P (= first row by symmetry, read from the upper triangle)
    for (let i = 0; i < r; i++) column[i] = P[i];
    const gain = v / F;
    for (let i = 0; i < r; i++) x[i] += column[i] * gain;
    let largest = 0;
    for (let i = 0; i < r; i++) {
      const a = column[i] / F;
      const base = i * size;
      for (let k = i; k < r; k++) {
        const value = P[base + k] - a * column[k];
        P[base + k] = value;
        const abs = value < 0 ? -value : value;
        if (abs > largest) largest = abs;
      }
    }
    sumSquares += v * gain;
    sumLogVariance += Math.log(F);
    used++;
    if (residuals) residuals[t] = v / Math.sqrt(F);
    if (largest < STEADY_TOLERANCE) {
      steady = true;
      P.fill(0);
    }
  }
  const result: KalmanResult = { sumSquares, sumLogVariance, used, firstUsed: 0 };
  if (residuals) result.residuals = residuals;
  if (predictions) result.predictions = predictions;
  if (options.finalState) {
    // x and P now hold the prediction for time n (P as its upper triangle, or zero when steady).
    const full = new Float64Array(r * r);
    for (let i = 0; i < r; i++) {
      for (let k = i; k < r; k++) {
        const v = steady ? R[i] * R[k] : P[i * size + k];
        full[i * r + k] = v;
        full[k * r + i] = v;
      }
    }
    result.finalState = { dimension: r, armaDimension: r, x: x.slice(0, r), P: full };
  }
  return result;
}
