import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { z } from 'zod';
import { parseConfig } from '../../src/core/config.js';
import { SluiceError } from '../../src/core/errors.js';
import { series, type Series } from '../../src/core/series.js';
import type { DetectorModule } from '../../src/core/detector.js';
import {
  dynamicThresholdDetector,
  leastSquaresSlope,
  localMinuteOfDay,
  previousWindowDetector,
  sameTimeDetector,
  segmentedThresholdDetector,
  staticThresholdDetector,
  trendDetector,
} from './index.js';
import { kthLargest } from './band.js';

const MINUTE = 60_000;
const configOf = <S extends z.ZodType>(module: DetectorModule<S>, raw: unknown): z.output<S> => parseConfig(module.configSchema, raw, `${module.name} config`);
const beyond = (excess: number, margin: number) => 50 + 50 * (1 - Math.exp(-(excess - margin) / margin));

/** Deterministic noise in [-0.5, 0.5) (Park–Miller), so fixtures need no files. */
function noise(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647 - 0.5;
  };
}

/** A daily-seasonal metric around 100 at a 5-minute step: `days` of history then `window` treated points. */
function seasonal(days: number, window: number, seed = 7, shift: (j: number) => number = () => 0): { history: Series; treated: Series } {
  const step = 5 * MINUTE;
  const perDay = 288;
  const start = Date.UTC(2026, 0, 5);
  const rnd = noise(seed);
  const value = (i: number) => 100 + 10 * Math.sin((2 * Math.PI * i) / perDay) + 2 * rnd();
  const history = Array.from({ length: days * perDay }, (_, i) => value(i));
  const treated = Array.from({ length: window }, (_, j) => value(days * perDay + j) + shift(j));
  return { history: series(start, step, history), treated: series(start + days * perDay * step, step, treated) };
}

describe('staticThreshold(input, config)', () => {
  const detect = (values: number[], raw: unknown, direction?: 'up' | 'down' | 'both') =>
    staticThresholdDetector.detect({ treated: series(0, MINUTE, values), direction }, configOf(staticThresholdDetector, raw));

  it('scores the minViolations-th worst point: 3 points over 30 with margin 3', () => {
    const r = detect([10, 12, 31, 33, 35], { upper: 30 });
    expect(r.score).toBeCloseTo(beyond(31 - 27, 3), 12);
    expect(r).toMatchObject({ anomalous: true, direction: 'up', evidence: { upper: 30, lower: null, margin: 3, pointsAbove: 3 } });
  });

  it('two breaches out of the three required stay below 50', () => {
    const r = detect([10, 12, 29, 33, 35], { upper: 30 });
    expect(r.score).toBeCloseTo((50 * (29 - 27)) / 3, 12);
    expect(r.anomalous).toBe(false);
  });

  it('a band: margin is a tenth of its width; only the bad direction scores', () => {
    const r = detect([100, 40, 38, 39], { upper: 150, lower: 50 }, 'both');
    expect(r.evidence.margin).toBe(10);
    expect(r.score).toBeCloseTo(beyond(60 - 40, 10), 12);
    expect(r.direction).toBe('down');
    const up = detect([100, 40, 38, 39], { upper: 150, lower: 50 }, 'up');
    expect(up.score).toBe(0);
    expect(up.direction).toBe('down');
  });

  it('skips missing points; all missing is insufficient data', () => {
    expect(detect([NaN, 31, NaN, 33, 35], { upper: 30 }).score).toBeCloseTo(beyond(31 - 27, 3), 12);
    expect(detect([NaN, NaN], { upper: 30 }).status).toBe('insufficient_data');
  });

  it('a window shorter than minViolations judges all its points', () => {
    expect(detect([40], { upper: 30 }).anomalous).toBe(true);
  });

  it('bad configs throw naming the field', () => {
    expect(() => configOf(staticThresholdDetector, {})).toThrowError(SluiceError);
    expect(() => configOf(staticThresholdDetector, {})).toThrowError(/upper: set upper, lower or both/);
    expect(() => configOf(staticThresholdDetector, { upper: 1, lower: 2 })).toThrowError(/lower: lower must be below upper/);
    expect(() => configOf(staticThresholdDetector, { upper: 1, minViolations: 0 })).toThrowError(/minViolations/);
  });
});

describe('segmentedThreshold(input, config)', () => {
  const config = configOf(segmentedThresholdDetector, {
    timeZone: 'America/New_York',
    segments: [
      { from: '09:00', to: '17:00', upper: 100 },
      { from: '22:00', to: '06:00', upper: 10 },
    ],
  });

  it('reads segment clocks in the zone, following daylight saving', () => {
    // 13:30 UTC is 09:30 EDT in July, 08:30 EST in January.
    expect(localMinuteOfDay(Date.UTC(2026, 6, 1, 13, 30), 'America/New_York')).toBe(9 * 60 + 30);
    expect(localMinuteOfDay(Date.UTC(2026, 0, 15, 13, 30), 'America/New_York')).toBe(8 * 60 + 30);
    const july = segmentedThresholdDetector.detect({ treated: series(Date.UTC(2026, 6, 1, 13, 30), MINUTE, [500, 500, 500]) }, config);
    expect(july).toMatchObject({ status: 'ok', anomalous: true, evidence: { judgedPoints: 3 } });
    const january = segmentedThresholdDetector.detect({ treated: series(Date.UTC(2026, 0, 15, 13, 30), MINUTE, [500, 500, 500]) }, config);
    expect(january.status).toBe('insufficient_data');
  });

  it('a segment with to < from wraps past midnight; each point meets its own segment', () => {
    // 03:00 UTC = 23:00 EDT: the night segment (upper 10); then 13:00–13:02 UTC = 09:00 EDT: day segment.
    const night = segmentedThresholdDetector.detect({ treated: series(Date.UTC(2026, 6, 1, 3, 0), MINUTE, [50, 50, 50]) }, config);
    expect(night.anomalous).toBe(true);
    expect(night.score).toBeCloseTo(beyond(50 - 9, 1), 12);
    const day = segmentedThresholdDetector.detect({ treated: series(Date.UTC(2026, 6, 1, 13, 0), MINUTE, [50, 50, 50]) }, config);
    expect(day.anomalous).toBe(false);
  });

  it('segments restricted to day types: weekend thresholds on Saturday, weekday ones on Monday, holidays apart', () => {
    const byDay = configOf(segmentedThresholdDetector, {
      timeZone: 'Asia/Shanghai',
      holidays: ['2026-01-01'],
      segments: [
        { from: '00:00', to: '24:00', upper: 100, dayTypes: ['weekday'] },
        { from: '00:00', to: '24:00', upper: 300, dayTypes: ['weekend', 'holiday'] },
      ],
    });
    const at = (date: number) => segmentedThresholdDetector.detect({ treated: series(date, MINUTE, [200, 200, 200]) }, byDay);
    // 12:00 in Shanghai is 04:00 UTC. 2026-01-05 is a Monday, 2026-01-03 a Saturday, 2026-01-01 a Thursday holiday.
    expect(at(Date.UTC(2026, 0, 5, 4)).anomalous).toBe(true);
    expect(at(Date.UTC(2026, 0, 3, 4)).anomalous).toBe(false);
    expect(at(Date.UTC(2026, 0, 1, 4)).anomalous).toBe(false);
    expect(at(Date.UTC(2026, 0, 5, 4)).evidence.segments).toBe('weekday 00:00-24:00 [-∞, 100]; weekend/holiday 00:00-24:00 [-∞, 300]');
  });

  it('bad configs throw naming the field', () => {
    expect(() => configOf(segmentedThresholdDetector, { segments: [{ from: '00:00', to: '24:00', upper: 1, dayTypes: ['payday'] }] })).toThrowError(/segments\.0\.dayTypes\.0/);
    expect(() => configOf(segmentedThresholdDetector, { holidays: ['1/1/2026'], segments: [{ from: '00:00', to: '24:00', upper: 1 }] })).toThrowError(/holidays\.0/);
    expect(() => configOf(segmentedThresholdDetector, { timeZone: 'Mars/Olympus', segments: [{ from: '00:00', to: '24:00', upper: 1 }] })).toThrowError(/timeZone/);
    expect(() => configOf(segmentedThresholdDetector, { segments: [{ from: '25:00', to: '24:00', upper: 1 }] })).toThrowError(/segments\.0\.from/);
    expect(() => configOf(segmentedThresholdDetector, { segments: [{ from: '01:00', to: '02:00' }] })).toThrowError(/segments\.0\.upper/);
    expect(() => configOf(segmentedThresholdDetector, { segments: [] })).toThrowError(/segments/);
  });
});

describe('dynamicThreshold(input, config)', () => {
  const history = series(0, MINUTE, Array.from({ length: 101 }, (_, i) => i));
  const config = configOf(dynamicThresholdDetector, {});

  it('thresholds are history quantiles (type 7) widened by tolerance × width', () => {
    const r = dynamicThresholdDetector.detect({ history, treated: series(101 * MINUTE, MINUTE, [130, 130, 130, 50]) }, config);
    expect(r.evidence).toMatchObject({ lowerQuantileValue: 1, upperQuantileValue: 99, margin: 24.5, upper: 123.5, lower: -23.5 });
    expect(r.score).toBeCloseTo(beyond(130 - 99, 24.5), 12);
    expect(r.direction).toBe('up');
  });

  it("period 'day': a dip to the daily mean at the daily peak is caught only against the same hour", () => {
    // Peak of the daily sine (+10) at 06:00; the window sits there and drops to 100, inside the all-day range.
    const dip = seasonal(3, 12, 9, () => 0);
    const values = Array.from(dip.treated.values, () => 100);
    const peakStart = dip.history.start + (3 * 288 + 72 - 6) * 5 * MINUTE;
    const history = series(dip.history.start, dip.history.step, [...dip.history.values, ...new Array(66).fill(NaN)]);
    const input = { history, treated: series(peakStart, 5 * MINUTE, values) };
    expect(dynamicThresholdDetector.detect(input, config).anomalous).toBe(false);
    const daily = dynamicThresholdDetector.detect(input, configOf(dynamicThresholdDetector, { period: 'day', minHistoryPoints: 20 }));
    expect(daily).toMatchObject({ status: 'ok', anomalous: true, direction: 'down', evidence: { period: 'day', judgedPoints: 12 } });
    expect(daily.evidence.lower as number).toBeGreaterThan(104);
  });

  it("period 'day' with under a day of history is insufficient data", () => {
    const r = dynamicThresholdDetector.detect({ history: series(0, MINUTE, new Array(600).fill(1)), treated: series(600 * MINUTE, MINUTE, [1, 2]) }, configOf(dynamicThresholdDetector, { period: 'day' }));
    expect(r.status).toBe('insufficient_data');
  });

  it('too little history is insufficient data', () => {
    const r = dynamicThresholdDetector.detect({ history: series(0, MINUTE, [1, 2, 3]), treated: series(0, MINUTE, [1]) }, config);
    expect(r.status).toBe('insufficient_data');
    expect(r.reason).toMatch(/60 present history points/);
  });

  it('is scale and shift equivariant', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.integer({ min: 1, max: 1e6 }), (scale, shift, seed) => {
        const { history: h, treated: t } = seasonal(1, 12, seed, (j) => (j > 3 ? 15 : 0));
        const map = (s: Series) => series(s.start, s.step, Array.from(s.values, (v) => v * scale + shift));
        const a = dynamicThresholdDetector.detect({ history: h, treated: t }, config);
        const b = dynamicThresholdDetector.detect({ history: map(h), treated: map(t) }, config);
        expect(b.score).toBeCloseTo(a.score, 6);
      }),
      { numRuns: 30 },
    );
  });
});

describe('trend(input, config)', () => {
  it('leastSquaresSlope skips missing points', () => {
    expect(leastSquaresSlope(Float64Array.from([1, 3, 5, NaN, 9]))).toBeCloseTo(2, 14);
    expect(leastSquaresSlope(Float64Array.from([1, NaN, NaN]))).toBeNaN();
  });

  const config = configOf(trendDetector, {});

  it('a ramp of +30 over 8 points flags up; the same window untouched does not', () => {
    const calm = seasonal(3, 24, 11);
    const ramp = seasonal(3, 24, 11, (j) => 30 * Math.min(1, (j + 1) / 8));
    expect(trendDetector.detect(calm, config).anomalous).toBe(false);
    const r = trendDetector.detect({ ...ramp, direction: 'up' }, config);
    expect(r).toMatchObject({ status: 'ok', anomalous: true, direction: 'up' });
    expect(r.evidence.slopePerHour).toBeCloseTo((r.evidence.slopePerStep as number) * 12, 12);
  });

  it('a falling ramp does not score for direction up', () => {
    // The window sits on the rising flank of the daily cycle, so the fall must outweigh that rise.
    const fall = seasonal(3, 24, 11, (j) => -60 * Math.min(1, (j + 1) / 8));
    const r = trendDetector.detect({ ...fall, direction: 'up' }, config);
    expect(r.score).toBe(0);
    expect(r.direction).toBe('down');
  });

  it('history shorter than minHistoryWindows windows is insufficient data', () => {
    const { treated } = seasonal(1, 24);
    const r = trendDetector.detect({ treated, history: series(treated.start - 30 * 5 * MINUTE, 5 * MINUTE, new Array(30).fill(1)) }, config);
    expect(r.status).toBe('insufficient_data');
  });

  it('is scale equivariant', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), fc.integer({ min: 1, max: 1e6 }), (scale, seed) => {
        const { history, treated } = seasonal(2, 12, seed, (j) => j * 2);
        const map = (s: Series) => series(s.start, s.step, Array.from(s.values, (v) => v * scale));
        const a = trendDetector.detect({ history, treated }, config);
        const b = trendDetector.detect({ history: map(history), treated: map(treated) }, config);
        expect(b.score).toBeCloseTo(a.score, 6);
      }),
      { numRuns: 30 },
    );
  });
});

describe('sameTime(input, config) — 同比', () => {
  const config = configOf(sameTimeDetector, {});

  it('+20% against the same minutes yesterday flags up with relativeChange ≈ 0.2', () => {
    const { history, treated } = seasonal(2, 12, 3, () => 20);
    const r = sameTimeDetector.detect({ history, treated }, config);
    expect(r).toMatchObject({ status: 'ok', anomalous: true, direction: 'up', evidence: { lagMs: 86_400_000 } });
    expect(r.evidence.relativeChange as number).toBeGreaterThan(0.15);
    expect(r.evidence.relativeChange as number).toBeLessThan(0.25);
  });

  it('the usual day is not anomalous', () => {
    const { history, treated } = seasonal(2, 12, 3);
    expect(sameTimeDetector.detect({ history, treated }, config).anomalous).toBe(false);
  });

  it('compares point i with the value exactly lag earlier', () => {
    // History: one day of zeros then one day of 1..288; treated repeats day two +10: median difference 10.
    const step = 5 * MINUTE;
    const day2 = Array.from({ length: 288 }, (_, i) => i + 1);
    const history = series(0, step, [...new Array(288).fill(0), ...day2]);
    const treated = series(576 * step, step, day2.slice(0, 12).map((v) => v + 10));
    const r = sameTimeDetector.detect({ history, treated }, config);
    expect(r.evidence.medianDifference).toBe(10);
  });

  it('a lag that is not a multiple of the step, or history shorter than the lag, is insufficient data', () => {
    const { history, treated } = seasonal(2, 12);
    expect(sameTimeDetector.detect({ history, treated }, configOf(sameTimeDetector, { lag: 7 * MINUTE })).status).toBe('insufficient_data');
    expect(sameTimeDetector.detect({ history, treated }, configOf(sameTimeDetector, { lag: 'week' })).status).toBe('insufficient_data');
  });

  it('bad lag throws naming the field', () => {
    expect(() => configOf(sameTimeDetector, { lag: 'month' })).toThrowError(/lag/);
  });
});

describe('previousWindow(input, config) — 环比', () => {
  const config = configOf(previousWindowDetector, {});

  it('a level shift of +30 against the window right before flags up', () => {
    const { history, treated } = seasonal(1, 24, 5, () => 30);
    const r = previousWindowDetector.detect({ history, treated }, config);
    expect(r).toMatchObject({ status: 'ok', anomalous: true, direction: 'up' });
    expect(r.evidence.previousLevel).toBeCloseTo(Array.from(history.values.slice(-24)).sort((a, b) => a - b).slice(11, 13).reduce((a, b) => a + b) / 2, 12);
  });

  it('the usual change between consecutive windows is not anomalous', () => {
    const { history, treated } = seasonal(1, 24, 5);
    expect(previousWindowDetector.detect({ history, treated }, config).anomalous).toBe(false);
  });

  it('changes below minRelativeChange never reach 50 on a perfectly flat history', () => {
    const flat = series(0, MINUTE, new Array(200).fill(100));
    const r = previousWindowDetector.detect({ history: flat, treated: series(200 * MINUTE, MINUTE, new Array(10).fill(104)) }, config);
    expect(r.score).toBeCloseTo(40, 10);
    expect(r.anomalous).toBe(false);
  });

  it('history that does not end where treated starts is insufficient data', () => {
    const flat = series(0, MINUTE, new Array(200).fill(100));
    expect(previousWindowDetector.detect({ history: flat, treated: series(300 * MINUTE, MINUTE, [1, 2, 3]) }, config).status).toBe('insufficient_data');
  });
});

describe('kthLargest(values, k)', () => {
  it('equals sorting descending and taking the k-th (capped), skipping NaN', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(NaN)), { maxLength: 50 }), fc.integer({ min: 1, max: 20 }), (values, k) => {
        const finite = values.filter(Number.isFinite).sort((a, b) => b - a);
        const expected = finite.length === 0 ? NaN : finite[Math.min(k, finite.length) - 1];
        expect(Object.is(kthLargest(values, k), expected) || kthLargest(values, k) === expected).toBe(true);
      }),
    );
  });
});

describe('window comparisons are scale equivariant', () => {
  it.each([
    ['sameTime', sameTimeDetector],
    ['previousWindow', previousWindowDetector],
  ] as const)('%s: multiplying history and treated by c > 0 leaves the score', (_name, module) => {
    const config = configOf(module as DetectorModule, {});
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), fc.integer({ min: 1, max: 1e6 }), fc.double({ min: -20, max: 20, noNaN: true }), (scale, seed, shift) => {
        const { history, treated } = seasonal(2, 12, seed, () => shift);
        const map = (s: Series) => series(s.start, s.step, Array.from(s.values, (v) => v * scale));
        const a = module.detect({ history, treated }, config as never);
        const b = module.detect({ history: map(history), treated: map(treated) }, config as never);
        expect(b.score).toBeCloseTo(a.score, 6);
      }),
      { numRuns: 20 },
    );
  });
});

describe('threshold plots', () => {
  it('static: observed plus the thresholds that are set', () => {
    const r = staticThresholdDetector.detect({ treated: series(0, MINUTE, [1, NaN, 3]) }, configOf(staticThresholdDetector, { upper: 2 }));
    expect(r.plot).toEqual([
      { name: 'observed', start: 0, step: MINUTE, values: [1, null, 3], role: 'observed' },
      { name: 'upper', start: 0, step: MINUTE, values: [2, 2, 2], role: 'upper' },
    ]);
  });
});
