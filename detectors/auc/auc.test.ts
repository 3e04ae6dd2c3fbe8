import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { areaBetween } from './auc.js';

/** Trapezoid over explicit abscissae (numpy.trapz(y, x)) on the points where both are present. */
function slowSigned(a: number[], b: number[], step: number): number {
  const xs: number[] = [];
  const ys: number[] = [];
  a.forEach((v, i) => {
    if (Number.isFinite(v) && Number.isFinite(b[i])) {
      xs.push(i * step);
      ys.push(v - b[i]);
    }
  });
  let sum = 0;
  for (let k = 1; k < xs.length; k++) sum += ((ys[k] + ys[k - 1]) / 2) * (xs[k] - xs[k - 1]);
  return sum;
}

/** ∫|f| of the piecewise-linear curve by fine midpoint sampling, for checking the crossing split. */
function sampledAbsolute(f: number[]): number {
  let sum = 0;
  const per = 2000;
  for (let k = 1; k < f.length; k++) for (let s = 0; s < per; s++) sum += Math.abs(f[k - 1] + ((s + 0.5) / per) * (f[k] - f[k - 1])) / per;
  return sum;
}

const valueWithGaps = fc.oneof({ weight: 4, arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }) }, { weight: 1, arbitrary: fc.constant(NaN) });

describe('areaBetween(a, b, options)', () => {
  it('integrates by the trapezoidal rule on hand-computed cases', () => {
    const zero = Float64Array.from([0, 0, 0]);
    expect(areaBetween(Float64Array.from([1, 2, 3]), zero)).toEqual({ signed: 4, absolute: 4, reference: 0, covered: 2, points: 3 });
    // One crossing: two triangles of area 1/4 each.
    const crossing = areaBetween(Float64Array.from([1, -1]), Float64Array.from([0, 0]));
    expect(crossing.signed).toBe(0);
    expect(crossing.absolute).toBe(0.5);
    // Units: 60 000 ms per step.
    expect(areaBetween(Float64Array.from([2, 2]), Float64Array.from([1, 1]), { step: 60_000 }).signed).toBe(60_000);
  });

  it('bridges a gap up to maxGap by a straight line and leaves longer ones out', () => {
    const a = Float64Array.from([0, NaN, 2, 2]);
    const b = Float64Array.from([0, 0, 0, NaN]);
    expect(areaBetween(a, b)).toEqual({ signed: 2, absolute: 2, reference: 0, covered: 2, points: 2 });
    expect(areaBetween(a, b, { maxGap: 0 })).toEqual({ signed: 0, absolute: 0, reference: 0, covered: 0, points: 2 });
  });

  it('equals numpy-style trapz over the present points, for any gaps', () => {
    fc.assert(
      fc.property(fc.array(valueWithGaps, { maxLength: 50 }), fc.array(valueWithGaps, { maxLength: 50 }), (a, b) => {
        const n = Math.min(a.length, b.length);
        const got = areaBetween(Float64Array.from(a), Float64Array.from(b), { step: 3 });
        const expected = slowSigned(a.slice(0, n), b.slice(0, n), 3);
        expect(Math.abs(got.signed - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected), got.absolute));
        expect(got.absolute).toBeGreaterThanOrEqual(Math.abs(got.signed) - 1e-9 * got.absolute - 1e-12);
      }),
      { numRuns: 300 },
    );
  });

  it('absolute and reference areas are exact for piecewise-linear curves with crossings', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 2, maxLength: 8 }), (f) => {
        const got = areaBetween(Float64Array.from(f), new Float64Array(f.length));
        expect(got.absolute).toBeCloseTo(sampledAbsolute(f), 4);
        const reference = areaBetween(new Float64Array(f.length), Float64Array.from(f)).reference;
        expect(reference).toBeCloseTo(got.absolute, 9);
      }),
      { numRuns: 100 },
    );
  });

  it('is antisymmetric in its arguments and scales linearly', () => {
    fc.assert(
      fc.property(fc.array(valueWithGaps, { maxLength: 30 }), fc.array(valueWithGaps, { maxLength: 30 }), fc.double({ min: 0.01, max: 100, noNaN: true }), (a, b, c) => {
        const fa = Float64Array.from(a);
        const fb = Float64Array.from(b);
        const forward = areaBetween(fa, fb);
        expect(areaBetween(fb, fa).signed).toBeCloseTo(-forward.signed, 6);
        const scaled = areaBetween(Float64Array.from(a, (v) => v * c), Float64Array.from(b, (v) => v * c));
        expect(Math.abs(scaled.signed - c * forward.signed)).toBeLessThanOrEqual(1e-9 * Math.max(1, c * forward.absolute));
      }),
      { numRuns: 200 },
    );
  });

  it('gives zero areas, not a throw, for empty or all-missing input', () => {
    expect(areaBetween(new Float64Array(0), new Float64Array(0))).toEqual({ signed: 0, absolute: 0, reference: 0, covered: 0, points: 0 });
    expect(areaBetween(Float64Array.from([NaN, NaN]), Float64Array.from([1, 2])).covered).toBe(0);
  });
});
