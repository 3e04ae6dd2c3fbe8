import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import { series } from '../../src/core/series.js';
import { nanStd } from '../../src/core/stats.js';
import { historicalAverageConfigSchema, historicalAverageDetector, historicalAverageOptionsSchema, segmentedHistoricalAverage } from './index.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STEP = 10 * MINUTE;
const options = (o: Record<string, unknown> = {}) => parseConfig(historicalAverageOptionsSchema, o, 'historicalAverage options');
const config = (o: Record<string, unknown> = {}) => parseConfig(historicalAverageConfigSchema, o, 'historicalAverage config');

/** Every 10 minutes from Mon 2026-01-05 00:00 UTC for `days` days; value = 100 + day of month (weekends −50). */
function history(days: number, valueAt = (t: number) => {
  const d = new Date(t);
  return 100 + d.getUTCDate() - (d.getUTCDay() % 6 === 0 ? 50 : 0);
}) {
  const start = Date.UTC(2026, 0, 5);
  const values = new Float64Array((days * DAY) / STEP);
  for (let i = 0; i < values.length; i++) values[i] = valueAt(start + i * STEP);
  return series(start, STEP, values);
}
const at = (t: number, values: number[]) => series(t, STEP, values);

describe('segmentedHistoricalAverage(history, target, options)', () => {
  const past = history(21); // through Sun 2026-01-25

  it('averages the same slot over the 10 most recent earlier weekdays', () => {
    const r = segmentedHistoricalAverage(past, at(Date.UTC(2026, 0, 26, 10), [0]), options());
    const days = [23, 22, 21, 20, 19, 16, 15, 14, 13, 12];
    expect(r.dayType[0]).toBe('weekday');
    expect(r.days[0]).toBe(10);
    expect(r.expected[0]).toBeCloseTo(117.5, 12);
    expect(r.spread[0]).toBeCloseTo(nanStd(days), 12);
  });

  it('a listed holiday leaves the weekdays and is compared only with holidays', () => {
    const o = options({ holidays: ['2026-01-19'] });
    const r = segmentedHistoricalAverage(past, at(Date.UTC(2026, 0, 26, 10), [0]), o);
    expect(r.expected[0]).toBeCloseTo(100 + (23 + 22 + 21 + 20 + 16 + 15 + 14 + 13 + 12 + 9) / 10, 12);
    const holiday = segmentedHistoricalAverage(past, at(Date.UTC(2026, 0, 26, 10), [0]), options({ holidays: ['2026-01-19', '2026-01-26'], minDays: 1 }));
    expect(holiday.dayType[0]).toBe('holiday');
    expect([holiday.days[0], holiday.expected[0]]).toEqual([1, 119]);
  });

  it('weekends are compared with weekends', () => {
    const r = segmentedHistoricalAverage(past, at(Date.UTC(2026, 0, 31, 10), [0]), options());
    expect(r.dayType[0]).toBe('weekend');
    expect(r.expected[0]).toBeCloseTo(100 - 50 + (25 + 24 + 18 + 17 + 11 + 10) / 6, 12);
  });

  it('median instead of mean ignores one bad day', () => {
    const dirty = past.values.slice();
    dirty[(18 * DAY + 10 * HOUR) / STEP] = 10_000; // Fri 2026-01-23 10:00
    const r = segmentedHistoricalAverage({ ...past, values: dirty }, at(Date.UTC(2026, 0, 26, 10), [0]), options({ statistic: 'median', maxDays: 5 }));
    expect(r.expected[0]).toBe(121); // median of 10 000, 122, 121, 120, 119
  });

  it('uses only days strictly before the target day, and fewer than minDays gives NaN', () => {
    const r = segmentedHistoricalAverage(past, at(Date.UTC(2026, 0, 7, 10), [0]), options());
    // Only Jan 5 and 6: Jan 7 itself and later days in the history are not "earlier days".
    expect(r.days[0]).toBe(2);
    expect(r.expected[0]).toBeNaN();
    const r2 = segmentedHistoricalAverage(history(3), at(Date.UTC(2026, 0, 8, 10), [0]), options());
    expect(r2.days[0]).toBe(3);
    expect(r2.expected[0]).toBeCloseTo(106, 12);
    expect(segmentedHistoricalAverage(history(2), at(Date.UTC(2026, 0, 7, 10), [0]), options()).expected[0]).toBeNaN();
  });

  it('compares wall-clock times across a daylight-saving change', () => {
    // New York springs forward on 2026-03-08: 10:00 local is 15:00 UTC before, 14:00 UTC after.
    const zone = 'America/New_York';
    const format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: 'numeric' });
    const start = Date.UTC(2026, 1, 23);
    const values = new Float64Array((14 * DAY) / STEP);
    for (let i = 0; i < values.length; i++) values[i] = 10 * Number(format.format(new Date(start + i * STEP)));
    const r = segmentedHistoricalAverage(series(start, STEP, values), at(Date.UTC(2026, 2, 9, 14), [0]), options({ timeZone: zone }));
    expect(r.expected[0]).toBe(100);
    expect(r.spread[0]).toBe(0);
  });

  it('skips missing points; a slot missing on one day just has one day fewer', () => {
    const gappy = past.values.slice();
    gappy[(18 * DAY + 10 * HOUR) / STEP] = NaN;
    const r = segmentedHistoricalAverage({ ...past, values: gappy }, at(Date.UTC(2026, 0, 26, 10), [0]), options({ maxDays: 3 }));
    expect(r.expected[0]).toBeCloseTo(100 + (22 + 21 + 20) / 3, 12);
  });

  it('averages several points of one day inside a wider slot first', () => {
    const r = segmentedHistoricalAverage(past, at(Date.UTC(2026, 0, 26, 10), [0]), options({ slotMs: HOUR, maxDays: 1, minDays: 1 }));
    expect(r.expected[0]).toBe(123);
  });
});

describe('segmentedHistoricalAverage against an independent R computation', () => {
  interface Reference {
    timeZone: string;
    holidays: string[];
    stepMs: number;
    startMs: number;
    historyPoints: number;
    values: (number | null)[];
    maxDays: number;
    days: number[];
    mean: (number | null)[];
    sd: (number | null)[];
    median: (number | null)[];
  }
  const file = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'r-reference.json');
  const ref = JSON.parse(readFileSync(file, 'utf8')) as Reference;
  const all = series(ref.startMs, ref.stepMs, ref.values);
  const past = series(ref.startMs, ref.stepMs, ref.values.slice(0, ref.historyPoints));
  const window = series(ref.startMs + ref.historyPoints * ref.stepMs, ref.stepMs, ref.values.slice(ref.historyPoints));
  const expectClose = (ours: ArrayLike<number>, theirs: (number | null)[]) => {
    for (let i = 0; i < theirs.length; i++) {
      const v = theirs[i];
      if (v === null) expect(ours[i]).toBeNaN();
      else expect(Math.abs(ours[i] - v)).toBeLessThan(1e-10);
    }
  };

  it('mean, spread and day counts per point match R (New York time, DST change, holidays, gaps)', () => {
    const r = segmentedHistoricalAverage(past, window, options({ timeZone: ref.timeZone, holidays: ref.holidays, maxDays: ref.maxDays, minDays: 1 }));
    expect(Array.from(r.days)).toEqual(ref.days);
    expectClose(r.expected, ref.mean);
    expectClose(r.spread, ref.sd);
    expect(all.values.length).toBe(ref.values.length);
  });

  it('median matches R', () => {
    const r = segmentedHistoricalAverage(past, window, options({ timeZone: ref.timeZone, holidays: ref.holidays, maxDays: ref.maxDays, minDays: 1, statistic: 'median' }));
    expectClose(r.expected, ref.median);
  });
});

describe('historicalAverageDetector.detect(input, config)', () => {
  const past = history(21);
  const window = (shift: number) => at(Date.UTC(2026, 0, 26, 10), Array.from({ length: 12 }, () => 117.5 + shift));

  it('a window at the usual level scores low; a rise of several day-to-day deviations is anomalous and up', () => {
    const calm = historicalAverageDetector.detect({ history: past, treated: window(0) }, config());
    expect(calm.status).toBe('ok');
    expect(calm.score).toBeLessThan(1);
    expect(calm.anomalous).toBe(false);
    const sigma = nanStd([23, 22, 21, 20, 19, 16, 15, 14, 13, 12]);
    const rise = historicalAverageDetector.detect({ history: past, treated: window(5 * sigma) }, config());
    expect(rise.anomalous).toBe(true);
    expect(rise.direction).toBe('up');
    // δ = 3 σ √(1 + 1/k) with k = 10 days: a new day misses a 10-day mean by σ √1.1.
    const delta = 3 * Math.sqrt(1.1);
    expect(rise.score).toBeCloseTo(50 + 50 * (1 - Math.exp(-(5 - delta) / delta)), 6);
    expect(rise.evidence.dayType).toBe('weekday');
  });

  it("band 'fixed' uses the given delta", () => {
    const r = historicalAverageDetector.detect({ history: past, treated: window(2) }, config({ band: 'fixed', delta: 4 }));
    expect(r.score).toBeCloseTo(25, 10);
    expect(() => config({ band: 'fixed' })).toThrow(/delta/);
  });

  it('gives insufficient_data with a reason when no earlier same-type day exists', () => {
    const r = historicalAverageDetector.detect({ history: past, treated: window(0) }, config({ holidays: ['2026-01-26'] }));
    expect(r.status).toBe('insufficient_data');
    expect(r.reason).toMatch(/at least 3 earlier holidays .* found 0/);
    expect(historicalAverageDetector.detect({ treated: window(0) }, config()).status).toBe('insufficient_data');
  });

  it('rejects bad parameters naming the field', () => {
    expect(() => config({ timeZone: 'Mars/Olympus' })).toThrow(/timeZone/);
    expect(() => config({ holidays: ['26/01/2026'] })).toThrow(/holidays/);
    expect(() => config({ maxDays: 0 })).toThrow(/maxDays/);
  });

  it('property: never throws on finite data with gaps; score in [0, 100]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(NaN)), { maxLength: 40 }),
        fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(NaN)), { maxLength: 6 }),
        fc.integer({ min: 1, max: 3 }),
        (past, now, minDays) => {
          // Six-hour steps: 40 points span ten days.
          const step = 6 * HOUR;
          const start = Date.UTC(2026, 0, 5);
          const r = historicalAverageDetector.detect({ history: series(start, step, past), treated: series(start + past.length * step, step, now) }, config({ minDays }));
          expect(r.score >= 0 && r.score <= 100).toBe(true);
          expect(['ok', 'insufficient_data']).toContain(r.status);
        },
      ),
      { numRuns: 150 },
    );
  });
});
