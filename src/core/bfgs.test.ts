import { describe, expect, it } from 'vitest';
import { bfgs } from './optimize.js';

describe('bfgs(f, x0, options)', () => {
  it('minimises the Rosenbrock function from (−1.2, 1) to (1, 1) with numerical gradients', () => {
    const rosenbrock = (x: Float64Array) => 100 * (x[1] - x[0] * x[0]) ** 2 + (1 - x[0]) ** 2;
    const result = bfgs(rosenbrock, [-1.2, 1], { maxIterations: 500 });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 3);
    expect(result.x[1]).toBeCloseTo(1, 3);
    expect(result.value).toBeLessThan(1e-7);
  });
  it('uses an analytic gradient when given one, and finds a quadratic minimum exactly', () => {
    let gradients = 0;
    const f = (x: Float64Array) => (x[0] - 3) ** 2 + 10 * (x[1] + 2) ** 2 + (x[0] - 3) * (x[1] + 2);
    const gradient = (x: Float64Array) => {
      gradients++;
      return Float64Array.of(2 * (x[0] - 3) + (x[1] + 2), 20 * (x[1] + 2) + (x[0] - 3));
    };
    const result = bfgs(f, [0, 0], { gradient });
    expect(result.x[0]).toBeCloseTo(3, 6);
    expect(result.x[1]).toBeCloseTo(-2, 6);
    expect(gradients).toBeGreaterThan(0);
    expect(gradients).toBeLessThan(30);
  });
  it('backs away from points where the objective is not finite', () => {
    // log barrier: undefined for x ≤ 0, minimum at x = 1
    const f = (x: Float64Array) => (x[0] > 0 ? x[0] - Math.log(x[0]) : NaN);
    const result = bfgs(f, [5]);
    expect(result.x[0]).toBeCloseTo(1, 4);
    expect(Number.isFinite(result.value)).toBe(true);
  });
  it('returns the start unchanged for a zero-dimensional problem or a non-finite start', () => {
    expect(bfgs(() => 4, []).value).toBe(4);
    const stuck = bfgs(() => NaN, [1, 2]);
    expect(Array.from(stuck.x)).toEqual([1, 2]);
    expect(stuck.value).toBe(Infinity);
  });
});
