import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { countFinite, erfc, finiteValues, nanMad, nanMean, nanMedian, nanQuantile, nanStd, nanVariance, pnorm, pnormUpper, qnorm, quantileSorted, sortedFinite } from './stats.js';

// Reference values from R 4.2: pnorm(), qnorm(), quantile(type = 7), var(), mad().
const sample = [3, 1, 4, 1, 5, 9, 2, 6];

describe('nan-aware moments', () => {
  it('nanMean, nanVariance and nanStd skip NaN and infinities', () => {
    const withGaps = [3, NaN, 1, 4, Infinity, 1, 5, 9, -Infinity, 2, 6];
    expect(nanMean(withGaps)).toBeCloseTo(31 / 8, 14);
    expect(nanVariance(withGaps)).toBeCloseTo(7.5535714285714288, 13);
    expect(nanStd(withGaps)).toBeCloseTo(Math.sqrt(7.5535714285714288), 13);
  });

  it('returns NaN when there is too little data', () => {
    expect(nanMean([])).toBeNaN();
    expect(nanMean([NaN, NaN])).toBeNaN();
    expect(nanVariance([1])).toBeNaN();
    expect(nanVariance([NaN, 2, NaN])).toBeNaN();
    expect(nanMedian([])).toBeNaN();
    expect(nanMad([NaN])).toBeNaN();
  });

  it('nanVariance stays exact far from zero (Welford, no cancellation)', () => {
    const shifted = sample.map((v) => v + 1e9);
    expect(nanVariance(shifted)).toBeCloseTo(7.5535714285714288, 6);
  });
});

describe('finite values', () => {
  it('countFinite counts what finiteValues keeps, in order, for any mix of NaN and infinities', () => {
    const value = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 0, -0));
    fc.assert(fc.property(fc.array(value, { maxLength: 50 }), (xs) => {
      const kept = finiteValues(xs);
      expect(countFinite(xs)).toBe(kept.length);
      expect(Array.from(kept)).toEqual(xs.filter(Number.isFinite));
    }));
  });
});

describe('quantiles', () => {
  it('quantileSorted is R type 7', () => {
    const sorted = sortedFinite(sample);
    expect(Array.from(sorted)).toEqual([1, 1, 2, 3, 4, 5, 6, 9]);
    expect(quantileSorted(sorted, 0.1)).toBeCloseTo(1, 14);
    expect(quantileSorted(sorted, 0.25)).toBeCloseTo(1.75, 14);
    expect(quantileSorted(sorted, 0.95)).toBeCloseTo(7.9499999999999984, 13);
    expect(quantileSorted(sorted, 0)).toBe(1);
    expect(quantileSorted(sorted, 1)).toBe(9);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it('nanMedian and nanMad match R', () => {
    expect(nanMedian([...sample, NaN])).toBe(3.5);
    expect(nanMad(sample)).toBeCloseTo(2.9652, 12);
    expect(nanQuantile([NaN, 5], 0.3)).toBe(5);
  });

  it('sortedFinite sorts numerically, not as text', () => {
    expect(Array.from(sortedFinite([10, 9, -1, 100, NaN]))).toEqual([-1, 9, 10, 100]);
  });
});

describe('normal distribution', () => {
  it('pnorm matches R to 1e-15 relative', () => {
    const cases: [number, number][] = [
      [-3, 1.3498980316300946e-3],
      [-1.5, 6.6807201268858071e-2],
      [0, 0.5],
      [0.5, 6.9146246127401301e-1],
      [1.96, 9.7500210485177963e-1],
      [4.5, 9.9999660232687526e-1],
      [-8, 6.2209605742717849e-16],
    ];
    for (const [x, p] of cases) expect(Math.abs(pnorm(x) - p) / p).toBeLessThan(1e-14);
  });

  it('pnormUpper keeps precision in the far tail', () => {
    expect(Math.abs(pnormUpper(8) - 6.2209605742717849e-16) / 6.2209605742717849e-16).toBeLessThan(1e-13);
    expect(pnormUpper(NaN)).toBeNaN();
  });

  it('qnorm matches R', () => {
    const cases: [number, number][] = [
      [1e-10, -6.3613409024040557],
      [0.025, -1.95996398454005383],
      [0.3, -0.52440051270804067],
      [0.5, 0],
      [0.975, 1.95996398454005361],
      [0.999999, 4.75342430881708911],
    ];
    for (const [p, x] of cases) expect(qnorm(p)).toBeCloseTo(x, 13);
    expect(qnorm(0)).toBe(-Infinity);
    expect(qnorm(1)).toBe(Infinity);
    expect(qnorm(1.5)).toBeNaN();
    expect(qnorm(NaN)).toBeNaN();
  });

  it('qnorm inverts pnorm where p carries the precision (upper tail loses digits to 1 − p)', () => {
    fc.assert(
      fc.property(fc.double({ min: -8, max: 4, noNaN: true }), (x) => {
        expect(qnorm(pnorm(x))).toBeCloseTo(x, 7);
      }),
    );
  });

  it('erfc is symmetric: erfc(−x) = 2 − erfc(x)', () => {
    fc.assert(
      fc.property(fc.double({ min: -6, max: 6, noNaN: true }), (x) => {
        expect(erfc(-x)).toBeCloseTo(2 - erfc(x), 14);
      }),
    );
  });
});
