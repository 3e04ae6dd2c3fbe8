import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import { series, type Series } from '../../src/core/series.js';
import { stlDetector, stlDetectorConfigSchema } from './index.js';

const MINUTE = 60_000;
const period = 60;
const config = (overrides: Record<string, unknown> = {}) => parseConfig(stlDetectorConfigSchema, { period, ...overrides }, 'stl config');

/** An hour-long cycle with a slow rise and deterministic noise; the window continues it. */
function scenario(historyPeriods: number, windowPoints: number, change: (i: number) => number = () => 0): { history: Series; treated: Series } {
  const total = historyPeriods * period + windowPoints;
  const values = new Float64Array(total);
  for (let i = 0; i < total; i++) {
    const noise = Math.sin(i * 12.9898) * 43758.5453;
    values[i] = 200 + 0.05 * i + 30 * Math.sin((2 * Math.PI * i) / period) + 4 * (noise - Math.floor(noise) - 0.5);
  }
  const cut = historyPeriods * period;
  for (let i = cut; i < total; i++) values[i] += change(i - cut);
  const start = Date.UTC(2026, 0, 5);
  return { history: series(start, MINUTE, values.subarray(0, cut)), treated: series(start + cut * MINUTE, MINUTE, values.subarray(cut)) };
}

describe('stlDetector.detect(input, config)', () => {
  it('a window that continues the history scores low and is not anomalous', () => {
    const r = stlDetector.detect(scenario(8, 30), config());
    expect(r.status).toBe('ok');
    expect(r.score).toBeLessThan(40);
    expect(r.anomalous).toBe(false);
    expect(r.direction).toBe('none');
    expect(r.evidence.pointsOutside).toBe(0);
  });

  it('forecasts the continuation within the noise (seasonal naive + linear trend)', () => {
    const r = stlDetector.detect(scenario(8, 30), config());
    const observed = r.plot!.find((p) => p.role === 'observed')!.values as number[];
    const forecast = r.plot!.find((p) => p.role === 'forecast')!.values as number[];
    for (let i = 0; i < 30; i++) expect(Math.abs(observed[i] - forecast[i])).toBeLessThan(4);
    expect(r.evidence.trendSlopePerPoint as number).toBeGreaterThan(0.03);
    expect(r.evidence.trendSlopePerPoint as number).toBeLessThan(0.07);
  });

  it('a lasting rise of 25 after the release is anomalous, direction up, score near 100', () => {
    const r = stlDetector.detect(scenario(8, 30, () => 25), config());
    expect(r.anomalous).toBe(true);
    expect(r.direction).toBe('up');
    expect(r.score).toBeGreaterThan(90);
    expect(r.evidence.pointsOutside).toBe(30);
  });

  it('a drop scores 0 when only rises are bad', () => {
    const input = { ...scenario(8, 30, () => -25), direction: 'up' as const };
    const r = stlDetector.detect(input, config());
    expect(r.score).toBe(0);
    expect(stlDetector.detect({ ...input, direction: 'down' }, config()).score).toBeGreaterThan(90);
  });

  it('past incidents in the history do not hide a new one (robust STL, MAD band)', () => {
    const { history, treated } = scenario(8, 30, () => 25);
    const dirty = history.values.slice();
    for (let i = 100; i < 110; i++) dirty[i] += 80;
    const r = stlDetector.detect({ history: { ...history, values: dirty }, treated }, config());
    expect(r.anomalous).toBe(true);
  });

  it('includeTreated judges the window against its own decomposition', () => {
    const calm = stlDetector.detect(scenario(8, 30), config({ includeTreated: true }));
    expect(calm.anomalous).toBe(false);
    const spike = stlDetector.detect(scenario(8, 30, (i) => (i >= 10 && i < 20 ? 60 : 0)), config({ includeTreated: true }));
    expect(spike.anomalous).toBe(true);
  });

  it('a gap between history and window shifts the seasonal phase correctly', () => {
    const { history, treated } = scenario(8, 40);
    const later = { ...treated, start: treated.start + 10 * MINUTE, values: treated.values.slice(10) };
    const r = stlDetector.detect({ history, treated: later }, config());
    expect(r.evidence.horizonOffset).toBe(10);
    expect(r.score).toBeLessThan(40);
  });

  it('gives insufficient_data with a reason, never a pass, on too little or unusable data', () => {
    const short = stlDetector.detect(scenario(1, 30), config());
    expect(short.status).toBe('insufficient_data');
    expect(short.reason).toMatch(/two full periods of history \(120 points\), got 60/);
    expect(stlDetector.detect({ treated: scenario(3, 5).treated }, config()).reason).toMatch(/history/);
    const { history, treated } = scenario(3, 5);
    expect(stlDetector.detect({ history, treated: { ...treated, values: new Float64Array(5).fill(NaN) } }, config()).reason).toMatch(/no observed point/);
    expect(stlDetector.detect({ history: { ...history, values: new Float64Array(history.values.length).fill(NaN) }, treated }, config()).reason).toMatch(/50% of history present/);
    expect(stlDetector.detect({ history: { ...history, step: 1000 }, treated }, config()).reason).toMatch(/same step/);
    for (const r of [short]) expect([r.score, r.anomalous]).toEqual([0, false]);
  });

  it('a flat history still gets a band: any change from the constant scores high', () => {
    const start = Date.UTC(2026, 0, 5);
    const history = series(start, MINUTE, new Float64Array(3 * period).fill(5));
    const treated = series(start + 3 * period * MINUTE, MINUTE, [5, 5, 6, 6]);
    const r = stlDetector.detect({ history, treated }, config());
    expect(r.status).toBe('ok');
    expect(r.score).toBeGreaterThan(90);
  });

  it('rejects bad parameters naming the field', () => {
    expect(() => config({ bandWidth: 0 })).toThrow(/bandWidth/);
    expect(() => config({ trendForecast: 'cubic' })).toThrow(/trendForecast/);
    expect(() => config({ seasonalWindow: 4 })).toThrow(/seasonalWindow/);
  });

  it('property: never throws on finite data with gaps; score in [0, 100]; ok or insufficient_data', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 8, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) }, { weight: 2, arbitrary: fc.constant(NaN) }), { minLength: 0, maxLength: 60 }),
        fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(NaN)), { minLength: 0, maxLength: 10 }),
        fc.boolean(),
        (past, window, includeTreated) => {
          const history = series(0, MINUTE, past);
          const treated = series(past.length * MINUTE, MINUTE, window);
          const r = stlDetector.detect({ history, treated }, config({ period: 7, includeTreated }));
          expect(r.score >= 0 && r.score <= 100).toBe(true);
          expect(['ok', 'insufficient_data']).toContain(r.status);
          if (r.status === 'ok') for (const p of r.plot!) for (const v of p.values) expect(v === null || Number.isFinite(v)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});
