import { describe, expect, it } from 'vitest';
import { lbfgsb } from './lbfgsb.js';

describe('lbfgsb(f, x0, { lower, upper })', () => {
  it('finds an interior minimum of a quadratic', () => {
    const r = lbfgsb((x) => (x[0] - 0.3) ** 2 + 10 * (x[1] - 0.7) ** 2 + (x[0] - 0.3) * (x[1] - 0.7), [0.9, 0.1], { lower: [0, 0], upper: [1, 1] });
    expect(r.x[0]).toBeCloseTo(0.3, 5);
    expect(r.x[1]).toBeCloseTo(0.7, 5);
    expect(r.converged).toBe(true);
  });

  it('stops on the bounds when the unconstrained minimum lies outside the box', () => {
    const r = lbfgsb((x) => (x[0] - 2) ** 2 + (x[1] + 1) ** 2 + (x[2] - 0.5) ** 2, [0.5, 0.5, 0.1], { lower: [0, 0, 0], upper: [1, 1, 1] });
    expect(Array.from(r.x).map((v) => Number(v.toFixed(6)))).toEqual([1, 0, 0.5]);
    expect(r.value).toBeCloseTo(2, 9);
  });

  it('minimises the Rosenbrock function from the classic start', () => {
    const rosenbrock = (x: Float64Array) => 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2;
    const r = lbfgsb(rosenbrock, [-1.2, 1], { lower: [-2, -2], upper: [2, 2], maxIterations: 500, factr: 10 });
    expect(r.x[0]).toBeCloseTo(1, 3);
    expect(r.x[1]).toBeCloseTo(1, 3);
  });

  it('treats a non-finite objective as +∞ and stays in the box', () => {
    const r = lbfgsb((x) => (x[0] < 0.2 ? NaN : (x[0] - 0.1) ** 2), [0.9], { lower: [0], upper: [1] });
    expect(r.x[0]).toBeGreaterThanOrEqual(0.2);
    expect(r.x[0]).toBeLessThan(0.21);
    expect(Number.isFinite(r.value)).toBe(true);
  });

  it('uses an analytic gradient when given one', () => {
    let evaluations = 0;
    const r = lbfgsb(
      (x) => {
        evaluations++;
        return (x[0] - 3) ** 2;
      },
      [0],
      { gradient: (x, out) => void (out[0] = 2 * (x[0] - 3)) },
    );
    expect(r.x[0]).toBeCloseTo(3, 9);
    expect(evaluations).toBeLessThan(10);
  });
});
