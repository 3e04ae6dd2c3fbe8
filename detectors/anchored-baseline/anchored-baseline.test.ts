import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import { createRandom } from '../../src/core/random.js';
import { series } from '../../src/core/series.js';
import { anchoredBaselineConfigSchema, anchoredBaselineDetect, anchoredBaselineDetector, prepareAnchoredBaseline } from './anchored-baseline.js';

const config = parseConfig(anchoredBaselineConfigSchema, {}, 'anchoredBaseline');
const step = 300_000;
const period = 288;

/** Two days and a bit of a daily pattern with noise; `effect` applies to the window only. */
function history(seed = 1, effect?: (j: number, v: number) => number, trend = 0) {
  const random = createRandom(seed);
  const n = 2 * period + 12;
  const cut = 2 * period;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 200 + 80 * Math.sin((2 * Math.PI * i) / period) + trend * i + random.normal(0, 3);
    if (effect && i >= cut) v = effect(i - cut, v);
    values[i] = v;
  }
  return { history: series(0, step, values.subarray(0, cut)), treated: series(cut * step, step, values.subarray(cut)), period };
}

describe('anchoredBaseline(history, treated)', () => {
  it('does not flag a window that follows the daily pattern', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const r = anchoredBaselineDetect({ ...history(seed), direction: 'both' }, config);
      expect(r.status).toBe('ok');
      expect(r.anomalous, `seed ${seed}: ${JSON.stringify(r.evidence)}`).toBe(false);
    }
  });

  it('follows a level change that began before the cut (local-trend feedback)', () => {
    const r = anchoredBaselineDetect({ ...history(3, undefined, 0.15), direction: 'both' }, config);
    expect(r.anomalous, JSON.stringify(r.evidence)).toBe(false);
  });

  it('flags a shift in the window, in its direction, and plots forecast and band', () => {
    const r = anchoredBaselineDetect({ ...history(2, (_j, v) => v + 40), direction: 'up' }, config);
    expect(r).toMatchObject({ anomalous: true, direction: 'up' });
    expect(r.plot?.map((p) => p.role)).toEqual(['observed', 'forecast', 'lower', 'upper']);
    expect(anchoredBaselineDetect({ ...history(2, (_j, v) => v + 40), direction: 'down' }, config).anomalous).toBe(false);
  });

  it('gives the same result from a prepared (cached) backtest as without', () => {
    const input = { ...history(4, (_j, v) => v + 15), direction: 'up' as const };
    const prepared = anchoredBaselineDetector.prepare!(input, config);
    const direct = anchoredBaselineDetect(input, config);
    const cached = anchoredBaselineDetect({ ...input, prepared }, config);
    expect(cached.score).toBeCloseTo(direct.score, 9);
    expect(cached.direction).toBe(direct.direction);
  });

  it('serves every window up to the next multiple of backtestHorizon from one prepared backtest', () => {
    const random = createRandom(7);
    const cut = 2 * period;
    const values = Float64Array.from({ length: cut + 90 }, (_, i) => 200 + 80 * Math.sin((2 * Math.PI * i) / period) + random.normal(0, 3) + (i >= cut + 30 ? 12 : 0));
    const input = { history: series(0, step, values.subarray(0, cut)), treated: series(cut * step, step, values.subarray(cut)), period, direction: 'up' as const };
    const windowOf = anchoredBaselineDetector.prepareWindow!;
    expect([1, 60, 61, 90, 120, 121].map((n) => windowOf(n, config))).toEqual([60, 60, 120, 120, 120, 180]);
    const direct = anchoredBaselineDetect(input, config);
    expect(direct.evidence.windowPoints).toBe(90);
    const prepared = anchoredBaselineDetector.prepare!({ ...input, windowLength: windowOf(90, config) }, config);
    expect(anchoredBaselineDetect({ ...input, prepared }, config)).toEqual(direct);
    // The same backtest serves the window at 61 points: the next minutes do not fit again.
    const at61 = { ...input, treated: series(cut * step, step, values.subarray(cut, cut + 61)) };
    expect(anchoredBaselineDetect({ ...at61, prepared }, config)).toEqual(anchoredBaselineDetect(at61, config));
    // A backtest made for shorter windows is not stretched: the detector fits the longer one itself.
    const short = anchoredBaselineDetector.prepare!(input, config);
    expect(anchoredBaselineDetect({ ...input, prepared: short }, config)).toEqual(direct);
  });

  it('says why when the history is too short or has no period', () => {
    const short = { history: series(0, step, new Float64Array(100).fill(1)), treated: series(100 * step, step, [1, 2, 3]), period };
    expect(anchoredBaselineDetect(short, config).reason).toMatch(/needs at least \d+ history points/);
    expect(prepareAnchoredBaseline({ history: short.history }, config)).toMatch(/season length/);
  });

  it('never throws and keeps the score in 0–100 on any finite input with NaN gaps', () => {
    const value = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(NaN));
    const small = parseConfig(anchoredBaselineConfigSchema, { period: 8, anchorPoints: 2 }, 'anchoredBaseline');
    fc.assert(
      fc.property(fc.array(value, { minLength: 0, maxLength: 60 }), fc.array(value, { minLength: 1, maxLength: 12 }), (h, w) => {
        const r = anchoredBaselineDetect({ history: series(0, step, h), treated: series(h.length * step, step, w), direction: 'both' }, small);
        expect(r.score).toBeGreaterThanOrEqual(0);
        expect(r.score).toBeLessThanOrEqual(100);
      }),
      { numRuns: 300 },
    );
  });

  it('is invariant to scaling the series', () => {
    const input = history(5, (_j, v) => v + 12);
    const scaled = { history: series(0, step, Array.from(input.history.values, (v) => v * 37)), treated: series(input.treated.start, step, Array.from(input.treated.values, (v) => v * 37)), period };
    expect(anchoredBaselineDetect(scaled, config).score).toBeCloseTo(anchoredBaselineDetect(input, config).score, 6);
  });

  /**
   * Traffic-like: noise in proportion to a level that swings from 0.4 to 1.6 of its mean over the
   * day. `hour` is where the window starts; `shift` adds that many of the window's own noise σ.
   */
  function multiplicative(seed: number, hour: number, shift = 0) {
    const random = createRandom(seed);
    const cut = 2 * period + Math.round((hour / 24) * period);
    const n = cut + 12;
    const values = new Float64Array(n);
    const level = (i: number) => 1000 * (1 + 0.6 * Math.sin((2 * Math.PI * (i / period - 0.25)) % (2 * Math.PI)));
    for (let i = 0; i < n; i++) values[i] = level(i) * (1 + 0.03 * random.normal()) + (i >= cut ? shift * 0.03 * level(i) : 0);
    return { history: series(0, step, values.subarray(0, cut)), treated: series(cut * step, step, values.subarray(cut)), period };
  }

  it('judges each hour by its own noise: a shift at night is seen, quiet hours stay quiet', () => {
    const global = parseConfig(anchoredBaselineConfigSchema, { scaleSlices: 1 }, 'anchoredBaseline');
    const flagged = (cfg: typeof config, hour: number, shift: number) =>
      Array.from({ length: 20 }, (_, seed) => anchoredBaselineDetect({ ...multiplicative(seed + 1, hour, shift), direction: 'both' }, cfg)).filter((r) => r.anomalous).length;
    // One σ for the whole day is the day's average noise, and the bands follow the noisy peak:
    // at night (noise 0.4 × the average) a drop of 2.5 of the night's σ was never seen.
    expect(flagged(global, 0, -2.5)).toBe(0);
    expect(flagged(config, 0, -2.5)).toBeGreaterThanOrEqual(8);
    expect(flagged(config, 12, -2.5)).toBeGreaterThanOrEqual(8);
    for (const hour of [0, 6, 12]) expect(flagged(config, hour, 0), `healthy at hour ${hour}`).toBeLessThanOrEqual(1);
    // The band drawn follows the hour's noise too.
    const night = anchoredBaselineDetect({ ...multiplicative(1, 0), direction: 'both' }, config);
    const peak = anchoredBaselineDetect({ ...multiplicative(1, 12), direction: 'both' }, config);
    const width = (r: typeof night) => (r.plot![3].values[0] as number) - (r.plot![2].values[0] as number);
    expect(width(peak) / width(night)).toBeGreaterThan(2.5);
  });

  it('sets the shift band by how far the backtest windows\' means spread, not σ/√n', () => {
    // With two days of history the forecast is the one day before, re-anchored: each residual
    // carries that day's noise and every residual of a window shares the anchor's error, so a
    // healthy window's mean varies about twice as much as σ/√12 says.
    const quiet = parseConfig(anchoredBaselineConfigSchema, { nullFactor: 0.01 }, 'anchoredBaseline');
    const r = anchoredBaselineDetect({ ...history(1), direction: 'both' }, quiet);
    const measured = r.evidence.windowMeanSigma as number;
    const healthy = Array.from({ length: 100 }, (_, seed) => anchoredBaselineDetect({ ...history(seed + 100), direction: 'both' }, config).evidence.meanResidualSigmas as number);
    const spread = Math.sqrt(healthy.reduce((s, m) => s + m * m, 0) / healthy.length);
    expect(spread).toBeGreaterThan(1.5 / Math.sqrt(12));
    expect(measured).toBeGreaterThan(1.3 / Math.sqrt(12));
    expect(measured / spread).toBeGreaterThan(0.6);
    expect(measured / spread).toBeLessThan(1.4);
    expect(r.evidence.shiftBand).toBeCloseTo(4 * measured, 9);
  });
});
