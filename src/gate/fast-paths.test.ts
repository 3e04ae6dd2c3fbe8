import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateCase, v1Preset } from '../../datasets/generator/index.js';
import { didDetect, didDetector, didConfigSchema } from '../../detectors/did/did.js';
import type { Direction } from '../core/detector.js';
import { series } from '../core/series.js';
import { nanMad, nanMedian } from '../core/stats.js';
import { madOf, medianOf, nullMaxima, windowStatistics } from '../core/window-stats.js';
import type { ParsedCase } from '../datasets/case.js';
import { aggregateHosts, aggregateWith, planAggregation } from './aggregate.js';
import { GateCache } from './cache.js';
import { evaluate } from './evaluate.js';

// The gate's fast paths (selection medians, sliding null maxima, history work done once and
// cached) must give exactly what the straightforward computations give.

const value = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(NaN, NaN, 0, 1, 1, 2, 5));
const sameNumber = (a: number, b: number) => a === b || (a !== a && b !== b);

/** nullMaxima as defined: windowStatistics of every window, sorted afresh. */
function nullMaximaByDefinition(z: ArrayLike<number>, n: number, direction: Direction, minCount: number) {
  const out = { windows: 0, shift: 0, burst: 0, spread: 0 };
  for (let from = 0; from + n <= z.length; from++) {
    const stats = windowStatistics(z, from, from + n, direction);
    if (stats.count < minCount) continue;
    out.windows++;
    out.shift = Math.max(out.shift, stats.shift);
    out.burst = Math.max(out.burst, stats.burst);
    out.spread = Math.max(out.spread, stats.spread);
  }
  return out;
}

describe('window statistics fast paths', () => {
  it('medianOf(values, from, to) equals nanMedian of the same span', () => {
    fc.assert(fc.property(fc.array(value, { maxLength: 80 }), fc.nat(10), (values, skip) => {
      const from = Math.min(skip, values.length);
      expect(sameNumber(medianOf(values, from, values.length), nanMedian(values.slice(from)))).toBe(true);
    }), { numRuns: 500 });
  });
  it('madOf(values, from, to) equals nanMad of the same span', () => {
    fc.assert(fc.property(fc.array(value, { maxLength: 80 }), (values) => {
      expect(sameNumber(madOf(values, 0, values.length), nanMad(values))).toBe(true);
    }), { numRuns: 500 });
  });
  it('nullMaxima(z, n, direction, minCount) equals the statistics of every window sorted afresh', () => {
    fc.assert(fc.property(fc.array(value, { maxLength: 120 }), fc.integer({ min: 1, max: 40 }), fc.constantFrom<Direction>('up', 'down', 'both'), fc.nat(20), (z, n, direction, minCount) => {
      expect(nullMaxima(z, n, direction, minCount)).toEqual(nullMaximaByDefinition(z, n, direction, minCount));
    }), { numRuns: 500 });
  });
});

describe('aggregateWith(hosts, planAggregation(…)) over parts', () => {
  it('the history and the window aggregated apart equal aggregateHosts over the whole span; hostMeans are the hosts\' window means', () => {
    const hosts = fc.array(fc.array(value, { minLength: 30, maxLength: 30 }).map((v) => Float64Array.from(v)), { minLength: 1, maxLength: 6 });
    fc.assert(fc.property(hosts, fc.constantFrom('mean', 'sum', 'p95', 'max', 'median') as fc.Arbitrary<'mean' | 'sum' | 'p95' | 'max' | 'median'>, fc.integer({ min: 1, max: 29 }), (h, how, cut) => {
      const levels = { from: Math.max(0, cut - 12), to: cut };
      const whole = aggregateHosts(h, how, 0, 30, levels);
      const plan = planAggregation(h, how, levels);
      const means = new Float64Array(h.length);
      const parts = [...aggregateWith(h, plan, 0, cut), ...aggregateWith(h, plan, cut, 30, means)];
      expect(parts).toEqual([...whole]);
      h.forEach((host, i) => {
        const present = [...host.subarray(cut)].filter((v) => v === v);
        expect(means[i]).toBe(present.length === 0 ? NaN : present.reduce((a, b) => a + b, 0) / present.length);
      });
    }), { numRuns: 300 });
  });
  it('a long span is aggregated in blocks without changing any step', () => {
    const hosts = [Float64Array.from({ length: 5000 }, (_, i) => 10 + (i % 7)), Float64Array.from({ length: 5000 }, (_, i) => (i % 11 === 0 ? NaN : 20 + (i % 5)))];
    const out = aggregateHosts(hosts, 'mean', 0, 5000);
    expect(out[0]).toBe(10);
    expect(out[4096]).toBe((10 + (4096 % 7) + 20 + (4096 % 5)) / 2);
    expect(out[4400]).toBe(10 + (4400 % 7));
  });
});

/** The case as seen `observed` points after the release (its series cut there). */
function observedFor(c: ParsedCase, observed: number): ParsedCase {
  const end = Math.ceil((c.release.deployedAt - c.start) / c.step) + observed;
  const cut = (hosts: ParsedCase['metrics'][number]['released']) => hosts.map((h) => ({ host: h.host, values: h.values.slice(0, end) }));
  return { ...c, metrics: c.metrics.map((m) => ({ ...m, released: cut(m.released), unreleased: cut(m.unreleased) })) };
}

describe('evaluate(case, policy, { cache }) while the window grows', () => {
  it('gives the verdict of an evaluation without a cache at every minute, computing the history once', () => {
    for (const [index, kind] of [[20_000, 'latency regression on a few hosts'], [20_001, 'traffic peak'], [20_002, 'data gaps']] as const) {
      const c = generateCase(v1Preset, index, kind);
      const cache = new GateCache();
      let misses = 0;
      for (const observed of [10, 20, 30]) {
        const seen = observedFor(c, observed);
        expect(evaluate(seen, {}, { cache }), `${c.id} at ${observed}`).toEqual(evaluate(seen));
        if (observed === 10) misses = cache.misses;
      }
      // Window lengths below the backtest horizon share every cached entry.
      expect(cache.misses, c.id).toBe(misses);
    }
  });
});

describe('did with prepare', () => {
  const config = didConfigSchema.parse({});
  const step = 60_000;
  const make = (shift: number, seed: number) => {
    const wave = (i: number, k: number) => 100 + 10 * Math.sin(i / 30) + ((i * k * 7919) % 13) / 4;
    const history = series(0, step, Float64Array.from({ length: 400 }, (_, i) => wave(i, seed) + 2));
    const controlHistory = series(0, step, Float64Array.from({ length: 400 }, (_, i) => wave(i, seed + 1)));
    const treated = series(400 * step, step, Float64Array.from({ length: 30 }, (_, i) => wave(400 + i, seed) + 2 + shift));
    const control = series(400 * step, step, Float64Array.from({ length: 30 }, (_, i) => wave(400 + i, seed + 1)));
    return { treated, control, history, controlHistory, direction: 'up' as const };
  };
  it('reuses the baseline for the same history and rebuilds it when the history differs', () => {
    const prepared = didDetector.prepare?.({}, config);
    for (const input of [make(0, 1), make(8, 1), make(8, 2), make(0, 1)]) {
      expect(didDetect({ ...input, prepared }, config)).toEqual(didDetect(input, config));
    }
    expect(didDetect(make(8, 1), config).score).toBeGreaterThan(didDetect(make(0, 1), config).score);
  });
});
