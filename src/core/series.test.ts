import { describe, expect, it } from 'vitest';
import { countPresent, endOf, finiteOrNaN, indexAtOrAfter, series, slice, splitAt, timeAt, toJsonValues } from './series.js';

describe('series(start, step, values)', () => {
  it('copies values and turns null and undefined into NaN', () => {
    const source = [1, null, 3, undefined];
    const s = series(1000, 60_000, source);
    expect(Array.from(s.values)).toEqual([1, NaN, 3, NaN]);
    source[0] = 99;
    expect(s.values[0]).toBe(1);
  });

  it('throws on a non-finite start or a step that is not a positive integer', () => {
    expect(() => series(NaN, 1, [])).toThrow(/start/);
    expect(() => series(0, 0, [])).toThrow(/step/);
    expect(() => series(0, 1.5, [])).toThrow(/step/);
  });
});

describe('positions and slices', () => {
  const s = series(0, 10, [0, 1, 2, 3, 4]);

  it('timeAt, endOf and indexAtOrAfter agree', () => {
    expect(timeAt(s, 3)).toBe(30);
    expect(endOf(s)).toBe(50);
    expect(indexAtOrAfter(s, 30)).toBe(3);
    expect(indexAtOrAfter(s, 31)).toBe(4);
    expect(indexAtOrAfter(s, -100)).toBe(0);
    expect(indexAtOrAfter(s, 1000)).toBe(5);
  });

  it('slice clamps its bounds and shares no memory', () => {
    const part = slice(s, 1, 3);
    expect(part.start).toBe(10);
    expect(Array.from(part.values)).toEqual([1, 2]);
    part.values[0] = 42;
    expect(s.values[1]).toBe(1);
    expect(slice(s, -5, 100).values.length).toBe(5);
    expect(slice(s, 4, 2).values.length).toBe(0);
  });

  it('splitAt puts the point at t into after', () => {
    const { before, after } = splitAt(s, 20);
    expect(Array.from(before.values)).toEqual([0, 1]);
    expect(Array.from(after.values)).toEqual([2, 3, 4]);
    expect(after.start).toBe(20);
  });
});

describe('counting and JSON', () => {
  it('countPresent counts non-NaN points', () => {
    expect(countPresent(Float64Array.of(1, NaN, 0, NaN))).toBe(2);
    expect(countPresent(new Float64Array(0))).toBe(0);
  });

  it('finiteOrNaN copies the values with infinities made NaN, leaving its input alone', () => {
    const input = Float64Array.of(1, Infinity, -0, NaN, -Infinity, -2.5);
    const out = finiteOrNaN(input);
    expect(Array.from(out)).toEqual([1, NaN, -0, NaN, NaN, -2.5]);
    expect(Object.is(out[2], -0)).toBe(true);
    expect(input[1]).toBe(Infinity);
    expect(finiteOrNaN([]).length).toBe(0);
  });
  it('toJsonValues maps NaN and infinities to null', () => {
    expect(toJsonValues([1, NaN, Infinity, -2])).toEqual([1, null, null, -2]);
  });
});
