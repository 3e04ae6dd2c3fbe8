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
  /** Stop when the spread of objective values over the simplex is below this relative tolerance (default 1e-10). */
  tolerance?: number;
  /** Maximum objective evaluations (default 200 × dimension, at least 500). */
  maxEvaluations?: number;
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
    if (spread <= tol * (Math.abs(values[best]) + tol)) {
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
