import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { clampScore, deviationScore, judgeAgainstBand, saturatingScore, scoreSeries, windowScore } from './score.js';

const finiteOrNaN = fc.oneof({ weight: 5, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) }, { weight: 1, arbitrary: fc.constant(NaN) });

const eighths = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max }).map((k) => k / 8);

describe('deviationScore(residual, delta, direction)', () => {
  it('is linear inside the band and 50 at its edge', () => {
    expect(deviationScore(0, 2)).toBe(0);
    expect(deviationScore(1, 2)).toBe(25);
    expect(deviationScore(-2, 2)).toBe(50);
  });

  it('saturates outside the band: one δ beyond ≈ 81.6, two δ ≈ 93.2', () => {
    expect(deviationScore(4, 2)).toBeCloseTo(50 + 50 * (1 - Math.exp(-1)), 12);
    expect(deviationScore(4, 2)).toBeCloseTo(81.606, 3);
    expect(deviationScore(-6, 2)).toBeCloseTo(93.233, 3);
  });

  it('counts only the bad direction', () => {
    expect(deviationScore(-3, 1, 'up')).toBe(0);
    expect(deviationScore(3, 1, 'down')).toBe(0);
    expect(deviationScore(3, 1, 'up')).toBeCloseTo(50 + 50 * (1 - Math.exp(-2)), 12);
  });

  it('scores 0 on NaN or a non-positive δ', () => {
    expect(deviationScore(NaN, 1)).toBe(0);
    expect(deviationScore(1, 0)).toBe(0);
    expect(deviationScore(1, NaN)).toBe(0);
  });
});

describe('saturatingScore and clampScore', () => {
  it('saturatingScore gives 50 at half and approaches 100', () => {
    expect(saturatingScore(3, 3)).toBe(50);
    expect(saturatingScore(1, 3)).toBe(25);
    expect(saturatingScore(-1, 3)).toBe(0);
    expect(saturatingScore(1e12, 1)).toBeLessThan(100);
  });

  it('clampScore clamps into [0, 100] and sends NaN to 0', () => {
    expect(clampScore(-5)).toBe(0);
    expect(clampScore(150)).toBe(100);
    expect(clampScore(NaN)).toBe(0);
    expect(clampScore(42)).toBe(42);
  });
});

describe('scoreSeries(actual, lower, upper, direction)', () => {
  it('scores against the band midpoint with half its width as δ', () => {
    const scores = scoreSeries([10, 11, 6, 12], [8, 8, 8, 8], [12, 12, 12, 12]);
    expect(scores[0]).toBe(0);
    expect(scores[1]).toBe(25);
    expect(scores[2]).toBeCloseTo(81.60602794142788, 12);
    expect(scores[3]).toBe(50);
  });

  it('respects the direction', () => {
    expect(Array.from(scoreSeries([14, 6], [8, 8], [12, 12], 'up'))).toEqual([expect.closeTo(81.606, 3), 0]);
    expect(Array.from(scoreSeries([14, 6], [8, 8], [12, 12], 'down'))).toEqual([0, expect.closeTo(81.606, 3)]);
  });

  it('gives NaN where the observation or a bound is missing, or the band is inverted', () => {
    const scores = scoreSeries([NaN, 1, 1, 1], [0, NaN, 0, 2], [2, 2, NaN, 0]);
    expect(Array.from(scores).every(Number.isNaN)).toBe(true);
  });

  it('a zero-width band scores 0 on it and 100 off it', () => {
    expect(Array.from(scoreSeries([5, 5.1, 4.9], [5, 5, 5], [5, 5, 5]))).toEqual([0, 100, 100]);
    expect(Array.from(scoreSeries([5.1, 4.9], [5, 5], [5, 5], 'up'))).toEqual([100, 0]);
  });

  it('property: present points score in [0, 100], missing ones NaN, never throws', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(finiteOrNaN, finiteOrNaN, fc.double({ min: 0, max: 1e6, noNaN: true })), { maxLength: 50 }), fc.constantFrom('up', 'down', 'both') as fc.Arbitrary<'up' | 'down' | 'both'>, (rows, direction) => {
        const actual = rows.map((r) => r[0]);
        const lower = rows.map((r) => r[1]);
        const upper = rows.map((r) => r[1] + r[2]);
        const scores = scoreSeries(actual, lower, upper, direction);
        for (let i = 0; i < rows.length; i++) {
          if (Number.isNaN(actual[i]) || Number.isNaN(lower[i])) expect(scores[i]).toBeNaN();
          else expect(scores[i] >= 0 && scores[i] <= 100).toBe(true);
        }
      }),
    );
  });

  it('property: scaling by a power of two changes nothing, bit for bit', () => {
    fc.assert(
      fc.property(
        // Multiples of 1/8 keep clear of subnormals, where halving would itself round.
        fc.array(fc.tuple(eighths(-8000, 8000), eighths(-8000, 8000), eighths(0, 8000)), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: -20, max: 20 }),
        (rows, exponent) => {
          const a = 2 ** exponent;
          const actual = rows.map((r) => r[0]);
          const lower = rows.map((r) => r[1]);
          const upper = rows.map((r) => r[1] + r[2]);
          const base = scoreSeries(actual, lower, upper);
          const scaled = scoreSeries(actual.map((x) => a * x), lower.map((x) => a * x), upper.map((x) => a * x));
          expect(Array.from(scaled)).toEqual(Array.from(base));
        },
      ),
    );
  });

  it('property: invariant under x → a·x + b with a > 0 (to rounding)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -1000, max: 1000, noNaN: true }), fc.double({ min: -1000, max: 1000, noNaN: true }), fc.double({ min: 1, max: 1000, noNaN: true })), { minLength: 1, maxLength: 30 }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.double({ min: -1e4, max: 1e4, noNaN: true }),
        (rows, a, b) => {
          const actual = rows.map((r) => r[0]);
          const lower = rows.map((r) => r[1]);
          const upper = rows.map((r) => r[1] + r[2]);
          const base = scoreSeries(actual, lower, upper);
          const moved = scoreSeries(actual.map((x) => a * x + b), lower.map((x) => a * x + b), upper.map((x) => a * x + b));
          for (let i = 0; i < rows.length; i++) expect(moved[i]).toBeCloseTo(base[i], 4);
        },
      ),
    );
  });
});

describe('windowScore(pointScores, options)', () => {
  it('top-mean: a lone spike counts a third, three deviating points count fully', () => {
    expect(windowScore([0, 100, 0, 0])).toBeCloseTo(100 / 3, 12);
    expect(windowScore([100, 0, 100, 0])).toBeCloseTo(200 / 3, 12);
    expect(windowScore([90, 95, 100, 0, 10])).toBe(95);
    expect(windowScore([0, 100, 0], { persistence: 1 })).toBe(100);
  });

  it('skips NaN and returns NaN for a window with no point', () => {
    expect(windowScore([NaN, 60, NaN, 60, 60])).toBe(60);
    expect(windowScore([NaN, NaN])).toBeNaN();
    expect(windowScore([])).toBeNaN();
  });

  it('a window shorter than the persistence scores at most points/m of its maximum', () => {
    expect(windowScore([90])).toBe(30);
  });

  it('max and mean methods', () => {
    expect(windowScore([10, 80, 30], { method: 'max' })).toBe(80);
    expect(windowScore([10, 80, 30, NaN], { method: 'mean' })).toBe(40);
  });

  it('rejects a persistence that is not a positive integer', () => {
    expect(() => windowScore([1], { persistence: 0 })).toThrow(/persistence/);
    expect(() => windowScore([1], { persistence: 1.5 })).toThrow(/persistence/);
  });

  it('property: in [0, 100], never above the max, monotone in every point score', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constant(NaN)), { minLength: 1, maxLength: 40 }),
        fc.nat(39),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.integer({ min: 1, max: 6 }),
        (scores, at, raise, persistence) => {
          const w = windowScore(scores, { persistence });
          const present = scores.filter((s) => !Number.isNaN(s));
          if (present.length === 0) {
            expect(w).toBeNaN();
            return;
          }
          expect(w >= 0 && w <= 100).toBe(true);
          expect(w).toBeLessThanOrEqual(Math.max(...present) + 1e-9);
          const i = at % scores.length;
          const raised = scores.slice();
          raised[i] = Math.max(Number.isNaN(raised[i]) ? 0 : raised[i], raise);
          expect(windowScore(raised, { persistence })).toBeGreaterThanOrEqual(w - 1e-9);
        },
      ),
    );
  });

  it('property: rises with persistence — k equal deviating points score min(k, m)/m of them', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1, max: 5 }), fc.double({ min: 1, max: 100, noNaN: true }), (k, m, level) => {
        const scores = [...new Array(k).fill(level), ...new Array(10).fill(0)];
        expect(windowScore(scores, { persistence: m })).toBeCloseTo((Math.min(k, m) / m) * level, 9);
      }),
    );
  });
});

describe('judgeAgainstBand(actual, lower, upper, direction, options)', () => {
  const lower = [8, 8, 8, 8];
  const upper = [12, 12, 12, 12];
  const outside = (k: number): number => 50 + 50 * (1 - Math.exp(-k));

  it('gives point scores, the top-three window score and the side of the deviation', () => {
    const j = judgeAgainstBand([10, 20, 21, 5], lower, upper);
    expect(j.pointScores[1]).toBeCloseTo(outside(4), 12);
    expect(j.pointScores[3]).toBeCloseTo(outside(1.5), 12);
    expect(j.score).toBeCloseTo((outside(4) + outside(4.5) + outside(1.5)) / 3, 12);
    expect(j).toMatchObject({ direction: 'up', pointsPresent: 4, pointsAbove: 2, pointsBelow: 1 });
  });

  it('counts only the bad direction and breaks a tie by the larger excess', () => {
    expect(judgeAgainstBand([10, 20, 21, 5], lower, upper, 'down')).toMatchObject({ direction: 'down', pointsAbove: 0, pointsBelow: 1 });
    expect(judgeAgainstBand([13, 2], [8, 8], [12, 12]).direction).toBe('down');
    expect(judgeAgainstBand([18, 7], [8, 8], [12, 12]).direction).toBe('up');
  });

  it('inside the band or without data there is no direction', () => {
    expect(judgeAgainstBand([9, 11], [8, 8], [12, 12])).toMatchObject({ direction: 'none', pointsPresent: 2 });
    expect(judgeAgainstBand([NaN], [8], [12])).toMatchObject({ direction: 'none', pointsPresent: 0, score: 0 });
  });
});
