/**
 * Segmented historical average (分段历史平均): the expected value of a metric at an instant is
 * the average of its values at the same time of day on previous days of the same day type
 * (weekday, weekend, holiday) — Monday 10:05 is compared with earlier weekdays at 10:05, a
 * public holiday with earlier holidays. Time of day and day type are read on the wall clock of
 * a named time zone (src/core/day-type.ts), so the comparison survives daylight-saving changes.
 */
import { z } from 'zod';
import { dayTypeClassifier, dayTypeOptionsSchema, ZoneClock, type DayType } from '../../src/core/day-type.js';
import type { Series } from '../../src/core/series.js';
import { quantileSorted } from '../../src/core/stats.js';

export const historicalAverageOptionsSchema = dayTypeOptionsSchema.extend({
  /** Length of a time-of-day slot in ms (default: the series step). Points in one slot of one day are averaged first. */
  slotMs: z.number().int().positive().optional(),
  /** Average of the earlier days' values: their mean (历史平均) or their median (robust to one bad day). */
  statistic: z.enum(['mean', 'median']).default('mean'),
  /** Use only the most recent this many earlier days of the same type. */
  maxDays: z.number().int().min(1).default(10),
  /** Fewest earlier days of the same type a point needs to get an expected value. */
  minDays: z.number().int().min(1).default(3),
  /** Compare with earlier days of the same day type only (true), or with every earlier day. */
  sameDayType: z.boolean().default(true),
});

export type HistoricalAverageOptions = z.output<typeof historicalAverageOptionsSchema>;

export interface HistoricalAverage {
  /** Expected value per target point (`NaN` where fewer than `minDays` earlier days exist). */
  expected: Float64Array;
  /** Sample standard deviation of the earlier days' values per point (`NaN` with fewer than two). */
  spread: Float64Array;
  /** How many earlier days went into each point. */
  days: Int32Array;
  /** Day type of each target point. */
  dayType: DayType[];
}

interface SlotDay {
  day: number;
  sum: number;
  count: number;
}

/**
 * For every point of `target` (its timestamps only; values are not read), the mean or median of
 * `history` at the same local time-of-day slot on up to `maxDays` most recent earlier local days
 * of the same day type, with the standard deviation of those day values. Only days strictly
 * before the target point's local day count, so history from earlier the same day is not used.
 * Missing history points are skipped; a day with no present point in the slot does not count.
 *
 * Cost: O(n_history + n_target · maxDays · log maxDays) time, O(n_history) memory, plus two
 * `Intl` look-ups per UTC day touched.
 *
 * @example
 *   // three earlier weekdays at 10:00 held 10, 12 and 14
 *   segmentedHistoricalAverage(history, window, options).expected[0] // 12, spread 2
 */
export function segmentedHistoricalAverage(history: Series, target: Pick<Series, 'start' | 'step' | 'values'>, options: HistoricalAverageOptions): HistoricalAverage {
  const clock = new ZoneClock(options.timeZone);
  const classify = dayTypeClassifier({ timeZone: options.timeZone, holidays: options.holidays, workdays: options.workdays, weekend: options.weekend });
  const slotMs = options.slotMs ?? history.step;
  const keyOf = (t: number): string => `${options.sameDayType ? classify(t) : 'any'}|${Math.floor(clock.msOfDay(t) / slotMs)}`;

  // Per (day type, slot): one entry per local day, in time order.
  const slots = new Map<string, SlotDay[]>();
  for (let i = 0; i < history.values.length; i++) {
    const v = history.values[i];
    if (!Number.isFinite(v)) continue;
    const t = history.start + i * history.step;
    const key = keyOf(t);
    const day = clock.dayNumber(t);
    let list = slots.get(key);
    if (list === undefined) {
      list = [];
      slots.set(key, list);
    }
    const last = list[list.length - 1];
    if (last !== undefined && last.day === day) {
      last.sum += v;
      last.count++;
    } else list.push({ day, sum: v, count: 1 });
  }

  const n = target.values.length;
  const expected = new Float64Array(n).fill(NaN);
  const spread = new Float64Array(n).fill(NaN);
  const days = new Int32Array(n);
  const dayType: DayType[] = new Array(n);
  const picked = new Float64Array(options.maxDays);
  for (let i = 0; i < n; i++) {
    const t = target.start + i * target.step;
    dayType[i] = classify(t);
    const list = slots.get(keyOf(t));
    if (list === undefined) continue;
    const today = clock.dayNumber(t);
    let m = 0;
    for (let k = list.length - 1; k >= 0 && m < options.maxDays; k--) {
      if (list[k].day < today) picked[m++] = list[k].sum / list[k].count;
    }
    days[i] = m;
    if (m < options.minDays) continue;
    let mean = 0;
    for (let k = 0; k < m; k++) mean += picked[k];
    mean /= m;
    if (m >= 2) {
      let squares = 0;
      for (let k = 0; k < m; k++) squares += (picked[k] - mean) ** 2;
      spread[i] = Math.sqrt(squares / (m - 1));
    }
    expected[i] = options.statistic === 'mean' ? mean : quantileSorted(picked.subarray(0, m).sort(), 0.5);
  }
  return { expected, spread, days, dayType };
}
