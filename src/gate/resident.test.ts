import { describe, expect, it } from 'vitest';
import { generateCase, v1Preset } from '../../datasets/generator/index.js';
import type { ParsedCase } from '../datasets/case.js';
import { releasePoint, ResidentCases, seriesOf, windowUpdate } from './resident.js';

/** `c` with every series `extra` points longer (new minutes of the window), values from `at`. */
function longer(c: ParsedCase, extra: number, at: number): ParsedCase {
  const grow = (h: { host: string; values: Float64Array }) => {
    const values = new Float64Array(h.values.length + extra);
    values.set(h.values);
    for (let i = 0; i < extra; i++) values[h.values.length + i] = at + i;
    return { host: h.host, values };
  };
  return { ...c, id: `${c.id}+${extra}`, metrics: c.metrics.map((m) => ({ ...m, released: m.released.map(grow), unreleased: m.unreleased.map(grow) })) };
}

describe('ResidentCases', () => {
  it('gives back the case after each update, across growth beyond the room kept', () => {
    const c = generateCase(v1Preset, 30_000, 'normal');
    const resident = new ResidentCases();
    expect(resident.keep('b', c)).toEqual(c);
    for (const extra of [1, 5, 400]) {
      const next = longer(c, extra, extra * 1000);
      const u = windowUpdate(next);
      expect(u.from).toBe(releasePoint(next));
      const got = resident.update('b', u) as ParsedCase;
      expect(got.id).toBe(next.id);
      expect(seriesOf(got)).toEqual(seriesOf(next));
    }
  });

  it('sends only the points from the release on', () => {
    const c = generateCase(v1Preset, 30_001, 'normal');
    const u = windowUpdate(c);
    const series = seriesOf(c);
    expect(u.window.length).toBe(series.reduce((s, v) => s + v.length - u.from, 0));
    expect(u.window.length).toBeLessThan(series.reduce((s, v) => s + v.length, 0) / 10);
  });

  it('has nothing for a batch never kept, dropped, or of another shape', () => {
    const a = generateCase(v1Preset, 30_002, 'normal');
    const b = generateCase(v1Preset, 30_003, 'normal');
    const resident = new ResidentCases(1);
    resident.keep('a', a);
    resident.keep('b', b);
    expect(resident.size).toBe(1);
    expect(resident.update('a', windowUpdate(a))).toBeNull();
    expect(resident.update('x', windowUpdate(a))).toBeNull();
    const fewer = { ...b, metrics: b.metrics.slice(1) };
    expect(resident.update('b', windowUpdate(fewer))).toBeNull();
    // Bounded by bytes too: a budget smaller than one batch keeps only the one in use.
    const small = new ResidentCases(64, 1024);
    small.keep('a', a);
    small.keep('b', b);
    expect(small.size).toBe(1);
    expect(small.update('b', windowUpdate(b))).not.toBeNull();
  });
});
