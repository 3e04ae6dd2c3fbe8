import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import { series, type Series } from '../../src/core/series.js';
import { holtWintersConfigSchema, holtWintersDetector, topQuarterMean } from './index.js';

const step = 60_000;
const period = 24;

/** Deterministic uniform numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A daily-shaped metric around 100 with a slow trend and noise of σ ≈ 1. */
function metric(length: number, seed = 1, from = 0): number[] {
  const next = random(seed);
  return Array.from({ length }, (_, k) => {
    const i = k + from;
    const noise = (next() + next() + next() - 1.5) * 2;
    return 100 + 0.02 * i + 15 * Math.sin((2 * Math.PI * i) / period) + noise;
  });
}

function caseOf(historyLength: number, treatedValues: (number | null)[]): { history: Series; treated: Series } {
  const history = series(0, step, metric(historyLength));
  const treated = series(historyLength * step, step, treatedValues);
  return { history, treated };
}

const config = parseConfig(holtWintersConfigSchema, { period }, 'holtWinters config');

describe('holtWintersDetector.detect(input, config)', () => {
  it('scores a continuation of the history low', () => {
    const next = metric(60, 1, 0).slice(0);
    const continuation = metric(24 * 8 + 60, 1).slice(24 * 8);
    expect(next.length).toBe(60);
    const result = holtWintersDetector.detect(caseOf(24 * 8, continuation), config);
    expect(result.status).toBe('ok');
    expect(result.anomalous).toBe(false);
    expect(result.score).toBeLessThan(40);
    expect(result.evidence.pointsOutside).toBeLessThanOrEqual(2);
    expect(result.evidence.treatedPoints).toBe(60);
  });

  it('flags a sustained upward shift, with direction and evidence', () => {
    const shifted = metric(24 * 8 + 60, 1).slice(24 * 8).map((v, i) => (i >= 20 ? v + 12 : v));
    const result = holtWintersDetector.detect(caseOf(24 * 8, shifted), config);
    expect(result.anomalous).toBe(true);
    expect(result.score).toBeGreaterThan(80);
    expect(result.direction).toBe('up');
    expect(result.evidence.pointsOutside).toBeGreaterThanOrEqual(35);
    expect(result.evidence.sigma).toBeGreaterThan(0.5);
    expect(result.evidence.sigma).toBeLessThan(2);
    for (const key of ['alpha', 'beta', 'gamma', 'sse', 'delta']) expect(typeof result.evidence[key]).toBe('number');
    expect(result.plot?.map((p) => p.role)).toEqual(['observed', 'forecast', 'lower', 'upper', 'score']);
    const upper = result.plot![3].values;
    const lower = result.plot![2].values;
    expect(upper[0]! - lower[0]!).toBeCloseTo(2 * (result.evidence.delta as number), 9);
  });

  it('ignores the harmless direction', () => {
    const shifted = metric(24 * 8 + 60, 1).slice(24 * 8).map((v) => v - 12);
    const input = { ...caseOf(24 * 8, shifted), direction: 'up' as const };
    const result = holtWintersDetector.detect(input, config);
    expect(result.score).toBe(0);
    expect(result.anomalous).toBe(false);
    expect(holtWintersDetector.detect({ ...input, direction: 'down' }, config).direction).toBe('down');
  });

  it('one spike in a long window does not make the window anomalous', () => {
    const values = metric(24 * 8 + 60, 1).slice(24 * 8);
    values[30] += 40;
    const result = holtWintersDetector.detect(caseOf(24 * 8, values), config);
    expect(result.evidence.maxPointScore).toBeGreaterThan(99);
    expect(result.anomalous).toBe(false);
  });

  it('robust fitting keeps a past incident from widening the band', () => {
    const history = metric(24 * 8);
    for (let i = 100; i < 106; i++) history[i] += 60;
    const treated = metric(24 * 8 + 30, 1).slice(24 * 8).map((v) => v + 6);
    const input = { history: series(0, step, history), treated: series(24 * 8 * step, step, treated) };
    const robust = holtWintersDetector.detect(input, config);
    const plain = holtWintersDetector.detect(input, { ...config, robustIterations: 0 });
    expect(robust.evidence.excludedHistoryPoints).toBeGreaterThanOrEqual(6);
    expect(robust.evidence.sigma as number).toBeLessThan(plain.evidence.sigma as number);
    expect(robust.score).toBeGreaterThan(plain.score);
    expect(robust.anomalous).toBe(true);
  });

  it("band: 'horizon' starts at bandWidth·σ and widens with the horizon", () => {
    const values = metric(24 * 8 + 48, 1).slice(24 * 8);
    const result = holtWintersDetector.detect(caseOf(24 * 8, values), { ...config, band: 'horizon', alpha: 0.3, beta: 0.1, gamma: 0.2 });
    const lower = result.plot![2].values as number[];
    const upper = result.plot![3].values as number[];
    expect((upper[0] - lower[0]) / 2).toBeCloseTo(3 * (result.evidence.sigma as number), 9);
    expect(upper[47] - lower[47]).toBeGreaterThan(1.5 * (upper[0] - lower[0]));
  });

  it('a gap between history and the window is forecast across', () => {
    const all = metric(24 * 8 + 40, 1);
    const input = { history: series(0, step, all.slice(0, 24 * 8)), treated: series((24 * 8 + 10) * step, step, all.slice(24 * 8 + 10)) };
    const result = holtWintersDetector.detect(input, config);
    expect(result.evidence.horizonOffset).toBe(10);
    expect(result.anomalous).toBe(false);
  });

  it('too short a history gives insufficient_data naming two seasons', () => {
    const result = holtWintersDetector.detect(caseOf(47, metric(10)), config);
    expect(result.status).toBe('insufficient_data');
    expect(result.reason).toContain('holtWinters requires at least two full seasons of history');
    expect(result.score).toBe(0);
    expect(result.anomalous).toBe(false);
    expect(holtWintersDetector.detect({ treated: series(0, step, [1, 2]) }, config).status).toBe('insufficient_data');
    expect(holtWintersDetector.detect(caseOf(24 * 8, [null, null]), config).status).toBe('insufficient_data');
    const negative = { history: series(0, step, metric(24 * 8).map((v) => v - 200)), treated: series(24 * 8 * step, step, [1]) };
    expect(holtWintersDetector.detect(negative, { ...config, seasonal: 'multiplicative' }).status).toBe('insufficient_data');
  });

  it('a bad parameter throws a config error naming the field', () => {
    expect(() => parseConfig(holtWintersConfigSchema, { alpha: 1.5 }, 'holtWinters config')).toThrow(/alpha/);
    expect(() => parseConfig(holtWintersConfigSchema, { period: 0 }, 'holtWinters config')).toThrow(/period/);
    expect(() => parseConfig(holtWintersConfigSchema, { bandWidth: -1 }, 'holtWinters config')).toThrow(/bandWidth/);
    expect(() => parseConfig(holtWintersConfigSchema, { seasonal: 'weekly' }, 'holtWinters config')).toThrow(/seasonal/);
  });

  it('topQuarterMean averages the highest ⌈n/4⌉ scores', () => {
    expect(topQuarterMean([])).toBe(0);
    expect(topQuarterMean([10])).toBe(10);
    expect(topQuarterMean([0, 100, 0, 0, 50])).toBe(75);
  });
});

describe('holtWintersDetector properties', () => {
  const gappy = (minLength: number, maxLength: number) =>
    fc.array(fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: null, freq: 5 }), { minLength, maxLength });

  it('never throws; score in [0, 100]; status ok or insufficient_data', () => {
    fc.assert(
      fc.property(gappy(0, 40), gappy(0, 10), fc.integer({ min: 2, max: 6 }), fc.constantFrom('additive', 'multiplicative', 'none') as fc.Arbitrary<'additive' | 'multiplicative' | 'none'>, (history, treated, p, seasonal) => {
        const input = { history: series(0, step, history), treated: series(history.length * step, step, treated) };
        const result = holtWintersDetector.detect(input, { ...config, period: p, seasonal });
        expect(['ok', 'insufficient_data']).toContain(result.status);
        expect(result.score).toBeGreaterThanOrEqual(0);
        expect(result.score).toBeLessThanOrEqual(100);
        expect(Number.isFinite(result.score)).toBe(true);
        if (result.status === 'insufficient_data') expect(result.reason).toBeTruthy();
      }),
      { numRuns: 150 },
    );
  });

  it('with fixed parameters the score is unchanged when the metric is scaled', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), fc.integer({ min: 0, max: 1000 }), (c, seed) => {
        const fixed = { ...config, alpha: 0.3, beta: 0.05, gamma: 0.2, robustIterations: 0 };
        const history = metric(24 * 4, seed);
        const treated = metric(24 * 4 + 12, seed).slice(24 * 4).map((v, i) => v + (i % 3) * 2);
        const a = holtWintersDetector.detect({ history: series(0, step, history), treated: series(96 * step, step, treated) }, fixed);
        const b = holtWintersDetector.detect({ history: series(0, step, history.map((v) => v * c)), treated: series(96 * step, step, treated.map((v) => v * c)) }, fixed);
        expect(b.score).toBeCloseTo(a.score, 6);
      }),
      { numRuns: 40 },
    );
  });
});
