/**
 * Derivative-free and quasi-Newton minimisation shared by the model-fitting detectors.
 * Pure functions: the objective is called synchronously and nothing else is touched.
 */

export interface MinimizeResult {
  /** Arg-min found. */
  x: Float64Array;
  /** Objective at `x`. */
  value: number;
  /** Objective evaluations used. */
  evaluations: number;
  /** True when the tolerance was met before the evaluation budget ran out. */
  converged: boolean;
}

export interface NelderMeadOptions {
  /** Lower bounds per coordinate (default −∞). Points are clamped into the box. */
  lower?: ArrayLike<number>;
  /** Upper bounds per coordinate (default +∞). */
  upper?: ArrayLike<number>;
  /** Initial simplex edge per coordinate, absolute (default 10 % of |x0|, at least 0.05). */
  initialStep?: ArrayLike<number>;
  /** Stop when the spread of objective values over the simplex is below this relative tolerance (default 1e-10)… */
  tolerance?: number;
  /**
   * …and the simplex is no wider than this, relative to 1 + |x| per coordinate (default 1e-7).
   * Both must hold: values alone stop early on a simplex straddling the minimum symmetrically.
   */
  xTolerance?: number;
  /** Maximum objective evaluations (default 200 × dimension, at least 500). */
  maxEvaluations?: number;
}

/** Largest coordinate distance from the best vertex, relative to 1 + |best coordinate|. */
function width(simplex: Float64Array[], best: number): number {
  let w = 0;
  const b = simplex[best];
  for (let i = 0; i < simplex.length; i++) {
    if (i === best) continue;
    for (let j = 0; j < b.length; j++) w = Math.max(w, Math.abs(simplex[i][j] - b[j]) / (1 + Math.abs(b[j])));
  }
  return w;
}

/**
 * Nelder–Mead simplex minimisation (Nelder & Mead 1965, with the standard reflection 1,
 * expansion 2, contraction ½ and shrink ½ coefficients), kept inside box bounds by clamping.
 * A non-finite objective value is treated as +∞, so the simplex walks away from it.
 * Cost: one to n + 2 evaluations per iteration for dimension n.
 */
export function nelderMead(f: (x: Float64Array) => number, x0: ArrayLike<number>, options: NelderMeadOptions = {}): MinimizeResult {
  const n = x0.length;
  const lower = options.lower;
  const upper = options.upper;
  const tol = options.tolerance ?? 1e-10;
  const xTol = options.xTolerance ?? 1e-7;
  const maxEval = options.maxEvaluations ?? Math.max(500, 200 * n);
  let evaluations = 0;
  const clamp = (x: Float64Array): Float64Array => {
    for (let j = 0; j < n; j++) {
      if (lower && x[j] < lower[j]) x[j] = lower[j];
      if (upper && x[j] > upper[j]) x[j] = upper[j];
    }
    return x;
  };
  const evaluate = (x: Float64Array): number => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };

  const simplex: Float64Array[] = [];
  const values = new Float64Array(n + 1);
  simplex.push(clamp(Float64Array.from(x0)));
  values[0] = evaluate(simplex[0]);
  for (let j = 0; j < n; j++) {
    const p = Float64Array.from(simplex[0]);
    const step = options.initialStep?.[j] ?? Math.max(0.05, 0.1 * Math.abs(p[j]));
    p[j] += step;
    clamp(p);
    if (p[j] === simplex[0][j]) p[j] -= 2 * step; // at an upper bound: step the other way
    clamp(p);
    simplex.push(p);
    values[j + 1] = evaluate(p);
  }

  const order = new Int32Array(n + 1);
  const centroid = new Float64Array(n);
  const trial = new Float64Array(n);
  const trial2 = new Float64Array(n);
  let converged = false;
  while (evaluations < maxEval) {
    for (let i = 0; i <= n; i++) order[i] = i;
    order.sort((a, b) => values[a] - values[b]);
    const best = order[0];
    const worst = order[n];
    const secondWorst = order[n - 1];
    const spread = Math.abs(values[worst] - values[best]);
    if (spread <= tol * (Math.abs(values[best]) + tol) && width(simplex, best) <= xTol) {
      converged = true;
      break;
    }
    centroid.fill(0);
    for (let i = 0; i <= n; i++) {
      if (i === worst) continue;
      for (let j = 0; j < n; j++) centroid[j] += simplex[i][j] / n;
    }
    for (let j = 0; j < n; j++) trial[j] = centroid[j] + (centroid[j] - simplex[worst][j]);
    clamp(trial);
    const fr = evaluate(trial);
    if (fr < values[best]) {
      for (let j = 0; j < n; j++) trial2[j] = centroid[j] + 2 * (centroid[j] - simplex[worst][j]);
      clamp(trial2);
      const fe = evaluate(trial2);
      if (fe < fr) {
        simplex[worst].set(trial2);
        values[worst] = fe;
      } else {
        simplex[worst].set(trial);
        values[worst] = fr;
      }
      continue;
    }
    if (fr < values[secondWorst]) {
      simplex[worst].set(trial);
      values[worst] = fr;
      continue;
    }
    // Contract towards the better of the worst point and its reflection.
    const outside = fr < values[worst];
    for (let j = 0; j < n; j++) {
      const from = outside ? trial[j] : simplex[worst][j];
      trial2[j] = centroid[j] + 0.5 * (from - centroid[j]);
    }
    clamp(trial2);
    const fc = evaluate(trial2);
    if (fc < Math.min(fr, values[worst])) {
      simplex[worst].set(trial2);
      values[worst] = fc;
      continue;
    }
    for (let i = 0; i <= n; i++) {
      if (i === best) continue;
      for (let j = 0; j < n; j++) simplex[i][j] = simplex[best][j] + 0.5 * (simplex[i][j] - simplex[best][j]);
      clamp(simplex[i]);
      values[i] = evaluate(simplex[i]);
    }
  }
  let bestIndex = 0;
  for (let i = 1; i <= n; i++) if (values[i] < values[bestIndex]) bestIndex = i;
  return { x: Float64Array.from(simplex[bestIndex]), value: values[bestIndex], evaluations, converged };
}

export interface BfgsOptions {
  /** Gradient, when known; otherwise central differences with `gradientStep` are used. */
  gradient?: (x: Float64Array) => Float64Array;
  /** Central-difference step per coordinate, absolute (default 1e-4, as a compromise between truncation and rounding). */
  gradientStep?: number;
  /** Stop when an iteration lowers the objective by less than this, relative (default 1e-10). */
  relativeTolerance?: number;
  /** Maximum iterations (default 200). */
  maxIterations?: number;
}

/**
 * Quasi-Newton minimisation by BFGS with a backtracking (Armijo) line search and a restart
 * from the identity whenever the update loses positive curvature — the variable-metric method
 * of Nash (1990, Algorithm 21) that R's `optim(method = "BFGS")` implements. Without an
 * analytic gradient it uses central differences (2n evaluations per gradient). A non-finite
 * objective value counts as +∞, so line searches back away from infeasible points.
 * Cost per iteration: one gradient, a few objective evaluations and O(n²) arithmetic.
 */
export function bfgs(f: (x: Float64Array) => number, x0: ArrayLike<number>, options: BfgsOptions = {}): MinimizeResult {
  const n = x0.length;
  const step = options.gradientStep ?? 1e-4;
  const tolerance = options.relativeTolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? 200;
  let evaluations = 0;
  const evaluate = (x: Float64Array): number => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  const probe = new Float64Array(n);
  const numericGradient = (x: Float64Array, fx: number): Float64Array => {
    const g = new Float64Array(n);
    probe.set(x);
    for (let j = 0; j < n; j++) {
      probe[j] = x[j] + step;
      const up = evaluate(probe);
      probe[j] = x[j] - step;
      const down = evaluate(probe);
      probe[j] = x[j];
      if (Number.isFinite(up) && Number.isFinite(down)) g[j] = (up - down) / (2 * step);
      else if (Number.isFinite(up)) g[j] = (up - fx) / step;
      else if (Number.isFinite(down)) g[j] = (fx - down) / step;
      else g[j] = 0;
    }
    return g;
  };
  const gradient = options.gradient ?? null;
  let x = Float64Array.from(x0);
  let fx = evaluate(x);
  if (n === 0 || !Number.isFinite(fx)) return { x, value: fx, evaluations, converged: n === 0 };
  let g = gradient ? gradient(x) : numericGradient(x, fx);
  const H = new Float64Array(n * n);
  const resetH = () => {
    H.fill(0);
    for (let j = 0; j < n; j++) H[j * n + j] = 1;
  };
  resetH();
  const direction = new Float64Array(n);
  const candidate = new Float64Array(n);
  const s = new Float64Array(n);
  const y = new Float64Array(n);
  const Hy = new Float64Array(n);
  let converged = false;
  let freshReset = true;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    let slope = 0;
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let j = 0; j < n; j++) v -= H[i * n + j] * g[j];
      direction[i] = v;
      slope += v * g[i];
    }
    if (!(slope < 0)) {
      if (freshReset) {
        converged = true;
        break;
      }
      resetH();
      freshReset = true;
      continue;
    }
    let length = 1;
    let fNew = Infinity;
    let moved = false;
    for (let tries = 0; tries < 60; tries++) {
      let changed = false;
      for (let i = 0; i < n; i++) {
        candidate[i] = x[i] + length * direction[i];
        if (candidate[i] !== x[i]) changed = true;
      }
      if (!changed) break;
      fNew = evaluate(candidate);
      if (fNew <= fx + 1e-4 * length * slope) {
        moved = true;
        break;
      }
      length *= 0.2;
    }
    if (!moved) {
      if (freshReset) {
        converged = true;
        break;
      }
      resetH();
      freshReset = true;
      continue;
    }
    const gNew = gradient ? gradient(candidate) : numericGradient(candidate, fNew);
    const improvement = fx - fNew;
    for (let i = 0; i < n; i++) {
      s[i] = candidate[i] - x[i];
      y[i] = gNew[i] - g[i];
    }
    x = Float64Array.from(candidate);
    fx = fNew;
    g = gNew;
    if (improvement <= tolerance * (Math.abs(fx) + tolerance)) {
      converged = true;
      break;
    }
    let sy = 0;
    for (let i = 0; i < n; i++) sy += s[i] * y[i];
    if (sy > 0) {
      let yHy = 0;
      for (let i = 0; i < n; i++) {
        let v = 0;
        for (let j = 0; j < n; j++) v += H[i * n + j] * y[j];
        Hy[i] = v;
        yHy += v * y[i];
      }
      const factor = (1 + yHy / sy) / sy;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) H[i * n + j] += factor * s[i] * s[j] - (Hy[i] * s[j] + s[i] * Hy[j]) / sy;
      }
      freshReset = false;
    } else {
      resetH();
      freshReset = true;
    }
  }
  return { x, value: fx, evaluations, converged };
}
