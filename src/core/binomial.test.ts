import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { binomialCdf, binomialInterval, binomialProbability, binomialTest, binomialUpperTail, logGamma, poissonRateTest, regularizedBeta, type Alternative } from './binomial.js';

interface Reference {
  count1: number;
  exposure1: number;
  count2: number;
  exposure2: number;
  ratio: number;
  alternative: Alternative;
  pValue: number;
}

const references = JSON.parse(
  readFileSync(new URL('../../detectors/log-exceptions/fixtures/poisson-test.json', import.meta.url), 'utf8'),
) as Reference[];

describe('poissonRateTest(x1, T1, x2, T2, alternative, ratio)', () => {
  it(`equals R poisson.test p-values to 1e-9 relative on ${references.length} cases`, () => {
    expect(references.length).toBeGreaterThan(80);
    for (const r of references) {
      const p = poissonRateTest(r.count1, r.exposure1, r.count2, r.exposure2, r.alternative, r.ratio).pValue;
      expect(Math.abs(p - r.pValue) / Math.max(r.pValue, 1e-300), JSON.stringify(r)).toBeLessThan(1e-9);
    }
  });

  it('estimates the rate ratio (x1/T1)/(x2/T2)', () => {
    expect(poissonRateTest(10, 60, 2, 120).rateRatio).toBeCloseTo(10, 12);
    expect(poissonRateTest(3, 60, 0, 600).rateRatio).toBe(Infinity);
  });

  it('no events at all gives p = 1', () => {
    expect(poissonRateTest(0, 10, 0, 10, 'greater').pValue).toBe(1);
  });
});

describe('binomial building blocks', () => {
  it('logGamma matches log((n−1)!) and Γ(½) = √π', () => {
    let logFactorial = 0;
    for (let n = 1; n <= 170; n++) {
      expect(logGamma(n)).toBeCloseTo(logFactorial, 10);
      logFactorial += Math.log(n);
    }
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    expect(logGamma(0)).toBeNaN();
  });

  it('binomialCdf and binomialUpperTail sum the probabilities and complement each other', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), fc.integer({ min: 0, max: 60 }), (n, p, k0) => {
        const k = k0 % (n + 1);
        let sum = 0;
        for (let i = 0; i <= k; i++) sum += binomialProbability(i, n, p);
        expect(binomialCdf(k, n, p)).toBeCloseTo(sum, 10);
        expect(binomialCdf(k, n, p) + binomialUpperTail(k, n, p)).toBeCloseTo(1, 12);
      }),
    );
  });

  it('regularizedBeta is symmetric: I_x(a, b) = 1 − I_{1−x}(b, a)', () => {
    expect(regularizedBeta(0.3, 2.5, 7) + regularizedBeta(0.7, 7, 2.5)).toBeCloseTo(1, 13);
    expect(regularizedBeta(0.5, 1, 1)).toBeCloseTo(0.5, 14);
  });

  it('binomialTest two-sided p-value is in [0, 1] and symmetric at p = ½', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 400 }), (n, x0) => {
        const x = x0 % (n + 1);
        const p = binomialTest(x, n, 0.5);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
        expect(p).toBeCloseTo(binomialTest(n - x, n, 0.5), 12);
      }),
    );
  });
});

describe('binomialTest on huge counts', () => {
  it('switches to the normal approximation instead of returning NaN', () => {
    const p = binomialTest(6e14, 1e15, 0.5, 'greater');
    expect(p).toBe(0);
    expect(binomialTest(5e14, 1e15, 0.5)).toBeCloseTo(1, 6);
    expect(poissonRateTest(1.3e154, 60, 1, 120, 'greater').pValue).toBe(0);
  });
});

describe('binomialInterval(x, n, level) — Clopper–Pearson', () => {
  const intervals = JSON.parse(readFileSync(new URL('../replay/fixtures/binom-conf-int.json', import.meta.url), 'utf8')) as { x: number; n: number; level: number; lower: number; upper: number }[];

  it(`equals R binom.test conf.int to 1e-12 on ${intervals.length} cases`, () => {
    expect(intervals.length).toBeGreaterThanOrEqual(48);
    for (const r of intervals) {
      const [lower, upper] = binomialInterval(r.x, r.n, r.level);
      expect(Math.abs(lower - r.lower), JSON.stringify(r)).toBeLessThan(1e-12);
      expect(Math.abs(upper - r.upper), JSON.stringify(r)).toBeLessThan(1e-12);
    }
  });

  it('holds the estimate, widens with the level and is [0, 1] without trials', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.nat(), (n, x0) => {
        const x = x0 % (n + 1);
        const [lo, hi] = binomialInterval(x, n, 0.95);
        expect(lo).toBeGreaterThanOrEqual(0);
        expect(hi).toBeLessThanOrEqual(1);
        expect(lo).toBeLessThanOrEqual(x / n);
        expect(hi).toBeGreaterThanOrEqual(x / n);
        const [lo99, hi99] = binomialInterval(x, n, 0.99);
        expect(lo99).toBeLessThanOrEqual(lo);
        expect(hi99).toBeGreaterThanOrEqual(hi);
      }),
    );
    expect(binomialInterval(0, 0)).toEqual([0, 1]);
    expect(binomialInterval(3, 2)).toEqual([0, 1]);
  });
});
