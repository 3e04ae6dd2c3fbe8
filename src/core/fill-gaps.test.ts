import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fillGaps, fillMethods, type FillMethod } from './fill-gaps.js';
import { series } from './series.js';

const minute = 60_000;
const fill = (values: number[], options: Parameters<typeof fillGaps>[1]): number[] => Array.from(fillGaps(series(0, minute, values), options).series.values);

describe('fillGaps(series, options)', () => {
  it('linear interpolates interior gaps and leaves the ends', () => {
    expect(fill([1, NaN, NaN, 4], { method: 'linear', maxGap: 5 })).toEqual([1, 2, 3, 4]);
    expect(fill([NaN, 2, NaN, 6, NaN], { method: 'linear', maxGap: 5 })).toEqual([NaN, 2, 4, 6, NaN]);
  });

  it('previous carries the last value forward, including a trailing gap, never backward', () => {
    expect(fill([NaN, 5, NaN, NaN, 8, NaN], { method: 'previous', maxGap: 5 })).toEqual([NaN, 5, 5, 5, 8, 8]);
  });

  it('leaves a gap longer than maxGap missing in full', () => {
    const result = fillGaps(series(0, minute, [1, NaN, NaN, 4, NaN, NaN, NaN, 9]), { method: 'linear', maxGap: 2 });
    expect(Array.from(result.series.values)).toEqual([1, 2, 3, 4, NaN, NaN, NaN, 9]);
    expect(result.filled).toEqual([{ from: minute, to: 2 * minute, index: 1, count: 2 }]);
    expect(result.remaining).toBe(3);
    expect(fill([1, NaN, 3], { method: 'linear', maxGap: 0 })).toEqual([1, NaN, 3]);
  });

  it('seasonal copies the same slot of the previous period', () => {
    expect(fill([1, 2, 3, 4, 1, NaN, NaN, 4], { method: 'seasonal', period: 4, maxGap: 3, adjustLevel: false })).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
  });

  it('seasonal shifts by the level change measured at the gap edges, interpolated across it', () => {
    // Offsets: left 11 − 1 = 10, right 24 − 4 = 20; weights 1/3 and 2/3 across the two missing points.
    const filled = fill([1, 2, 3, 4, 11, NaN, NaN, 24], { method: 'seasonal', period: 4, maxGap: 3 });
    expect(filled[5]).toBeCloseTo(2 + 10 + 10 / 3, 12);
    expect(filled[6]).toBeCloseTo(3 + 10 + 20 / 3, 12);
    // Only one edge present: its offset is used throughout.
    expect(fill([1, 2, 3, 4, 11, NaN, NaN], { method: 'seasonal', period: 4, maxGap: 3 })).toEqual([1, 2, 3, 4, 11, 12, 13]);
  });

  it('seasonal looks back further periods when allowed, and leaves a point with no reference', () => {
    // Point 6's slot one period back (point 3) is missing too.
    const values = [1, 2, 3, NaN, 5, 6, NaN, 8, 9];
    const oneBack = fillGaps(series(0, minute, values), { method: 'seasonal', period: 3, maxGap: 2, adjustLevel: false });
    expect(Array.from(oneBack.series.values)).toEqual([1, 2, 3, 1, 5, 6, NaN, 8, 9]);
    expect(oneBack.remaining).toBe(1);
    expect(fill(values, { method: 'seasonal', period: 3, maxGap: 2, periodsBack: 2, adjustLevel: false })).toEqual([1, 2, 3, 1, 5, 6, 1, 8, 9]);
  });

  it('does not touch the input', () => {
    const input = series(0, minute, [1, NaN, 3]);
    fillGaps(input, { maxGap: 1 });
    expect(Number.isNaN(input.values[1])).toBe(true);
  });

  it('rejects bad options, naming the field', () => {
    const s = series(0, minute, [1]);
    expect(() => fillGaps(s, { method: 'seasonal', maxGap: 2 })).toThrow(/period: period is required/);
    expect(() => fillGaps(s, { maxGap: -1 })).toThrow(/maxGap/);
    expect(() => fillGaps(s, { method: 'spline' as FillMethod, maxGap: 1 })).toThrow(/method/);
  });

  const valuesWithGaps = fc.array(fc.oneof({ weight: 3, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) }, { weight: 2, arbitrary: fc.constant(NaN) }), { maxLength: 80 });

  it('property: never fills beyond maxGap, keeps present points, reports exactly what changed', () => {
    fc.assert(
      fc.property(valuesWithGaps, fc.integer({ min: 0, max: 6 }), fc.constantFrom(...fillMethods), fc.integer({ min: 1, max: 10 }), (values, maxGap, method, period) => {
        const input = series(0, minute, values);
        const { series: out, filled, remaining } = fillGaps(input, { method, maxGap, period });
        let missing = 0;
        let changed = 0;
        for (let i = 0; i < values.length; i++) {
          if (!Number.isNaN(values[i])) expect(out.values[i]).toBe(values[i]);
          else if (!Number.isNaN(out.values[i])) {
            changed++;
            expect(Number.isFinite(out.values[i])).toBe(true);
          }
          if (Number.isNaN(out.values[i])) missing++;
        }
        expect(remaining).toBe(missing);
        expect(filled.reduce((a, r) => a + r.count, 0)).toBe(changed);
        // Every original gap longer than maxGap is still missing in full.
        for (let i = 0; i < values.length; ) {
          if (!Number.isNaN(values[i])) {
            i++;
            continue;
          }
          let j = i;
          while (j < values.length && Number.isNaN(values[j])) j++;
          if (j - i > maxGap) for (let k = i; k < j; k++) expect(out.values[k]).toBeNaN();
          i = j;
        }
        for (const run of filled) {
          expect(run.count).toBeLessThanOrEqual(maxGap);
          expect(run.from).toBe(run.index * minute);
          expect(run.to).toBe((run.index + run.count - 1) * minute);
        }
      }),
    );
  });

  it('property: linear fills lie between their neighbours', () => {
    fc.assert(
      fc.property(valuesWithGaps, (values) => {
        const out = fillGaps(series(0, minute, values), { method: 'linear', maxGap: 100 }).series.values;
        let lastPresent = NaN;
        for (let i = 0; i < values.length; i++) {
          if (!Number.isNaN(values[i])) {
            lastPresent = values[i];
            continue;
          }
          if (Number.isNaN(out[i])) continue;
          let next = i;
          while (Number.isNaN(values[next])) next++;
          expect(out[i]).toBeGreaterThanOrEqual(Math.min(lastPresent, values[next]) - 1e-9);
          expect(out[i]).toBeLessThanOrEqual(Math.max(lastPresent, values[next]) + 1e-9);
        }
      }),
    );
  });
});
