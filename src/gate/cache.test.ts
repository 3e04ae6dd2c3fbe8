import { describe, expect, it } from 'vitest';
import { generateCase, v1Preset } from '../../datasets/generator/index.js';
import { caseUpTo } from '../datasets/case.js';
import { approximateBytes, GateCache } from './cache.js';
import { evaluate } from './evaluate.js';

describe('GateCache(capacity, maxBytes)', () => {
  it('keeps the least recently used entries out once the bytes they hold pass maxBytes', () => {
    const cache = new GateCache(100, 2000);
    cache.get('a', () => new Float64Array(100)); // 800 bytes
    cache.get('b', () => new Float64Array(100));
    cache.get('a', () => new Float64Array(0)); // a hit: a is now the most recent
    cache.get('c', () => new Float64Array(100)); // 2400 > 2000: b goes
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBe(1600);
    let made = false;
    cache.get('b', () => ((made = true), new Float64Array(1)));
    expect(made).toBe(true);
    expect(cache.get('a', () => new Float64Array(0)).length).toBe(100);
  });

  it('keeps an entry larger than the budget until the next one (its caller uses it now), and evicts by count too', () => {
    const cache = new GateCache(2, 100);
    expect(cache.get('big', () => new Float64Array(1000)).length).toBe(1000);
    expect(cache.size).toBe(1);
    cache.get('small', () => 1);
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(8);
    const counted = new GateCache(2);
    for (const k of ['x', 'y', 'z']) counted.get(k, () => k);
    expect(counted.size).toBe(2);
  });

  it('bounds the cache of repeated evaluations: the same verdicts with a budget of a few entries', () => {
    const c = generateCase(v1Preset, 10_000, 'level shift up');
    const unbounded = new GateCache();
    const first = evaluate(c, {}, { cache: unbounded });
    const tight = new GateCache(10_000, 50_000);
    expect(evaluate(c, {}, { cache: tight })).toEqual(first);
    expect(evaluate(c, {}, { cache: tight })).toEqual(first);
    expect(tight.bytes).toBeLessThan(unbounded.bytes);
    expect(unbounded.bytes).toBeGreaterThan(50_000);
  });
});

describe('repeated evaluations of a window that grows each minute', () => {
  it('fit the before/after backtest again only when the window passes a multiple of backtestHorizon (60 points), with the verdicts of an uncached evaluation', () => {
    const full = generateCase({ ...v1Preset, observationPoints: 70 }, 10_000, 'normal');
    const upTo = (points: number) => caseUpTo(full, points);
    const cache = new GateCache();
    const missesAt = new Map<number, number>();
    for (const points of [58, 59, 60, 61, 62, 65, 70]) {
      const before = cache.misses;
      const verdict = evaluate(upTo(points), {}, { cache });
      missesAt.set(points, cache.misses - before);
      expect(verdict).toEqual(evaluate(upTo(points), {}));
    }
    expect(missesAt.get(58)).toBeGreaterThan(0);
    expect([59, 60].map((p) => missesAt.get(p))).toEqual([0, 0]);
    // Past 60 points the backtest is made for 120-point windows, once for both groups of each metric.
    expect(missesAt.get(61)).toBe(2 * full.metrics.length);
    expect([62, 65, 70].map((p) => missesAt.get(p))).toEqual([0, 0, 0]);
  });
});

describe('points that arrive late for minutes already judged', () => {
  it('are seen by the next cached evaluation, as by an uncached one', () => {
    const c = generateCase(v1Preset, 10_001, 'normal');
    const cut = Math.ceil((c.release.deployedAt - c.start) / c.step);
    const cache = new GateCache();
    evaluate(c, {}, { cache });
    // Minute 3 of the window, on most unreleased hosts of every metric: first missing, then late
    // and much higher (the pooled view's centre of that minute moves).
    const at = cut + 3;
    const changed = (late: (v: number) => number) => ({
      ...c,
      metrics: c.metrics.map((m) => ({ ...m, unreleased: m.unreleased.map((h, i) => (i === 0 ? h : { ...h, values: Float64Array.from(h.values, (v, j) => (j === at ? late(v) : v)) })) })),
    });
    for (const late of [() => NaN, (v: number) => v * 3]) {
      const now = changed(late);
      const cached = evaluate(now, {}, { cache });
      const fresh = evaluate(now, {});
      expect(cached).toEqual(fresh);
      expect(cached.metrics.map((m) => m.views.pooled)).not.toEqual(evaluate(c, {}).metrics.map((m) => m.views.pooled));
    }
  });
});

describe('approximateBytes(value)', () => {
  it('counts the whole buffer behind a typed array once, numbers, strings and nested objects', () => {
    const buffer = new Float64Array(64);
    expect(approximateBytes(buffer.subarray(0, 8))).toBe(512);
    expect(approximateBytes({ a: buffer, b: buffer.subarray(4), c: [buffer] })).toBe(16 + 3 * 16 + 512 + 16 + 16);
    expect(approximateBytes({ n: 1, s: 'abcd' })).toBe(16 + 16 + 8 + 16 + 8);
    expect(approximateBytes(null)).toBe(0);
  });
});
