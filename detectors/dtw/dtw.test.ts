import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { dtw, dtwDistance, dtwPath, effectiveWindow, keoghEnvelope, lbKeogh, lbKim, zNormalize, type DtwCost } from './dtw.js';
import { available, wavefrontDistance } from './wavefront.js';

const require = createRequire(import.meta.url);
const DynamicTimeWarping = require('dynamic-time-warping') as new (a: number[], b: number[], f: (x: number, y: number) => number) => { getDistance(): number; getPath(): [number, number][] };

/** The textbook O(n·m) matrix, written independently of the banded kernels. */
function slowDtw(a: ArrayLike<number>, b: ArrayLike<number>, window: number, cost: DtwCost): number {
  const n = a.length;
  const m = b.length;
  const w = Math.max(window, Math.abs(n - m));
  const D: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(Infinity));
  D[0][0] = 0;
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      if (Math.abs(i - j) > w) continue;
      const d = a[i - 1] - b[j - 1];
      const c = cost === 'squared' ? d * d : Math.abs(d);
      D[i][j] = c + Math.min(D[i - 1][j - 1], D[i - 1][j], D[i][j - 1]);
    }
  }
  return D[n][m];
}

const finiteValue = fc.double({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true });
const seriesArb = (min = 1, max = 40) => fc.array(finiteValue, { minLength: min, maxLength: max }).map((v) => Float64Array.from(v));
const costArb = fc.constantFrom<DtwCost>('absolute', 'squared');
const close = (x: number, y: number) => Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));

describe('dtwDistance(a, b, options)', () => {
  it('gives the published values for the standard pairs of the dtw and dynamic-time-warping packages', () => {
    // dynamic-time-warping README: 108, path [[0,0],[1,1],[1,2],[1,3],[2,4],[3,4],[4,4]].
    const a = Float64Array.from([9, 93, 15, 19, 24]);
    const b = Float64Array.from([31, 97, 81, 82, 39]);
    expect(dtwDistance(a, b)).toBe(108);
    expect(dtwPath(a, b).path).toEqual([[0, 0], [1, 1], [1, 2], [1, 3], [2, 4], [3, 4], [4, 4]]);
    // dtw README: s = [1,1,2,3,2,0], t = [0,1,1,2,3,2,1] cost 2 (absolute), 2 (squared: both mismatches are 1).
    const s = Float64Array.from([1, 1, 2, 3, 2, 0]);
    const t = Float64Array.from([0, 1, 1, 2, 3, 2, 1]);
    expect(dtwDistance(s, t)).toBe(2);
    expect(dtwDistance(s, t, { cost: 'squared' })).toBe(2);
  });

  it('equals the slow reference for every window and cost', () => {
    fc.assert(
      fc.property(seriesArb(), seriesArb(), fc.integer({ min: 0, max: 45 }), costArb, (a, b, window, cost) => {
        const expected = slowDtw(a, b, window, cost);
        expect(close(dtwDistance(a, b, { window, cost }), expected)).toBe(true);
        expect(close(dtwPath(a, b, { window, cost }).distance, expected)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('equals the slow reference and the dynamic-time-warping package unconstrained', () => {
    fc.assert(
      fc.property(seriesArb(), seriesArb(), (a, b) => {
        const expected = slowDtw(a, b, Infinity, 'absolute');
        const other = new DynamicTimeWarping(Array.from(a), Array.from(b), (x, y) => Math.abs(x - y)).getDistance();
        expect(close(dtwDistance(a, b), expected)).toBe(true);
        expect(close(other, expected)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('is symmetric, zero on identical series, and shrinks as the band widens', () => {
    fc.assert(
      fc.property(seriesArb(), seriesArb(), fc.integer({ min: 0, max: 20 }), costArb, (a, b, window, cost) => {
        expect(close(dtwDistance(a, b, { window, cost }), dtwDistance(b, a, { window, cost }))).toBe(true);
        expect(dtwDistance(a, a, { window, cost })).toBe(0);
        expect(dtwDistance(a, b, { window: window + 1, cost })).toBeLessThanOrEqual(dtwDistance(a, b, { window, cost }) + 1e-9);
        expect(dtwDistance(a, b, { cost })).toBeLessThanOrEqual(dtwDistance(a, b, { window, cost }) + 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('dtwPath returns a warping path inside the band whose costs sum to the distance', () => {
    fc.assert(
      fc.property(seriesArb(), seriesArb(), fc.integer({ min: 0, max: 20 }), costArb, (a, b, window, cost) => {
        const { distance, path } = dtwPath(a, b, { window, cost });
        const w = Math.max(window, Math.abs(a.length - b.length));
        expect(path[0]).toEqual([0, 0]);
        expect(path[path.length - 1]).toEqual([a.length - 1, b.length - 1]);
        let sum = 0;
        path.forEach(([i, j], k) => {
          expect(Math.abs(i - j)).toBeLessThanOrEqual(w);
          if (k > 0) {
            const [pi, pj] = path[k - 1];
            expect([i - pi, j - pj]).toContainEqual(1);
            expect(i - pi >= 0 && i - pi <= 1 && j - pj >= 0 && j - pj <= 1).toBe(true);
          }
          const d = a[i] - b[j];
          sum += cost === 'squared' ? d * d : Math.abs(d);
        });
        expect(close(sum, distance)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('with a band of 0 on equal lengths is the pointwise sum of costs', () => {
    const a = Float64Array.from([1, 2, 3, 4]);
    const b = Float64Array.from([2, 2, 5, 1]);
    expect(dtwDistance(a, b, { window: 0 })).toBe(1 + 0 + 2 + 3);
    expect(dtwDistance(a, b, { window: 0, cost: 'squared' })).toBe(1 + 0 + 4 + 9);
  });

  it('widens the band to the length difference so a path exists', () => {
    expect(effectiveWindow(10, 4, 1)).toBe(6);
    expect(effectiveWindow(10, 10, 3)).toBe(3);
    expect(effectiveWindow(10, 10, 50)).toBe(Infinity);
    expect(dtwDistance(Float64Array.from([1, 2, 3, 4, 5]), Float64Array.from([1, 5]), { window: 0 })).toBe(slowDtw([1, 2, 3, 4, 5], [1, 5], 0, 'absolute'));
  });

  it('z-normalises each series when asked, so offset and scale do not count', () => {
    const a = Float64Array.from([1, 3, 2, 5, 4, 6]);
    const b = Float64Array.from(a, (v) => 100 + 7 * v);
    expect(dtwDistance(a, b)).toBeGreaterThan(100);
    expect(dtwDistance(a, b, { zNormalize: true })).toBeCloseTo(0, 12);
    expect(Array.from(zNormalize(Float64Array.from([4, 4, 4])))).toEqual([0, 0, 0]);
  });

  it('gives NaN for missing points or empty input, never a throw', () => {
    expect(dtwDistance(Float64Array.from([1, NaN]), Float64Array.from([1, 2]))).toBeNaN();
    expect(dtwDistance(new Float64Array(0), Float64Array.from([1]))).toBeNaN();
    expect(dtwPath(new Float64Array(0), Float64Array.from([1])).path).toEqual([]);
  });

  it('scales with the data: absolute cost by c, squared by c²', () => {
    fc.assert(
      fc.property(seriesArb(), seriesArb(), fc.double({ min: 0.01, max: 100, noNaN: true }), (a, b, c) => {
        const scaledA = Float64Array.from(a, (v) => v * c);
        const scaledB = Float64Array.from(b, (v) => v * c);
        expect(close(dtwDistance(scaledA, scaledB, { window: 3 }), c * dtwDistance(a, b, { window: 3 }))).toBe(true);
        expect(Math.abs(dtwDistance(scaledA, scaledB, { cost: 'squared' }) - c * c * dtwDistance(a, b, { cost: 'squared' }))).toBeLessThanOrEqual(1e-8 * Math.max(1, c * c * dtwDistance(a, b, { cost: 'squared' })));
      }),
      { numRuns: 150 },
    );
  });
});

describe('wavefrontDistance (anti-diagonal WebAssembly SIMD kernel)', () => {
  it('is available on Node 20', () => {
    expect(available()).toBe(true);
  });

  it('equals the slow reference for every window and cost', () => {
    fc.assert(
      fc.property(seriesArb(), seriesArb(), fc.integer({ min: 0, max: 45 }), costArb, (a, b, window, cost) => {
        const widened = effectiveWindow(a.length, b.length, window);
        const expected = slowDtw(a, b, window, cost);
        expect(close(wavefrontDistance(a, b, widened, cost === 'squared') ?? NaN, expected)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('gives bit-for-bit the row kernel\'s distance on large matrices, which dtw() sends to it', () => {
    const a = Float64Array.from({ length: 300 }, (_, i) => Math.sin(i / 7) + ((i * 7919) % 17) / 17);
    const b = Float64Array.from({ length: 260 }, (_, i) => Math.cos(i / 9) + ((i * 104729) % 13) / 13);
    for (const cost of ['absolute', 'squared'] as const) {
      for (const window of [Infinity, 40, 45]) {
        const rows = dtw(a, b, { window, cost, abandonAbove: Number.MAX_VALUE });
        const swept = dtw(a, b, { window, cost });
        expect(swept.cells).toBeGreaterThanOrEqual(20_000);
        expect(swept.distance).toBe(rows.distance);
        expect(close(swept.distance, slowDtw(a, b, window, cost))).toBe(true);
      }
    }
    // A band of 0 leaves every other anti-diagonal empty; lengths of 1 leave no room to spare.
    const long = Float64Array.from({ length: 25_000 }, (_, i) => ((i * 7919) % 101) / 10);
    const other = Float64Array.from({ length: 25_000 }, (_, i) => ((i * 104729) % 89) / 10);
    for (const [x, y, window] of [[long, other, 0], [long, other, 1], [long.subarray(0, 1), other, 0], [long, other.subarray(0, 1), 3]] as const) {
      const swept = dtw(x, y, { window });
      expect(swept.cells).toBeGreaterThanOrEqual(20_000);
      expect(swept.distance).toBe(dtw(x, y, { window, abandonAbove: Number.MAX_VALUE }).distance);
    }
  });
});

describe('lower bounds and early abandoning', () => {
  it('lbKim and lbKeogh never exceed the distance', () => {
    fc.assert(
      fc.property(seriesArb(), seriesArb(), fc.integer({ min: 0, max: 20 }), costArb, (a, b, window, cost) => {
        const distance = slowDtw(a, b, window, cost);
        expect(lbKim(a, b, cost)).toBeLessThanOrEqual(distance + 1e-9);
        expect(lbKeogh(a, b, window, cost)).toBeLessThanOrEqual(distance * (1 + 1e-12) + 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('keoghEnvelope is the running max and min over the band', () => {
    const values = Float64Array.from([3, 1, 4, 1, 5, 9, 2, 6]);
    const { upper, lower } = keoghEnvelope(values, 1);
    expect(Array.from(upper)).toEqual([3, 4, 4, 5, 9, 9, 9, 6]);
    expect(Array.from(lower)).toEqual([1, 1, 1, 1, 1, 2, 2, 2]);
  });

  it('never changes a distance at or below the threshold, and abandons only above it', () => {
    fc.assert(
      fc.property(seriesArb(), seriesArb(), fc.integer({ min: 0, max: 20 }), costArb, fc.double({ min: 0, max: 2, noNaN: true }), (a, b, window, cost, fraction) => {
        const exact = dtwDistance(a, b, { window, cost });
        const threshold = exact * fraction;
        const result = dtw(a, b, { window, cost, abandonAbove: threshold });
        if (exact <= threshold) {
          expect(result.abandoned).toBe(false);
          expect(result.distance).toBe(exact);
        } else {
          expect(result.abandoned).toBe(true);
          expect(result.distance).toBe(Infinity);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('reports which stage pruned', () => {
    const a = Float64Array.from({ length: 200 }, (_, i) => Math.sin(i / 10));
    const far = Float64Array.from(a, (v) => v + 50);
    expect(dtw(a, far, { window: 10, abandonAbove: 10 }).prunedBy).toBe('lbKim');
    const middle = Float64Array.from(a, (v, i) => (i > 0 && i < 199 ? v + 5 : v));
    expect(dtw(a, middle, { window: 10, abandonAbove: 10 }).prunedBy).toBe('lbKeogh');
    const close = Float64Array.from(a, (v, i) => (i % 2 === 0 ? v + 0.2 : v - 0.2));
    const full = dtw(a, close, { window: 10 });
    const pruned = dtw(a, close, { window: 10, abandonAbove: full.distance / 2 });
    expect(pruned.prunedBy).toBe('dtw');
    expect(pruned.cells).toBeLessThan(full.cells);
  });
});
