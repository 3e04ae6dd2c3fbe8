import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { reanchor } from './local-trend.js';

const arr = (a: ArrayLike<number>): number[] => Array.from(a);

describe('reanchor(forecast, observedBefore, options)', () => {
  it('shifts by the median residual of the last points, ignoring a spike', () => {
    const result = reanchor([100, 100], { predicted: [90, 90, 90], actual: [95, 96, 200] }, { points: 3 });
    expect(result).toEqual({ forecast: Float64Array.of(106, 106), shift: 6, used: 3, applied: true });
  });

  it('uses only the last `points` observations; an even count takes the middle pair', () => {
    const observed = { predicted: [0, 0, 0, 0, 0, 0], actual: [50, 50, 1, 2, 3, 4] };
    expect(reanchor([10], observed, { points: 4 }).shift).toBe(2.5);
    expect(reanchor([10], observed, { points: 4, method: 'mean' }).shift).toBe(2.5);
    expect(reanchor([10], observed, { points: 6, method: 'mean' }).shift).toBeCloseTo(110 / 6, 12);
  });

  it('decays the shift with the half-life', () => {
    const result = reanchor([0, 0, 0, 0, 0], { predicted: [0, 0], actual: [8, 8] }, { points: 2, halfLife: 2 });
    expect(arr(result.forecast)).toEqual([8, expect.closeTo(8 * Math.SQRT1_2, 12), expect.closeTo(4, 12), expect.closeTo(4 * Math.SQRT1_2, 12), expect.closeTo(2, 12)]);
  });

  it('skips missing observations and refuses with a reason when too few remain', () => {
    const thin = reanchor([5, 6], { predicted: [1, 1, 1, 1], actual: [NaN, 4, NaN, NaN] }, { points: 4 });
    expect(thin.applied).toBe(false);
    expect(thin.shift).toBe(0);
    expect(thin.used).toBe(1);
    expect(thin.reason).toBe('1 present residuals in the last 4 observations, need 2');
    expect(arr(thin.forecast)).toEqual([5, 6]);
    const enough = reanchor([5, 6], { predicted: [1, 1, 1, 1], actual: [NaN, 4, NaN, NaN] }, { points: 4, minPoints: 1 });
    expect(arr(enough.forecast)).toEqual([8, 9]);
    expect(reanchor([1], { predicted: [], actual: [] }).applied).toBe(false);
  });

  it('rejects bad options and mismatched observations', () => {
    expect(() => reanchor([1], { predicted: [1], actual: [1] }, { points: 0 })).toThrow(/points/);
    expect(() => reanchor([1], { predicted: [1], actual: [1] }, { halfLife: -1 })).toThrow(/halfLife/);
    expect(() => reanchor([1], { predicted: [1, 2], actual: [1] })).toThrow(/^observedBefore\.actual: /);
  });

  it('property: never throws; a shift applies, shifting every point by at most |shift|', () => {
    const values = fc.array(fc.oneof({ weight: 4, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) }, { weight: 1, arbitrary: fc.constant(NaN) }), { maxLength: 30 });
    fc.assert(
      fc.property(values, values, values, fc.integer({ min: 1, max: 12 }), fc.option(fc.double({ min: 0.1, max: 50, noNaN: true }), { nil: undefined }), (forecast, predicted, actual, points, halfLife) => {
        const n = Math.min(predicted.length, actual.length);
        const result = reanchor(forecast, { predicted: predicted.slice(0, n), actual: actual.slice(0, n) }, { points, halfLife });
        expect(Number.isFinite(result.shift)).toBe(true);
        for (let h = 0; h < forecast.length; h++) {
          if (Number.isNaN(forecast[h])) expect(result.forecast[h]).toBeNaN();
          else expect(Math.abs(result.forecast[h] - forecast[h])).toBeLessThanOrEqual(Math.abs(result.shift) * (1 + 1e-12) + 1e-9);
        }
      }),
    );
  });

  it('property: a constant level error is removed exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 3, maxLength: 20 }), fc.integer({ min: -500, max: 500 }), (truth, error) => {
        const predicted = truth.map((x) => x - error);
        expect(reanchor([0], { predicted, actual: truth }, { points: 5 }).shift).toBe(error);
      }),
    );
  });
});
