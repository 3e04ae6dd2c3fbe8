import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseConfig } from '../../src/core/config.js';
import { series } from '../../src/core/series.js';
import { dtwDetector } from './index.js';

const config = (over: Record<string, unknown> = {}) => parseConfig(dtwDetector.configSchema, over, 'dtw config');
const start = 1_700_000_000_000;
const step = 60_000;
const wave = (n: number, level = 100) => Array.from({ length: n }, (_, i) => level + 5 * Math.sin(i / 4) + ((i * 7919) % 13) / 13);
const valueWithGaps = fc.oneof({ weight: 5, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }) }, { weight: 1, arbitrary: fc.constant(NaN) });

describe('dtwDetector.detect(input, config)', () => {
  it('scores identical treated and control 0, not anomalous', () => {
    const values = wave(60);
    const result = dtwDetector.detect({ treated: series(start, step, values), control: series(start, step, values) }, config());
    expect(result.status).toBe('ok');
    expect(result.score).toBe(0);
    expect(result.anomalous).toBe(false);
    expect(result.evidence.distance).toBe(0);
  });

  it('follows the documented calibration: a 20 % level shift scores 50 with cost absolute and a lock-step band', () => {
    const control = Array.from({ length: 30 }, () => 100);
    const treated = control.map((v) => v * 1.2);
    const result = dtwDetector.detect({ treated: series(start, step, treated), control: series(start, step, control) }, config({ windowFraction: 0 }));
    expect(result.evidence.normalizedDistance).toBeCloseTo(0.2, 12);
    expect(result.score).toBeCloseTo(50, 9);
    expect(result.direction).toBe('up');
  });

  it('flags a large shift on treated in the right direction and prunes it', () => {
    const control = wave(60);
    const up = control.map((v) => v * 30);
    const down = control.map((v) => v * 0.2);
    const high = dtwDetector.detect({ treated: series(start, step, up), control: series(start, step, control), direction: 'up' }, config());
    expect(high.anomalous).toBe(true);
    expect(high.direction).toBe('up');
    expect(high.evidence.pruned).toBe(true);
    expect(high.score).toBeGreaterThanOrEqual(99);
    const low = dtwDetector.detect({ treated: series(start, step, down), control: series(start, step, control), direction: 'down' }, config());
    expect(low.anomalous).toBe(true);
    expect(low.direction).toBe('down');
  });

  it('does not flag a change in the harmless direction', () => {
    const control = wave(60);
    const down = control.map((v) => v * 0.5);
    const result = dtwDetector.detect({ treated: series(start, step, down), control: series(start, step, control), direction: 'up' }, config());
    expect(result.direction).toBe('down');
    expect(result.score).toBe(0);
    expect(result.anomalous).toBe(false);
  });

  it('falls back to the history tail without a control, and says so', () => {
    const history = wave(120);
    const result = dtwDetector.detect({ treated: series(start, step, wave(30).map((v) => v + 80)), history: series(start - 120 * step, step, history) }, config());
    expect(result.evidence.mode).toBe('before_after');
    expect(result.anomalous).toBe(true);
  });

  it('returns insufficient_data, not a throw, on too little or no data', () => {
    const empty = dtwDetector.detect({ treated: series(start, step, [1, 2, 3]) }, config());
    expect(empty.status).toBe('insufficient_data');
    expect(empty.reason).toMatch(/control/);
    const gaps = dtwDetector.detect({ treated: series(start, step, [1, NaN, NaN, 4, 5, 6]), control: series(start, step, [1, 2, 3, NaN, 5, 6]) }, config());
    expect(gaps.status).toBe('insufficient_data');
    expect(gaps.reason).toMatch(/at least 5/);
  });

  it('rejects a bad parameter naming the field', () => {
    expect(() => config({ windowFraction: 2 })).toThrow(/windowFraction/);
    expect(() => config({ cost: 'cubic' })).toThrow(/cost/);
  });

  it('never throws, scores in 0–100, on any input with NaN gaps; is scale-invariant', () => {
    fc.assert(
      fc.property(fc.array(valueWithGaps, { minLength: 0, maxLength: 40 }), fc.array(valueWithGaps, { minLength: 0, maxLength: 40 }), fc.constantFrom<'up' | 'down' | 'both'>('up', 'down', 'both'), fc.double({ min: 0.001, max: 1000, noNaN: true }), (t, c, direction, factor) => {
        const result = dtwDetector.detect({ treated: series(start, step, t), control: series(start, step, c), direction }, config());
        expect(result.score).toBeGreaterThanOrEqual(0);
        expect(result.score).toBeLessThanOrEqual(100);
        const scaled = dtwDetector.detect({ treated: series(start, step, t.map((v) => v * factor)), control: series(start, step, c.map((v) => v * factor)), direction }, config());
        expect(scaled.status).toBe(result.status);
        expect(Math.abs(scaled.score - result.score)).toBeLessThanOrEqual(1e-6 * 100);
      }),
      { numRuns: 200 },
    );
  });

  it('identical treated and control with gaps is never anomalous; a large shift always is', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 5, arbitrary: fc.double({ min: 1, max: 1e4, noNaN: true }) }, { weight: 1, arbitrary: fc.constant(NaN) }), { minLength: 10, maxLength: 60 }), (values) => {
        fc.pre(values.filter(Number.isFinite).length >= 5);
        const same = dtwDetector.detect({ treated: series(start, step, values), control: series(start, step, values) }, config());
        expect(same.anomalous).toBe(false);
        const shifted = dtwDetector.detect({ treated: series(start, step, values.map((v) => v * 4)), control: series(start, step, values), direction: 'up' }, config());
        expect(shifted.anomalous).toBe(true);
        expect(shifted.direction).toBe('up');
      }),
      { numRuns: 150 },
    );
  });
});
