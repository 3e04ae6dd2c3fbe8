import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { band, type BandOptions } from './band.js';
import { nanStd } from './stats.js';

const arr = (a: ArrayLike<number>): number[] => Array.from(a);

describe('band(prediction, actual, options)', () => {
  it('fixed: prediction ± δ, NaN bounds where the prediction is missing', () => {
    const b = band([1, 2, NaN], null, { method: 'fixed', delta: 0.5 });
    expect(arr(b.lower)).toEqual([0.5, 1.5, NaN]);
    expect(arr(b.upper)).toEqual([1.5, 2.5, NaN]);
    expect(arr(b.delta)).toEqual([0.5, 0.5, 0.5]);
  });

  it('seasonal-ewma: smooths |residual| per slot from earlier points only', () => {
    // Slot 0 sees |r| = 2, 6, 2; slot 1 sees 4, (missing), 8; α = ½.
    const prediction = [0, 0, 0, 0, 0, 0];
    const actual = [2, 4, 6, NaN, 2, 8];
    const b = band(prediction, actual, { method: 'seasonal-ewma', period: 2, alpha: 0.5, multiplier: 1 });
    expect(arr(b.delta)).toEqual([NaN, NaN, 2, 4, 4, 4]);
    const wide = band(prediction, actual, { method: 'seasonal-ewma', period: 2, alpha: 0.5 });
    expect(arr(wide.delta)).toEqual([NaN, NaN, 6, 12, 12, 12]);
    const floored = band(prediction, actual, { method: 'seasonal-ewma', period: 2, alpha: 0.5, multiplier: 1, minDelta: 5 });
    expect(arr(floored.delta)).toEqual([NaN, NaN, 5, 5, 5, 5]);
    expect(arr(b.upper).slice(2)).toEqual([2, 4, 4, 4]);
  });

  it('rolling-sigma: k × sample sd of the preceding window', () => {
    const b = band([10, 10, 10, 10], [11, 9, 12, 10], { method: 'rolling-sigma', window: 2, k: 1 });
    expect(b.delta[0]).toBeNaN();
    expect(b.delta[1]).toBeNaN();
    expect(b.delta[2]).toBeCloseTo(Math.SQRT2, 14);
    expect(b.delta[3]).toBeCloseTo(Math.sqrt(4.5), 14);
    expect(b.lower[3]).toBeCloseTo(10 - Math.sqrt(4.5), 14);
  });

  it('rolling-sigma: skips missing residuals and needs minPoints of them', () => {
    const b = band([0, 0, 0, 0, 0, 0], [1, NaN, 3, NaN, NaN, 5], { method: 'rolling-sigma', window: 3, k: 2, minPoints: 2 });
    // Windows: [1] → NaN; [1, ·] → NaN; [1, ·, 3] → sd √2; [·, 3, ·] → NaN; [3, ·, ·] → NaN.
    expect(arr(b.delta)).toEqual([NaN, NaN, NaN, expect.closeTo(2 * Math.SQRT2, 12), NaN, NaN]);
  });

  it('rolling-sigma matches a brute-force window sd on a long series far from zero', () => {
    const n = 20_000;
    const prediction = new Float64Array(n);
    const actual = new Float64Array(n);
    let seed = 7;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < n; i++) {
      prediction[i] = 1e3 * Math.sin(i / 50);
      actual[i] = i % 97 === 0 ? NaN : prediction[i] + 1e6 + 10 * (random() - 0.5);
    }
    const window = 50;
    const b = band(prediction, actual, { method: 'rolling-sigma', window, k: 1 });
    for (const i of [60, 777, 5_003, 12_345, n - 1]) {
      const residuals = [];
      for (let j = i - window; j < i; j++) residuals.push(actual[j] - prediction[j]);
      expect(b.delta[i]).toBeCloseTo(nanStd(residuals), 7);
    }
  });

  it('rejects bad options and mismatched inputs, naming the field', () => {
    expect(() => band([1], [1], { method: 'wide' } as unknown as BandOptions)).toThrow(/method/);
    expect(() => band([1], [1], { method: 'seasonal-ewma' } as BandOptions)).toThrow(/period/);
    expect(() => band([1], [1], { method: 'seasonal-ewma', period: 2, alpha: 0 })).toThrow(/alpha/);
    expect(() => band([1], [1], { method: 'fixed', delta: -1 })).toThrow(/delta/);
    expect(() => band([1, 2], [1], { method: 'rolling-sigma' })).toThrow(/^actual: /);
    expect(() => band([1], [1], { method: 'rolling-sigma', window: 5, minPoints: 6 })).toThrow(/minPoints: minPoints cannot exceed window/);
  });

  const methods: BandOptions[] = [
    { method: 'fixed', delta: 2 },
    { method: 'seasonal-ewma', period: 3, alpha: 0.4 },
    { method: 'rolling-sigma', window: 4, minPoints: 2 },
  ];
  const withGaps = fc.array(fc.oneof({ weight: 4, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) }, { weight: 1, arbitrary: fc.constant(NaN) }), { maxLength: 40 });

  it('property: never throws; δ is NaN or ≥ 0; lower ≤ upper where defined', () => {
    fc.assert(
      fc.property(withGaps, withGaps, fc.constantFrom(...methods), (p, a, options) => {
        const n = Math.min(p.length, a.length);
        const b = band(p.slice(0, n), a.slice(0, n), options);
        for (let i = 0; i < n; i++) {
          expect(Number.isNaN(b.delta[i]) || b.delta[i] >= 0).toBe(true);
          if (!Number.isNaN(b.lower[i])) expect(b.lower[i]).toBeLessThanOrEqual(b.upper[i]);
        }
      }),
    );
  });

  it('property: causal — changing point i never changes δ at or before i', () => {
    fc.assert(
      fc.property(withGaps.filter((v) => v.length > 0), fc.nat(), fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(...methods.slice(1)), (a, at, replacement, options) => {
        const i = at % a.length;
        const prediction = a.map((_, k) => k);
        const changed = a.slice();
        changed[i] = replacement;
        const before = band(prediction, a, options).delta;
        const after = band(prediction, changed, options).delta;
        expect(arr(after.subarray(0, i + 1))).toEqual(arr(before.subarray(0, i + 1)));
      }),
    );
  });

  it('property: δ scales with the data and ignores a common shift', () => {
    const small = fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(small, small, fc.integer({ min: -10, max: 10 }), fc.integer({ min: -1e5, max: 1e5 }), fc.constantFrom(...methods.slice(1)), (p, a, exponent, shift, options) => {
        const n = Math.min(p.length, a.length);
        const scale = 2 ** exponent;
        const base = band(p.slice(0, n), a.slice(0, n), options).delta;
        const scaled = band(p.slice(0, n).map((x) => x * scale), a.slice(0, n).map((x) => x * scale), options).delta;
        const shifted = band(p.slice(0, n).map((x) => x + shift), a.slice(0, n).map((x) => x + shift), options).delta;
        for (let i = 0; i < n; i++) {
          if (Number.isNaN(base[i])) {
            expect(scaled[i]).toBeNaN();
            continue;
          }
          expect(scaled[i]).toBeCloseTo(base[i] * scale, 6);
          expect(shifted[i]).toBeCloseTo(base[i], 6);
        }
      }),
    );
  });
});
