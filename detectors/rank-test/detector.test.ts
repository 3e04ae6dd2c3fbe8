import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseConfig } from '../../src/core/config.js';
import { series } from '../../src/core/series.js';
import { classifyShift, rankTestDetector } from './index.js';

const config = (over: Record<string, unknown> = {}) => parseConfig(rankTestDetector.configSchema, over, 'rankTest config');
const start = 1_700_000_000_000;
const step = 60_000;
// A deterministic, irregular sample around 100.
const noisy = (n: number, level = 100, seed = 1) => Array.from({ length: n }, (_, i) => level + (((i + seed) * 7919) % 101) / 10 - 5);
const valueWithGaps = fc.oneof({ weight: 5, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }) }, { weight: 1, arbitrary: fc.constant(NaN) });

describe('classifyShift(treated, control, direction, config) — Kayenta MannWhitneyClassifier', () => {
  it('classifies High, Low, Pass and NoData', () => {
    const control = noisy(30, 100, 3);
    expect(classifyShift(noisy(30, 130), control, 'both', config()).classification).toBe('High');
    expect(classifyShift(noisy(30, 70), control, 'both', config()).classification).toBe('Low');
    expect(classifyShift(noisy(30, 100, 7), control, 'both', config()).classification).toBe('Pass');
    expect(classifyShift([1, 2], control, 'both', config()).classification).toBe('NoData');
  });

  it('ignores the harmless direction', () => {
    const control = noisy(30, 100, 3);
    expect(classifyShift(noisy(30, 130), control, 'down', config()).classification).toBe('Pass');
    expect(classifyShift(noisy(30, 70), control, 'up', config()).classification).toBe('Pass');
  });

  it('needs the interval beyond the tolerance band: significant but inside ±25 % of the shift passes', () => {
    const control = noisy(40, 100, 3);
    const treated = noisy(40, 101.5, 11);
    const judgement = classifyShift(treated, control, 'both', config());
    const test = judgement.test!;
    // Interval [0.30, 3.10] excludes 0 (p ≈ 0.018) but its lower end is below 0.25 · 1.80 = 0.45.
    expect(test.pValue).toBeLessThan(0.05);
    expect(test.confInt[0]).toBeGreaterThan(0);
    expect(judgement.toleranceBand[1]).toBeCloseTo(0.25 * Math.abs(test.estimate), 12);
    expect(test.confInt[0]).toBeLessThan(judgement.toleranceBand[1]);
    expect(judgement.classification).toBe('Pass');
    expect(classifyShift(treated, control, 'both', config({ tolerance: 0 })).classification).toBe('High');
    const result = rankTestDetector.detect({ treated: series(start, step, treated), control: series(start, step, control) }, config());
    expect(result.score).toBe(49.9);
  });

  it('applies the effect-size (mean ratio) thresholds', () => {
    const control = noisy(30, 100, 3);
    expect(classifyShift(noisy(30, 110), control, 'both', config({ effectSizeHigh: 1.2 })).classification).toBe('Pass');
    expect(classifyShift(noisy(30, 130), control, 'both', config({ effectSizeHigh: 1.2 })).classification).toBe('High');
  });

  it('passes identical and single-valued samples', () => {
    expect(classifyShift([3, 1, 2], [1, 2, 3], 'both', config()).classification).toBe('Pass');
    expect(classifyShift([4, 4, 4], [4, 4, 4, 4], 'both', config()).classification).toBe('Pass');
    // Both constant but different: the shift is exact, and beyond any tolerance.
    expect(classifyShift([5, 5, 5, 5, 5], [4, 4, 4, 4, 4], 'both', config()).classification).toBe('High');
  });
});

describe('rankTestDetector.detect(input, config)', () => {
  it('flags a large shift on treated in the right direction with a score of at least 50', () => {
    const control = series(start, step, noisy(30, 100, 3));
    const up = rankTestDetector.detect({ treated: series(start, step, noisy(30, 150)), control, direction: 'up' }, config());
    expect(up.anomalous).toBe(true);
    expect(up.direction).toBe('up');
    expect(up.evidence.classification).toBe('High');
    expect(up.score).toBeGreaterThan(80);
    const harmless = rankTestDetector.detect({ treated: series(start, step, noisy(30, 150)), control, direction: 'down' }, config());
    expect(harmless.anomalous).toBe(false);
    expect(harmless.score).toBe(0);
  });

  it('compares per-host means when treatedHosts and controlHosts are given', () => {
    const hosts = (level: number, count: number) => Array.from({ length: count }, (_, h) => series(start, step, noisy(20, level + h * 0.3, h)));
    const treated = series(start, step, noisy(20, 120));
    const result = rankTestDetector.detect({ treated, control: series(start, step, noisy(20, 100)), treatedHosts: hosts(120, 6), controlHosts: hosts(100, 8) }, config());
    expect(result.evidence.samples).toBe('host_means');
    expect(result.evidence.treatedCount).toBe(6);
    expect(result.evidence.controlCount).toBe(8);
    expect(result.evidence.method).toBe('exact');
    expect(result.evidence.classification).toBe('High');
  });

  it('gives NoData as insufficient_data, never a pass', () => {
    const result = rankTestDetector.detect({ treated: series(start, step, [1, NaN, NaN]), control: series(start, step, [1, 2, 3]) }, config());
    expect(result.status).toBe('insufficient_data');
    expect(result.evidence.classification).toBe('NoData');
    expect(result.anomalous).toBe(false);
  });

  it('rejects a bad parameter naming the field', () => {
    expect(() => config({ confLevel: 1.5 })).toThrow(/confLevel/);
  });

  it('never throws, scores in 0–100; identical treated and control never anomalous; scale-free', () => {
    fc.assert(
      fc.property(fc.array(valueWithGaps, { maxLength: 60 }), fc.array(valueWithGaps, { maxLength: 60 }), fc.constantFrom<'up' | 'down' | 'both'>('up', 'down', 'both'), (t, c, direction) => {
        const result = rankTestDetector.detect({ treated: series(start, step, t), control: series(start, step, c), direction }, config());
        expect(result.score).toBeGreaterThanOrEqual(0);
        expect(result.score).toBeLessThanOrEqual(100);
        expect(result.anomalous).toBe(result.score >= 50);
        const same = rankTestDetector.detect({ treated: series(start, step, t), control: series(start, step, t), direction }, config());
        expect(same.anomalous).toBe(false);
        const scaled = rankTestDetector.detect({ treated: series(start, step, t.map((v) => v * 4)), control: series(start, step, c.map((v) => v * 4)), direction }, config());
        expect(scaled.evidence.classification).toBe(result.evidence.classification);
      }),
      { numRuns: 200 },
    );
  });

  it('a large injected shift on treated only is anomalous in the right direction', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 5, arbitrary: fc.double({ min: 10, max: 20, noNaN: true }) }, { weight: 1, arbitrary: fc.constant(NaN) }), { minLength: 20, maxLength: 60 }), fc.boolean(), (values, rise) => {
        fc.pre(values.filter(Number.isFinite).length >= 10);
        const treated = values.map((v) => (rise ? v + 100 : v - 100));
        const result = rankTestDetector.detect({ treated: series(start, step, treated), control: series(start, step, values), direction: rise ? 'up' : 'down' }, config());
        expect(result.anomalous).toBe(true);
        expect(result.direction).toBe(rise ? 'up' : 'down');
      }),
      { numRuns: 100 },
    );
  });
});
