import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Direction } from './detector.js';
import { nanMad, nanMedian } from './stats.js';
import { finiteMedianInPlace, isolatedSpike, madOf, medianInPlace, medianOf, noneFarFromMedian, nullMaxima, oneWindowMaxima, windowStatistics } from './window-stats.js';

const value = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(NaN, NaN, 0, -0, 1, 1, 2, 5, Infinity));

/** The null maxima of a single window, from windowStatistics (which sorts the window afresh). */
function oneWindowByDefinition(z: number[], direction: Direction, minCount: number) {
  const stats = windowStatistics(z, 0, z.length, direction);
  if (stats.count < minCount) return { windows: 0, shift: 0, burst: 0, spread: 0 };
  return { windows: 1, shift: Math.max(0, stats.shift), burst: Math.max(0, stats.burst), spread: Math.max(0, stats.spread) };
}

describe('window statistics', () => {
  it('nullMaxima(z, z.length, direction, minCount) of one window equals windowStatistics of it', () => {
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 90 }), fc.constantFrom<Direction>('up', 'down', 'both'), fc.nat(60), (z, direction, minCount) => {
      expect(nullMaxima(z, z.length, direction, minCount)).toEqual(oneWindowByDefinition(z, direction, minCount));
    }), { numRuns: 1000 });
  });

  it('oneWindowMaxima(z, from, to, …) equals nullMaxima of z[from, to) as one window, reusing a scratch', () => {
    const scratch = new Float64Array(200);
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 150 }), fc.nat(150), fc.nat(150), fc.constantFrom<Direction>('up', 'down', 'both'), fc.nat(40), (z, a, b, direction, minCount) => {
      const from = Math.min(a, b, z.length);
      const to = Math.min(Math.max(a, b), z.length);
      fc.pre(to > from);
      expect(oneWindowMaxima(z, from, to, direction, minCount, scratch)).toEqual(oneWindowByDefinition(z.slice(from, to), direction, minCount));
    }), { numRuns: 1000 });
  });

  it('oneWindowMaxima with a burst to beat: the same shift and spread, the same burst unless the burst is below it (then 0), so the largest over windows is unchanged', () => {
    const scratch = new Float64Array(200);
    fc.assert(fc.property(fc.array(fc.array(value, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 8 }), fc.constantFrom<Direction>('up', 'down', 'both'), (windows, direction) => {
      let plain = 0;
      let skipping = 0;
      for (const z of windows) {
        const full = oneWindowMaxima(z, 0, z.length, direction, 1, scratch);
        const fast = oneWindowMaxima(z, 0, z.length, direction, 1, scratch, skipping);
        expect([fast.windows, fast.shift, fast.spread]).toEqual([full.windows, full.shift, full.spread]);
        if (fast.burst !== full.burst) {
          expect(fast.burst).toBe(0);
          expect(full.burst).toBeLessThan(skipping);
        }
        plain = Math.max(plain, full.burst);
        skipping = Math.max(skipping, fast.burst);
      }
      expect(skipping).toBe(plain);
    }), { numRuns: 2000 });
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

  it('finiteMedianInPlace(a, n) of finite values, a few or many, equals nanMedian and medianInPlace', () => {
    const finite = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: -3, max: 3 }));
    fc.assert(fc.property(fc.array(finite, { maxLength: 120 }), (values) => {
      const actual = finiteMedianInPlace(Float64Array.from(values), values.length);
      expect(actual === nanMedian(values) || (values.length === 0 && Number.isNaN(actual))).toBe(true);
      expect(Object.is(actual, medianInPlace(Float64Array.from(values), values.length))).toBe(true);
    }), { numRuns: 1000 });
  });

  it('medianOf and madOf of long spans (selection on a sample first) equal nanMedian and nanMad', () => {
    // Few distinct values make many ties, the hard case for a partition.
    // Zero's sign is not an order statistic's business: 0 and −0 compare equal (===).
    const long = fc.array(fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.integer({ min: -3, max: 3 }), fc.constant(NaN)), { minLength: 601, maxLength: 2000 });
    fc.assert(fc.property(long, (values) => {
      expect(medianOf(values, 0, values.length) === nanMedian(values)).toBe(true);
      expect(madOf(values, 0, values.length) === nanMad(values)).toBe(true);
    }), { numRuns: 60, endOnFailure: true });
  });

  it('medianOf of 100 000 sorted, reversed and constant values is their middle', () => {
    const up = Float64Array.from({ length: 100_000 }, (_, i) => i);
    expect(medianOf(up, 0, up.length)).toBe(49_999.5);
    expect(medianOf(up.slice().reverse(), 0, up.length)).toBe(49_999.5);
    expect(medianOf(new Float64Array(100_001).fill(7), 0, 100_001)).toBe(7);
  });

  it('noneFarFromMedian(values, …, low, high, limit) is true only when no finite value is more than limit from their median', () => {
    const extremes = (v: number[]) => {
      const finite = v.filter((x) => Number.isFinite(x));
      return { low: Math.min(...finite), high: Math.max(...finite) };
    };
    fc.assert(
      fc.property(fc.array(fc.oneof(value, fc.integer({ min: -20, max: 20 })), { minLength: 1, maxLength: 40 }), fc.double({ min: 0.01, max: 50, noNaN: true }), (v, limit) => {
        const { low, high } = extremes(v);
        if (!Number.isFinite(low)) return;
        const median = nanMedian(v);
        const far = v.some((x) => Number.isFinite(x) && Math.abs(x - median) > limit);
        if (noneFarFromMedian(v, 0, v.length, low, high, limit)) expect(far).toBe(false);
      }),
      { numRuns: 2000 },
    );
    // A ramp spans 12 with no point more than 6 from its median: shown without the median.
    const ramp = Array.from({ length: 13 }, (_, i) => i);
    expect(noneFarFromMedian(ramp, 0, 13, 0, 12, 6.5)).toBe(true);
    // One point 10 from the rest: not shown, and indeed far.
    expect(noneFarFromMedian([0, 0, 1, 0, 10], 0, 5, 0, 10, 6)).toBe(false);
    // Half the values low, half high: the median could be anywhere between, so not shown.
    expect(noneFarFromMedian([0, 0, 10, 10], 0, 4, 0, 10, 6)).toBe(false);
  });

  it('isolatedSpike(values, j, lo, hi, limit): a point beyond limit from both neighbours, the same way; not a step, a drop or a range edge', () => {
    const spiky = [10, 11, 40, 10, 9, -20, 10];
    expect(isolatedSpike(spiky, 2, 0, spiky.length, 5)).toBe(true);
    expect(isolatedSpike(spiky, 5, 0, spiky.length, 5)).toBe(true);
    expect(isolatedSpike(spiky, 3, 0, spiky.length, 5)).toBe(false);
    expect(isolatedSpike(spiky, 2, 0, spiky.length, 30)).toBe(false);
    // A step, and a sawtooth's drop: one difference each, at whichever point.
    for (const values of [[10, 10, 30, 30, 30], [50, 55, 60, 20, 25], [38, 40, 10, 10]]) {
      for (let j = 0; j < values.length; j++) expect(isolatedSpike(values, j, 0, values.length, 5), `${values} at ${j}`).toBe(false);
    }
    // A neighbour outside [lo, hi) or missing decides nothing.
    expect(isolatedSpike(spiky, 2, 2, spiky.length, 5)).toBe(false);
    expect(isolatedSpike(spiky, 2, 0, 3, 5)).toBe(false);
    expect(isolatedSpike([10, 40, NaN], 1, 0, 3, 5)).toBe(false);
  });

  it('isolatedSpike is unchanged by shifting the values, by scaling them with the limit, and by mirroring them', () => {
    const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true });
    fc.assert(fc.property(fc.array(finite, { minLength: 3, maxLength: 12 }), fc.nat(), fc.double({ min: 0, max: 1e5, noNaN: true }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 0.01, max: 100, noNaN: true }), (values, at, limit, shift, scale) => {
      const j = at % values.length;
      const expected = isolatedSpike(values, j, 0, values.length, limit);
      // Shifting and scaling can move a difference across the limit by rounding: only clear cases.
      const margin = (k: number) => Math.abs(Math.abs(values[k] - values[k - 1]) - limit) > 1e-6 * (1 + limit + Math.abs(values[k]) + Math.abs(values[k - 1]));
      if (j >= 1 && j + 1 < values.length && !(margin(j) && margin(j + 1))) return;
      expect(isolatedSpike(values.map((v) => v + shift), j, 0, values.length, limit)).toBe(expected);
      expect(isolatedSpike(values.map((v) => v * scale), j, 0, values.length, limit * scale)).toBe(expected);
      expect(isolatedSpike(values.map((v) => -v), j, 0, values.length, limit)).toBe(expected);
    }));
  });
});
