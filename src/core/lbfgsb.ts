/**
 * Box-constrained limited-memory quasi-Newton minimisation (L-BFGS-B style) with numeric
 * gradients, for fitting smoothing parameters in [0, 1] and similar small bounded problems.
 *
 * The method is the projected variant of L-BFGS (Byrd, Lu, Nocedal & Zhu 1995, "A limited memory
 * algorithm for bound constrained optimization", SIAM J. Sci. Comput. 16(5)): variables sitting on
 * a bound with the gradient pushing outwards are held fixed, the two-loop recursion gives the
 * quasi-Newton direction in the free variables, and a backtracking Armijo search runs along the
 * projected path `clamp(x + t·d)`. It does not compute the generalised Cauchy point of the full
 * algorithm; on the smooth, low-dimensional objectives it is used for this makes no practical
 * difference and keeps the code short. Stopping follows R's `optim(method = "L-BFGS-B")`: relative
 * reduction below `factr · ε`, or the projected gradient's largest entry at most `pgtol`.
 *
 * Cost per iteration: 2·n objective evaluations for the central-difference gradient plus the
 * line search, and O(m·n) arithmetic for memory m.
 */
import type { MinimizeResult } from './optimize.js';

export interface BoxMinimizeOptions {
  /** Lower bounds per coordinate (default −∞ everywhere; `-Infinity` entries allowed). */
  lower?: ArrayLike<number>;
  /** Upper bounds per coordinate (default +∞ everywhere). */
  upper?: ArrayLike<number>;
  /** Number of correction pairs kept (R's `lmm`, default 5). */
  memory?: number;
  /** Relative reduction tolerance in units of machine ε (R's `factr`, default 1e7 ≈ 2.2e-9 relative). */
  factr?: number;
  /** Stop when the projected gradient's largest absolute entry is at most this (default 0: off). */
  pgtol?: number;
  /** Maximum iterations (default 100, as R). */
  maxIterations?: number;
  /** Central-difference step, relative to max(1, |xᵢ|) (default 1e-6). */
  gradientStep?: number;
  /** Analytic gradient; when given, numeric differences are not used. Must fill `out`. */
  gradient?: (x: Float64Array, out: Float64Array) => void;
}

export interface BoxMinimizeResult extends MinimizeResult {
  /** Quasi-Newton iterations taken. */
  iterations: number;
  /** Largest absolute entry of the projected gradient at `x`. */
  projectedGradient: number;
}

const EPSILON = 2.220446049250313e-16;

/**
 * Minimises `f` inside the box `[lower, upper]` from `x0` (clamped into the box first).
 * A non-finite objective value counts as +∞, so the line search backs away from it.
 *
 * @example
 * lbfgsb((x) => (x[0] - 2) ** 2 + (x[1] + 1) ** 2, [0.5, 0.5], { lower: [0, 0], upper: [1, 1] }).x
 * // → Float64Array [1, 0]
 */
export function lbfgsb(f: (x: Float64Array) => number, x0: ArrayLike<number>, options: BoxMinimizeOptions = {}): BoxMinimizeResult {
  const n = x0.length;
  const lower = new Float64Array(n).fill(-Infinity);
  const upper = new Float64Array(n).fill(Infinity);
  if (options.lower) for (let j = 0; j < n; j++) lower[j] = options.lower[j];
  if (options.upper) for (let j = 0; j < n; j++) upper[j] = options.upper[j];
  const memory = Math.max(1, options.memory ?? 5);
  const tolerance = (options.factr ?? 1e7) * EPSILON;
  const pgtol = options.pgtol ?? 0;
  const maxIterations = options.maxIterations ?? 100;
  const relativeStep = options.gradientStep ?? 1e-6;

  let evaluations = 0;
  const evaluate = (x: Float64Array): number => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  const clampInto = (x: Float64Array): void => {
    for (let j = 0; j < n; j++) x[j] = Math.min(upper[j], Math.max(lower[j], x[j]));
  };
  const probe = new Float64Array(n);
  const gradientAt = (x: Float64Array, out: Float64Array): void => {
    if (options.gradient) {
      options.gradient(x, out);
      return;
    }
    probe.set(x);
    for (let j = 0; j < n; j++) {
      const h = relativeStep * Math.max(1, Math.abs(x[j]));
      const forward = Math.min(upper[j], x[j] + h);
      const backward = Math.max(lower[j], x[j] - h);
      probe[j] = forward;
      const fp = evaluate(probe);
      probe[j] = backward;
      const fm = evaluate(probe);
      probe[j] = x[j];
      const span = forward - backward;
      out[j] = span > 0 && Number.isFinite(fp) && Number.isFinite(fm) ? (fp - fm) / span : 0;
    }
  };

  const x = Float64Array.from(x0);
  clampInto(x);
  let fx = evaluate(x);
  const g = new Float64Array(n);
  gradientAt(x, g);

  const sHistory: Float64Array[] = [];
  const yHistory: Float64Array[] = [];
  const rhoHistory: number[] = [];
  const direction = new Float64Array(n);
  const candidate = new Float64Array(n);
  const gNew = new Float64Array(n);
  const free = new Uint8Array(n);
  const alphas = new Float64Array(memory);

  const projectedNorm = (): number => {
    let m = 0;
    for (let j = 0; j < n; j++) {
      let pg = g[j];
      if (x[j] <= lower[j] && pg > 0) pg = 0;
      if (x[j] >= upper[j] && pg < 0) pg = 0;
      m = Math.max(m, Math.abs(pg));
    }
    return m;
  };

  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    if (!Number.isFinite(fx)) break;
    const pgNorm = projectedNorm();
    if (pgNorm <= pgtol) {
      converged = true;
      break;
    }
    iterations++;
    for (let j = 0; j < n; j++) free[j] = (x[j] <= lower[j] && g[j] > 0) || (x[j] >= upper[j] && g[j] < 0) ? 0 : 1;

    // Two-loop recursion on the free coordinates only.
    for (let j = 0; j < n; j++) direction[j] = free[j] ? -g[j] : 0;
    const k = sHistory.length;
    for (let i = k - 1; i >= 0; i--) {
      const s = sHistory[i];
      const y = yHistory[i];
      let dot = 0;
      for (let j = 0; j < n; j++) if (free[j]) dot += s[j] * direction[j];
      alphas[i] = rhoHistory[i] * dot;
      for (let j = 0; j < n; j++) if (free[j]) direction[j] -= alphas[i] * y[j];
    }
    if (k > 0) {
      const s = sHistory[k - 1];
      const y = yHistory[k - 1];
      let sy = 0;
      let yy = 0;
      for (let j = 0; j < n; j++) {
        sy += s[j] * y[j];
        yy += y[j] * y[j];
      }
      const scale = yy > 0 ? sy / yy : 1;
      for (let j = 0; j < n; j++) direction[j] *= scale;
    }
    for (let i = 0; i < k; i++) {
      const s = sHistory[i];
      const y = yHistory[i];
      let dot = 0;
      for (let j = 0; j < n; j++) if (free[j]) dot += y[j] * direction[j];
      const beta = rhoHistory[i] * dot;
      for (let j = 0; j < n; j++) if (free[j]) direction[j] += (alphas[i] - beta) * s[j];
    }
    let slope = 0;
    for (let j = 0; j < n; j++) slope += direction[j] * g[j];
    if (!(slope < 0)) {
      // Memory no longer describes the curvature: fall back to steepest descent.
      sHistory.length = yHistory.length = rhoHistory.length = 0;
      for (let j = 0; j < n; j++) direction[j] = free[j] ? -g[j] : 0;
      slope = 0;
      for (let j = 0; j < n; j++) slope += direction[j] * g[j];
      if (!(slope < 0)) {
        converged = true;
        break;
      }
    }

    let step = 1;
    if (sHistory.length === 0) {
      let dMax = 0;
      for (let j = 0; j < n; j++) dMax = Math.max(dMax, Math.abs(direction[j]));
      step = dMax > 0 ? Math.min(1, 1 / dMax) : 1;
    }
    let fCandidate = Infinity;
    let accepted = false;
    for (let tries = 0; tries < 40; tries++) {
      for (let j = 0; j < n; j++) candidate[j] = x[j] + step * direction[j];
      clampInto(candidate);
      let decrease = 0;
      for (let j = 0; j < n; j++) decrease += g[j] * (candidate[j] - x[j]);
      fCandidate = evaluate(candidate);
      if (fCandidate <= fx + 1e-4 * decrease) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted || fCandidate >= fx) {
      if (sHistory.length > 0) {
        sHistory.length = yHistory.length = rhoHistory.length = 0;
        continue;
      }
      converged = true;
      break;
    }

    gradientAt(candidate, gNew);
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    let sy = 0;
    let yy = 0;
    for (let j = 0; j < n; j++) {
      s[j] = candidate[j] - x[j];
      y[j] = gNew[j] - g[j];
      sy += s[j] * y[j];
      yy += y[j] * y[j];
    }
    const previous = fx;
    x.set(candidate);
    g.set(gNew);
    fx = fCandidate;
    if (sy > EPSILON * yy) {
      if (sHistory.length === memory) {
        sHistory.shift();
        yHistory.shift();
        rhoHistory.shift();
      }
      sHistory.push(s);
      yHistory.push(y);
      rhoHistory.push(1 / sy);
    }
    if (previous - fx <= tolerance * Math.max(Math.abs(previous), Math.abs(fx), 1)) {
      converged = true;
      break;
    }
  }
  return { x, value: fx, evaluations, converged, iterations, projectedGradient: projectedNorm() };
}
