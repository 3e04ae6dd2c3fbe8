import { describe, expect, it } from 'vitest';
import { nelderMead } from './optimize.js';

describe('nelderMead(f, x0, options)', () => {
  it('finds the minimum of a shifted quadratic', () => {
    const result = nelderMead((x) => (x[0] - 3) ** 2 + 2 * (x[1] + 1) ** 2 + 5, [0, 0]);
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(3, 3);
    expect(result.x[1]).toBeCloseTo(-1, 3);
    expect(result.value).toBeCloseTo(5, 6);
  });

  it('finds the Rosenbrock valley floor at (1, 1)', () => {
    const rosenbrock = (x: Float64Array): number => 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2;
    const result = nelderMead(rosenbrock, [-1.2, 1], { maxEvaluations: 5000, tolerance: 1e-14 });
    expect(result.x[0]).toBeCloseTo(1, 2);
    expect(result.x[1]).toBeCloseTo(1, 2);
  });

  it('stays inside box bounds and stops at the bound nearest the free minimum', () => {
    const result = nelderMead((x) => (x[0] - 5) ** 2, [0.5], { lower: [0], upper: [1] });
    expect(result.x[0]).toBeGreaterThanOrEqual(0);
    expect(result.x[0]).toBeLessThanOrEqual(1);
    expect(result.x[0]).toBeCloseTo(1, 6);
  });

  it('walks away from non-finite objective values', () => {
    const result = nelderMead((x) => (x[0] < 0 || x[1] < 0 ? NaN : (x[0] - 2) ** 2 + (x[1] - 0.5) ** 2), [0.2, 0.1]);
    expect(result.x[0]).toBeCloseTo(2, 3);
    expect(result.x[1]).toBeCloseTo(0.5, 3);
    expect(Number.isFinite(result.value)).toBe(true);
  });

  // Judging convergence on the spread of objective values alone stops a simplex that straddles
  // the minimum symmetrically (1.9 and 2.1 both give 0.01); the simplex size must shrink too.
  it('does not stop on a simplex that straddles the minimum symmetrically (1-D)', () => {
    const result = nelderMead((x) => (x[0] - 2) ** 2, [1]);
    expect(result.x[0]).toBeCloseTo(2, 3);
  });

  it('respects the evaluation budget', () => {
    const result = nelderMead((x) => x[0] ** 2 + x[1] ** 2, [10, 10], { maxEvaluations: 20 });
    expect(result.evaluations).toBeLessThanOrEqual(22);
    expect(result.converged).toBe(false);
  });
});
