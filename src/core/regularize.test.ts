import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { regularize, type Sample } from './regularize.js';
import { SluiceError } from './errors.js';

const minute = 60_000;
const values = (samples: readonly Sample[], options: Parameters<typeof regularize>[1]): number[] => Array.from(regularize(samples, options).series.values);

describe('regularize(samples, options)', () => {
  const samples: Sample[] = [
    { t: 0, v: 1 },
    { t: 10_000, v: 5 },
    { t: 50_000, v: 3 },
    { t: 130_000, v: 7 },
    { t: 170_000, v: NaN },
  ];

  it('aggregates each step by mean, sum, min, max, count and last', () => {
    expect(values(samples, { step: minute })).toEqual([3, NaN, 7]);
    expect(values(samples, { step: minute, aggregate: 'sum' })).toEqual([9, NaN, 7]);
    expect(values(samples, { step: minute, aggregate: 'min' })).toEqual([1, NaN, 7]);
    expect(values(samples, { step: minute, aggregate: 'max' })).toEqual([5, NaN, 7]);
    expect(values(samples, { step: minute, aggregate: 'count' })).toEqual([3, 0, 1]);
    expect(values(samples, { step: minute, aggregate: 'last' })).toEqual([3, NaN, 7]);
  });

  it('p95 is the type-7 quantile of the bucket', () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ t: i * 1000, v: 20 - i }));
    expect(values(many, { step: minute, aggregate: 'p95' })).toEqual([expect.closeTo(19.05, 12)]);
    expect(values([{ t: 0, v: NaN }], { step: minute, aggregate: 'p95' })).toEqual([NaN]);
  });

  it('reports what it did', () => {
    const { series, report } = regularize(samples, { step: minute });
    expect(series.start).toBe(0);
    expect(series.step).toBe(minute);
    expect(report).toEqual({ pointsIn: 5, duplicatesMerged: 0, missingValues: 1, outOfRange: 0, buckets: 3, emptyBuckets: 1, wasSorted: true });
  });

  it('sorts unsorted input and merges equal timestamps by the duplicates rule', () => {
    const messy: Sample[] = [
      { t: 120_000, v: 9 },
      { t: 0, v: 1 },
      { t: 60_000, v: 2 },
      { t: 0, v: 4 },
      { t: 60_000, v: null },
    ];
    const last = regularize(messy, { step: minute });
    expect(Array.from(last.series.values)).toEqual([4, 2, 9]);
    expect(last.report.duplicatesMerged).toBe(2);
    expect(last.report.wasSorted).toBe(false);
    expect(values(messy, { step: minute, duplicates: 'first' })).toEqual([1, 2, 9]);
    expect(values(messy, { step: minute, duplicates: 'mean' })).toEqual([2.5, 2, 9]);
    expect(values(messy, { step: minute, duplicates: 'sum' })).toEqual([5, 2, 9]);
    expect(values(messy, { step: minute, duplicates: 'max' })).toEqual([4, 2, 9]);
    // Duplicates merge before aggregation: count sees one sample per timestamp.
    expect(values(messy, { step: minute, aggregate: 'count' })).toEqual([1, 1, 1]);
  });

  it('orders a crowded bucket by time, keeping input order among equal timestamps', () => {
    // 100 samples in one bucket, newest first, each timestamp given twice (second copy wins under "last").
    const crowded: Sample[] = [];
    for (let k = 99; k >= 0; k--) crowded.push({ t: k * 100, v: -k }, { t: k * 100, v: k });
    const last = regularize(crowded, { step: minute, aggregate: 'last', start: 0 });
    expect(Array.from(last.series.values)).toEqual([99]);
    expect(last.report.duplicatesMerged).toBe(100);
    expect(values(crowded, { step: minute, aggregate: 'last', duplicates: 'first' })).toEqual([-99]);
    expect(values(crowded, { step: minute, aggregate: 'p95' })).toEqual([expect.closeTo(94.05, 12)]);
  });

  it('accepts columns, plain or typed, without modifying them', () => {
    const { series } = regularize({ t: [60_000, 0, 30_000], v: [6, 2, 4] }, { step: minute });
    expect(Array.from(series.values)).toEqual([3, 6]);
    const t = Float64Array.of(60_000, 0, 30_000);
    const v = Float64Array.of(6, Infinity, 4);
    const typed = regularize({ t, v }, { step: minute });
    expect(Array.from(typed.series.values)).toEqual([4, 6]);
    expect(typed.report.missingValues).toBe(1);
    expect(Array.from(t)).toEqual([60_000, 0, 30_000]);
    expect(v[1]).toBe(Infinity);
    expect(() => regularize({ t: Float64Array.of(0, NaN), v: Float64Array.of(1, 2) }, { step: minute })).toThrow(/^t\.1: /);
  });

  it('aligns buckets to the epoch grid (plus offset) or to the start', () => {
    const offGrid: Sample[] = [{ t: 90_000, v: 1 }, { t: 150_000, v: 2 }];
    const epoch = regularize(offGrid, { step: minute });
    expect(epoch.series.start).toBe(60_000);
    expect(Array.from(epoch.series.values)).toEqual([1, 2]);
    const fromStart = regularize(offGrid, { step: minute, alignment: 'start' });
    expect(fromStart.series.start).toBe(90_000);
    expect(Array.from(fromStart.series.values)).toEqual([1, 2]);
    const shifted = regularize(offGrid, { step: minute, offset: 30_000 });
    expect(shifted.series.start).toBe(90_000);
  });

  it('start and end cut the range; samples outside are counted, not used', () => {
    const { series, report } = regularize(samples, { step: minute, start: 60_000, end: 240_000 });
    expect(series.start).toBe(60_000);
    expect(Array.from(series.values)).toEqual([NaN, 7, NaN]);
    expect(report.outOfRange).toBe(3);
    expect(report.emptyBuckets).toBe(2);
  });

  it('an empty input gives an empty series, or empty buckets over a given range', () => {
    expect(regularize([], { step: minute }).series.values.length).toBe(0);
    const ranged = regularize([], { step: minute, start: 0, end: 3 * minute, aggregate: 'count' });
    expect(Array.from(ranged.series.values)).toEqual([0, 0, 0]);
  });

  it('rejects a non-finite timestamp, naming its index', () => {
    expect(() => regularize([{ t: 0, v: 1 }, { t: NaN, v: 2 }], { step: minute })).toThrow(/^1\.t: timestamp must be a finite/);
    try {
      regularize({ t: [0, 1, Infinity], v: [1, 2, 3] }, { step: minute });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SluiceError);
      expect((error as SluiceError).code).toBe('invalid_input');
      expect((error as SluiceError).path).toBe('t.2');
    }
  });

  it('rejects columns of different lengths and bad options, naming the field', () => {
    expect(() => regularize({ t: [0, 1], v: [1] }, { step: minute })).toThrow(/^v: columns differ/);
    expect(() => regularize([], { step: 0 })).toThrow(/step/);
    expect(() => regularize([], { step: minute, aggregate: 'median' as 'mean' })).toThrow(/aggregate/);
    expect(() => regularize([], { step: minute, start: 10, end: 5 })).toThrow(/end/);
    expect(() => regularize([{ t: 0, v: 1 }, { t: 1e12, v: 1 }], { step: 1 })).toThrow(/maxPoints/);
  });

  const sampleArbitrary = fc.record({
    t: fc.integer({ min: -5_000_000, max: 5_000_000 }),
    v: fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(NaN), fc.constant(null)),
  });

  it('property: output is on a regular grid covering every sample, counts add up', () => {
    fc.assert(
      // Steps from 500 ms keep the grid under 20 000 points, so each run stays cheap.
      fc.property(fc.array(sampleArbitrary, { maxLength: 60 }), fc.integer({ min: 500, max: 200_000 }), (rows, step) => {
        const { series, report } = regularize(rows, { step, aggregate: 'count' });
        expect(series.step).toBe(step);
        expect(((series.start % step) + step) % step).toBe(0);
        const distinct = new Map<number, boolean>();
        for (const r of rows) distinct.set(r.t, (distinct.get(r.t) ?? false) || (typeof r.v === 'number' && !Number.isNaN(r.v)));
        for (const t of distinct.keys()) {
          const index = (t - series.start) / step;
          expect(index >= 0 && index < series.values.length).toBe(true);
        }
        const total = series.values.reduce((a, b) => a + b, 0);
        expect(total).toBe([...distinct.values()].filter(Boolean).length);
        expect(report.duplicatesMerged).toBe(rows.length - distinct.size);
        expect(report.buckets).toBe(series.values.length);
      }),
    );
  });

  it('property: max per bucket equals a brute-force scan, whatever the input order', () => {
    fc.assert(
      fc.property(fc.array(sampleArbitrary, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1000, max: 2_000_000 }), (rows, step) => {
        const forward = regularize(rows, { step, aggregate: 'max', duplicates: 'max' });
        const backward = regularize(rows.slice().reverse(), { step, aggregate: 'max', duplicates: 'max' });
        expect(Array.from(backward.series.values)).toEqual(Array.from(forward.series.values));
        const { start, values: out } = forward.series;
        const expected = new Map<number, number>();
        for (const r of rows) {
          if (typeof r.v !== 'number' || Number.isNaN(r.v)) continue;
          const b = Math.floor((r.t - start) / step);
          expected.set(b, Math.max(expected.get(b) ?? -Infinity, r.v));
        }
        expect(Array.from(out)).toEqual(Array.from(out, (_, b) => expected.get(b) ?? NaN));
      }),
    );
  });
});
