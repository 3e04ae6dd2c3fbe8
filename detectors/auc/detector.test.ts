import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseConfig } from '../../src/core/config.js';
import { series } from '../../src/core/series.js';
import { aucDetector } from './index.js';

const config = (over: Record<string, unknown> = {}) => parseConfig(aucDetector.configSchema, over, 'auc config');
const start = 1_700_000_000_000;
const step = 60_000;
const wave = (n: number, level = 100) => Array.from({ length: n }, (_, i) => level + 5 * Math.sin(i / 4));
const valueWithGaps = fc.oneof({ weight: 5, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }) }, { weight: 1, arbitrary: fc.constant(NaN) });

describe('aucDetector.detect(input, config)', () => {
  it('follows the documented calibration: +10 % area scores 50, +30 % scores 75', () => {
    const control = Array.from({ length: 31 }, () => 200);
    const ten = aucDetector.detect({ treated: series(start, step, control.map((v) => v * 1.1)), control: series(start, step, control) }, config());
    expect(ten.evidence.relativeChange).toBeCloseTo(0.1, 12);
    expect(ten.evidence.signedArea).toBeCloseTo(20 * 30 * step, 3);
    expect(ten.score).toBeCloseTo(50, 9);
    expect(ten.direction).toBe('up');
    const thirty = aucDetector.detect({ treated: series(start, step, control.map((v) => v * 0.7)), control: series(start, step, control) }, config());
    expect(thirty.evidence.relativeChange).toBeCloseTo(-0.3, 12);
    expect(thirty.score).toBeCloseTo(75, 9);
    expect(thirty.direction).toBe('down');
    expect(thirty.anomalous).toBe(true);
  });

  it('scores identical curves 0 and a harmless change 0', () => {
    const values = wave(40);
    expect(aucDetector.detect({ treated: series(start, step, values), control: series(start, step, values) }, config()).score).toBe(0);
    const down = aucDetector.detect({ treated: series(start, step, values.map((v) => v / 2)), control: series(start, step, values), direction: 'up' }, config());
    expect(down.score).toBe(0);
    expect(down.anomalous).toBe(false);
    expect(down.direction).toBe('down');
  });

  it('compares before vs after against the history tail when there is no control', () => {
    const result = aucDetector.detect({ treated: series(start, step, wave(30, 150)), history: series(start - 100 * step, step, wave(100)) }, config());
    expect(result.evidence.mode).toBe('before_after');
    expect(result.evidence.relativeChange).toBeGreaterThan(0.4);
    expect(result.anomalous).toBe(true);
  });

  it('aligns a control that starts at another minute by timestamp', () => {
    const control = series(start - 5 * step, step, [...Array(5).fill(999), ...Array(20).fill(100)]);
    const result = aucDetector.detect({ treated: series(start, step, Array(20).fill(100)), control }, config());
    expect(result.score).toBe(0);
  });

  it('subtracts the gap the groups already had before the release (difference in differences)', () => {
    const control = series(start, step, Array(30).fill(100));
    const history = series(start - 60 * step, step, Array(60).fill(105));
    const controlHistory = series(start - 60 * step, step, Array(60).fill(100));
    // Treated hosts always ran 5 % hotter: no change.
    const same = aucDetector.detect({ treated: series(start, step, Array(30).fill(105)), control, history, controlHistory }, config());
    expect(same.evidence.windowRelativeChange).toBeCloseTo(0.05, 12);
    expect(same.evidence.baselineRelativeGap).toBeCloseTo(0.05, 12);
    expect(same.evidence.relativeChange).toBeCloseTo(0, 12);
    expect(same.score).toBeCloseTo(0, 6);
    // Without the baseline the same input reads as +5 %.
    expect(aucDetector.detect({ treated: series(start, step, Array(30).fill(105)), control, history, controlHistory }, config({ baselinePoints: 0 })).evidence.relativeChange).toBeCloseTo(0.05, 12);
    // A real +20 % on top of the old gap.
    const worse = aucDetector.detect({ treated: series(start, step, Array(30).fill(125)), control, history, controlHistory }, config());
    expect(worse.evidence.relativeChange).toBeCloseTo(0.2, 12);
    expect(worse.score).toBeCloseTo(100 * 0.2 / 0.3, 6);
  });

  it('returns insufficient_data on too little data and rejects bad parameters by name', () => {
    const few = aucDetector.detect({ treated: series(start, step, [1, 2, NaN]), control: series(start, step, [1, 2, 3]) }, config());
    expect(few.status).toBe('insufficient_data');
    expect(() => config({ halfScore: 0 })).toThrow(/halfScore/);
  });

  it('never throws, scores in 0–100 on any input with NaN gaps, scale-invariant', () => {
    fc.assert(
      fc.property(fc.array(valueWithGaps, { maxLength: 40 }), fc.array(valueWithGaps, { maxLength: 40 }), fc.constantFrom<'up' | 'down' | 'both'>('up', 'down', 'both'), fc.constantFrom(0.5, 3, 1000), (t, c, direction, factor) => {
        const result = aucDetector.detect({ treated: series(start, step, t), control: series(start, step, c), direction }, config());
        expect(result.score).toBeGreaterThanOrEqual(0);
        expect(result.score).toBeLessThanOrEqual(100);
        const same = aucDetector.detect({ treated: series(start, step, t), control: series(start, step, t), direction }, config());
        expect(same.anomalous).toBe(false);
        const scaled = aucDetector.detect({ treated: series(start, step, t.map((v) => v * factor)), control: series(start, step, c.map((v) => v * factor)), direction }, config());
        expect(Math.abs(scaled.score - result.score)).toBeLessThanOrEqual(1e-6);
      }),
      { numRuns: 200 },
    );
  });

  it('a large injected shift on treated only is anomalous in the right direction', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 5, arbitrary: fc.double({ min: 1, max: 1e4, noNaN: true }) }, { weight: 1, arbitrary: fc.constant(NaN) }), { minLength: 10, maxLength: 60 }), fc.boolean(), (values, rise) => {
        fc.pre(values.filter(Number.isFinite).length >= 8);
        const treated = values.map((v) => (rise ? v * 3 : v * 0.3));
        const result = aucDetector.detect({ treated: series(start, step, treated), control: series(start, step, values), direction: rise ? 'up' : 'down' }, config({ maxGap: 100 }));
        expect(result.anomalous).toBe(true);
        expect(result.direction).toBe(rise ? 'up' : 'down');
      }),
      { numRuns: 150 },
    );
  });
});
