import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { averageRanks, brentRoot, hodgesLehmann, mannWhitney, pwilcox, qwilcox, wilcoxonCounts, type Alternative } from './mann-whitney.js';

interface Fixture {
  name: string;
  x: number[];
  y: number[];
  alternative: Alternative;
  confLevel: number;
  correct: boolean;
  ties: boolean;
  method: 'exact' | 'normal';
  statistic: number;
  pValue: number;
  estimate: number;
  confInt: [number | string, number | string];
  achievedConfLevel: number;
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/wilcox-test.json', import.meta.url), 'utf8')) as Fixture[];
// jsonlite writes infinite interval ends as strings.
const toNumber = (v: number | string): number => (typeof v === 'number' ? v : v === '-Inf' ? -Infinity : v === 'Inf' ? Infinity : NaN);
const within = (actual: number, expected: number, tolerance: number) => (expected === actual ? true : Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)));

describe('mannWhitney(x, y, options) against R wilcox.test(conf.int = TRUE)', () => {
  it('covers exact and normal cases, with and without ties', () => {
    expect(fixtures.some((f) => f.method === 'exact')).toBe(true);
    expect(fixtures.some((f) => f.method === 'normal' && f.ties)).toBe(true);
    expect(fixtures.some((f) => f.method === 'normal' && !f.ties)).toBe(true);
  });

  for (const f of fixtures) {
    it(`${f.name}: statistic, p-value within 1e-9, estimate and interval equal`, () => {
      const result = mannWhitney(f.x, f.y, { alternative: f.alternative, confLevel: f.confLevel, correct: f.correct });
      expect(result.method).toBe(f.method);
      expect(result.ties).toBe(f.ties);
      expect(result.statistic).toBe(f.statistic);
      expect(Math.abs(result.pValue - f.pValue)).toBeLessThanOrEqual(1e-9);
      expect(within(result.estimate, f.estimate, 1e-9)).toBe(true);
      expect(within(result.confInt[0], toNumber(f.confInt[0]), 1e-9)).toBe(true);
      expect(within(result.confInt[1], toNumber(f.confInt[1]), 1e-9)).toBe(true);
      expect(result.confLevel).toBeCloseTo(f.achievedConfLevel, 12);
    });
  }
});

interface ScipyFixture {
  name: string;
  x: number[];
  y: number[];
  alternative: Alternative;
  method: 'exact' | 'normal';
  ties: boolean;
  statistic: number;
  pValue: number;
}

const scipyFixtures = JSON.parse(readFileSync(new URL('./fixtures/mannwhitneyu.json', import.meta.url), 'utf8')) as ScipyFixture[];

describe('mannWhitney(x, y, options) against SciPy mannwhitneyu (same method forced)', () => {
  for (const f of scipyFixtures) {
    it(`${f.name}: U and p-value within 1e-9`, () => {
      const result = mannWhitney(f.x, f.y, { alternative: f.alternative, exact: f.method === 'exact' });
      expect(result.method).toBe(f.method);
      expect(result.ties).toBe(f.ties);
      expect(result.statistic).toBe(f.statistic);
      expect(Math.abs(result.pValue - f.pValue)).toBeLessThanOrEqual(1e-9);
    });
  }
});

describe('Wilcoxon distribution', () => {
  it('wilcoxonCounts sums to C(m + n, m) and is symmetric', () => {
    const counts = wilcoxonCounts(4, 6);
    expect(counts.length).toBe(25);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(210);
    for (let k = 0; k <= 24; k++) expect(counts[k]).toBe(counts[24 - k]);
    // W = 0 or 1 can happen one way each; W = 2 two ways.
    expect(Array.from(counts.subarray(0, 3))).toEqual([1, 1, 2]);
  });

  it('pwilcox and qwilcox match R (pwilcox(3, 4, 6) = 7/210, qwilcox(0.025, 4, 6) = 3)', () => {
    expect(pwilcox(3, 4, 6)).toBeCloseTo(7 / 210, 15);
    expect(pwilcox(-1, 4, 6)).toBe(0);
    expect(pwilcox(24, 4, 6)).toBe(1);
    expect(qwilcox(0.025, 4, 6)).toBe(3);
    expect(qwilcox(0.975, 4, 6)).toBe(21);
  });
});

describe('helpers', () => {
  it('averageRanks gives average ranks and the tie term', () => {
    const { ranks, tieSum } = averageRanks(Float64Array.from([10, 20, 20, 5, 20]));
    expect(Array.from(ranks)).toEqual([2, 4, 4, 1, 4]);
    expect(tieSum).toBe(24);
  });

  it('hodgesLehmann is the median of pairwise differences', () => {
    expect(hodgesLehmann(Float64Array.from([1, 2, 3]), Float64Array.from([0, 10]))).toBe(-3);
    expect(hodgesLehmann(new Float64Array(0), Float64Array.from([1]))).toBeNaN();
  });

  it('brentRoot finds a smooth root to its tolerance', () => {
    const f = (x: number) => x * x - 2;
    expect(brentRoot(f, 0, 2, f(0), f(2), 1e-12)).toBeCloseTo(Math.SQRT2, 11);
  });

  it('never throws and keeps p in [0, 1] on any finite samples; the statistic is scale-free', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.constantFrom(2, 4, 1024),
        (x, y, factor) => {
          const result = mannWhitney(x, y);
          expect(result.pValue).toBeGreaterThanOrEqual(0);
          expect(result.pValue).toBeLessThanOrEqual(1);
          expect(result.confInt[0]).toBeLessThanOrEqual(result.confInt[1]);
          const scaled = mannWhitney(x.map((v) => v * factor), y.map((v) => v * factor));
          expect(scaled.statistic).toBe(result.statistic);
          expect(scaled.pValue).toBeCloseTo(result.pValue, 12);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('ranks from the sorted samples as the pooled ranking does: the same statistic and tie-corrected z, ties within and across samples', () => {
    const value = fc.oneof(fc.integer({ min: 0, max: 6 }), fc.double({ min: -3, max: 3, noNaN: true }));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 40 }), fc.array(value, { minLength: 1, maxLength: 300 }), (x, y) => {
        const { ranks, tieSum } = averageRanks(Float64Array.from([...x, ...y]));
        let rankSum = 0;
        for (let i = 0; i < x.length; i++) rankSum += ranks[i];
        const result = mannWhitney(x, y, { exact: false });
        expect(result.statistic).toBe(rankSum - (x.length * (x.length + 1)) / 2);
        const n = x.length + y.length;
        const sigma = Math.sqrt(((x.length * y.length) / 12) * (n + 1 - tieSum / (n * (n - 1))));
        const centre = result.statistic - (x.length * y.length) / 2;
        if (sigma > 0) expect(result.z).toBe((centre - Math.sign(centre) * 0.5) / sigma);
      }),
      { numRuns: 300 },
    );
  });

  it('honours a forced method: exact beyond 50 when affordable, normal on request', () => {
    const x = Array.from({ length: 60 }, (_, i) => i + 0.5);
    const y = Array.from({ length: 55 }, (_, i) => i * 1.01 + 0.003);
    expect(mannWhitney(x, y).method).toBe('normal');
    expect(mannWhitney(x, y, { exact: true }).method).toBe('exact');
    expect(mannWhitney([1, 2, 3], [4, 5, 6], { exact: false }).method).toBe('normal');
    const big = Array.from({ length: 400 }, (_, i) => i + 0.25);
    expect(mannWhitney(big, x, { exact: true }).method).toBe('normal');
  });

  it('drops missing values and gives NaN for an empty sample', () => {
    expect(mannWhitney([1, NaN, 3], [2]).nX).toBe(2);
    const empty = mannWhitney([NaN], [1, 2]);
    expect(empty.pValue).toBeNaN();
    const constant = mannWhitney([5, 5, 5], [3, 3]);
    expect(constant.estimate).toBe(2);
    expect(constant.confInt).toEqual([2, 2]);
  });
});
