import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Direction } from './detector.js';
import { nanMedian } from './stats.js';
import { medianInPlace, nullMaxima, windowStatistics } from './window-stats.js';

const value = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(NaN, NaN, 0, -0, 1, 1, 2, 5, Infinity));

describe('window statistics', () => {
  it('nullMaxima(z, z.length, direction, minCount) of one window equals windowStatistics of it', () => {
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 90 }), fc.constantFrom<Direction>('up', 'down', 'both'), fc.nat(60), (z, direction, minCount) => {
      const stats = windowStatistics(z, 0, z.length, direction);
      const expected = stats.count < minCount ? { windows: 0, shift: 0, burst: 0, spread: 0 } : { windows: 1, shift: Math.max(0, stats.shift), burst: Math.max(0, stats.burst), spread: Math.max(0, stats.spread) };
      expect(nullMaxima(z, z.length, direction, minCount)).toEqual(expected);
    }), { numRuns: 1000 });
  });

  it('nullMaxima of one window of 60 standardised residuals: burst is the mean of the top 15', () => {
    const z = Float64Array.from({ length: 60 }, (_, i) => ((i * 37) % 60) / 10 - 3);
    const top = [...z].sort((a, b) => b - a).slice(0, 15);
    expect(nullMaxima(z, 60, 'up', 30).burst).toBeCloseTo(top.reduce((a, b) => a + b, 0) / 15, 12);
  });

  it('medianInPlace(a, n) of a few values (sorted by insertion) equals nanMedian, skipping NaN and infinities', () => {
    fc.assert(fc.property(fc.array(value, { maxLength: 16 }), (values) => {
      const expected = nanMedian(values.filter((v) => Number.isFinite(v) || Number.isNaN(v)));
      const actual = medianInPlace(Float64Array.from(values), values.length);
      expect(Object.is(actual, expected) || actual === expected).toBe(true);
    }), { numRuns: 2000 });
  });
});
