/**
 * Day-type segmentation: which kind of day (weekday, weekend, holiday) a timestamp falls on,
 * and which slot of the local day it is, in a given IANA time zone. Traffic follows people's
 * wall clocks, so both are computed in local time and stay correct across daylight-saving
 * changes.
 *
 * Offsets come from `Intl.DateTimeFormat`; they are cached per UTC day (two look-ups per day,
 * plus a binary search on the rare day with a transition), so classifying a year of minutes costs
 * a few hundred `Intl` calls, not half a million.
 */
import { z } from 'zod';
import { parseConfig } from './config.js';
import type { Series } from './series.js';

export type DayType = 'weekday' | 'weekend' | 'holiday';

const MINUTE = 60_000;
const DAY = 86_400_000;
const localDate = /^\d{4}-\d{2}-\d{2}$/;

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const dayTypeOptionsSchema = z.object({
  /** IANA time zone, e.g. `Europe/Berlin`, `Asia/Shanghai` (default `UTC`). */
  timeZone: z.string().refine(isTimeZone, { message: 'unknown IANA time zone' }).default('UTC'),
  /** Local dates (`YYYY-MM-DD`) that are holidays; a holiday wins over weekend and weekday. */
  holidays: z.array(z.string().regex(localDate, 'expected YYYY-MM-DD')).default([]),
  /**
   * Local dates on the weekend that are working days (make-up days around a long holiday, as in
   * mainland China); they count as `weekday`.
   */
  workdays: z.array(z.string().regex(localDate, 'expected YYYY-MM-DD')).default([]),
  /** Days of the week that are the weekend, 0 = Sunday … 6 = Saturday (default [0, 6]). */
  weekend: z.array(z.number().int().min(0).max(6)).default([0, 6]),
});

export type DayTypeOptions = z.input<typeof dayTypeOptionsSchema>;

/** Local calendar fields of an instant in a time zone. */
export interface LocalTime {
  /** `YYYY-MM-DD` in the zone. */
  date: string;
  year: number;
  /** 1–12. */
  month: number;
  /** 1–31. */
  day: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Milliseconds since local midnight on the wall clock (0 … 86 399 999). */
  msOfDay: number;
  /** UTC offset in minutes (east positive), e.g. 120 for CEST. */
  offsetMinutes: number;
}

/** Caches the UTC offset of one zone per UTC day; safe to reuse, pure in what it returns. */
export class ZoneClock {
  readonly timeZone: string;
  private readonly format: Intl.DateTimeFormat;
  private readonly days = new Map<number, { startOffset: number; transitionAt: number; endOffset: number }>();

  constructor(timeZone: string) {
    this.timeZone = timeZone;
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  private lastDay = NaN;
  private lastInfo: { startOffset: number; transitionAt: number; endOffset: number } | undefined;

  /** UTC offset in minutes at epoch ms `t` (east positive). */
  offsetMinutes(t: number): number {
    const dayIndex = Math.floor(t / DAY);
    // Consecutive points mostly share a UTC day; skip the map for them.
    let info = dayIndex === this.lastDay ? this.lastInfo : this.days.get(dayIndex);
    if (info === undefined) {
      const dayStart = dayIndex * DAY;
      const startOffset = this.lookup(dayStart);
      const endOffset = this.lookup(dayStart + DAY - MINUTE);
      let transitionAt = Infinity;
      if (startOffset !== endOffset) {
        // Transitions fall on whole minutes; find the first minute with the new offset.
        let lo = 0;
        let hi = DAY / MINUTE - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (this.lookup(dayStart + mid * MINUTE) === startOffset) lo = mid + 1;
          else hi = mid;
        }
        transitionAt = dayStart + lo * MINUTE;
      }
      info = { startOffset, transitionAt, endOffset };
      if (this.days.size > 20_000) this.days.clear();
      this.days.set(dayIndex, info);
    }
    this.lastDay = dayIndex;
    this.lastInfo = info;
    return t < info.transitionAt ? info.startOffset : info.endOffset;
  }

  /** Wall-clock ms since local midnight at epoch ms `t`. */
  msOfDay(t: number): number {
    const shifted = t + this.offsetMinutes(t) * MINUTE;
    return shifted - Math.floor(shifted / DAY) * DAY;
  }

  /** Local day number (days since 1970-01-01 on the zone's calendar) of epoch ms `t`. */
  dayNumber(t: number): number {
    return Math.floor((t + this.offsetMinutes(t) * MINUTE) / DAY);
  }

  /** Local calendar fields of epoch ms `t`. */
  localTime(t: number): LocalTime {
    const offsetMinutes = this.offsetMinutes(t);
    const shifted = t + offsetMinutes * MINUTE;
    const d = new Date(shifted);
    const year = d.getUTCFullYear();
    const month = d.getUTCMonth() + 1;
    const day = d.getUTCDate();
    const msOfDay = shifted - Math.floor(shifted / DAY) * DAY;
    return { date: formatDate(year, month, day), year, month, day, weekday: d.getUTCDay(), msOfDay, offsetMinutes };
  }

  private lookup(t: number): number {
    const parts = this.format.formatToParts(new Date(t));
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    for (const part of parts) {
      switch (part.type) {
        case 'year':
          year = Number(part.value);
          break;
        case 'month':
          month = Number(part.value);
          break;
        case 'day':
          day = Number(part.value);
          break;
        case 'hour':
          hour = Number(part.value);
          break;
        case 'minute':
          minute = Number(part.value);
          break;
        case 'second':
          second = Number(part.value);
          break;
      }
    }
    const wall = Date.UTC(year, month - 1, day, hour, minute, second);
    const truncated = Math.floor(t / 1000) * 1000;
    return Math.round((wall - truncated) / MINUTE);
  }
}

function formatDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

const clocks = new Map<string, ZoneClock>();

/** A shared clock per zone; the cache only memoises `Intl` answers, so results never depend on it. */
function clockFor(timeZone: string): ZoneClock {
  let clock = clocks.get(timeZone);
  if (clock === undefined) {
    if (clocks.size > 64) clocks.clear();
    clock = new ZoneClock(timeZone);
    clocks.set(timeZone, clock);
  }
  return clock;
}

/**
 * Returns a classifier `(epochMs) => DayType` for fixed options; use it for many timestamps
 * (the options are validated once). Holiday beats workday beats weekend beats weekday.
 */
export function dayTypeClassifier(options: DayTypeOptions = {}): (epochMs: number) => DayType {
  const o = parseConfig(dayTypeOptionsSchema, options, 'dayType options');
  const clock = clockFor(o.timeZone);
  const holidays = new Set(o.holidays);
  const workdays = new Set(o.workdays);
  const weekend = new Set(o.weekend);
  // A series visits each local day for many points in a row; classify the day once.
  let lastDay = NaN;
  let lastType: DayType = 'weekday';
  return (epochMs: number): DayType => {
    if (!Number.isFinite(epochMs)) throw new RangeError(`dayType: epochMs must be finite, got ${epochMs}`);
    const day = clock.dayNumber(epochMs);
    if (day === lastDay) return lastType;
    const date = new Date(day * DAY);
    const key = formatDate(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
    lastType = holidays.has(key) ? 'holiday' : workdays.has(key) ? 'weekday' : weekend.has(date.getUTCDay()) ? 'weekend' : 'weekday';
    lastDay = day;
    return lastType;
  };
}

/**
 * Day type of one instant (epoch ms) in a time zone: `holiday` if its local date is listed,
 * `weekday` if it is a listed make-up workday, else `weekend` or `weekday` by day of week.
 *
 * @example
 * dayTypeOf(Date.UTC(2026, 9, 1, 3), { timeZone: 'Asia/Shanghai', holidays: ['2026-10-01'] }) // 'holiday'
 */
export function dayTypeOf(epochMs: number, options: DayTypeOptions = {}): DayType {
  return dayTypeClassifier(options)(epochMs);
}

/** Day type of every point of a series. O(n) plus two `Intl` look-ups per distinct UTC day. */
export function dayTypes(s: Series, options: DayTypeOptions = {}): DayType[] {
  const classify = dayTypeClassifier(options);
  const out: DayType[] = new Array(s.values.length);
  for (let i = 0; i < s.values.length; i++) out[i] = classify(s.start + i * s.step);
  return out;
}

/** Local calendar fields of epoch ms `t` in `timeZone` (default UTC). Throws on an unknown zone. */
export function localTimeOf(epochMs: number, timeZone = 'UTC'): LocalTime {
  const o = parseConfig(dayTypeOptionsSchema, { timeZone }, 'localTimeOf');
  return clockFor(o.timeZone).localTime(epochMs);
}

/**
 * Slot of the local day that epoch ms `t` falls in, for slots `slotMs` long:
 * floor(wall-clock ms since local midnight / slotMs), in 0 … ceil(1 day / slotMs) − 1.
 *
 * Wall-clock, not elapsed: 09:00 is the same slot on every day, so on the spring-forward day the
 * skipped hour's slots never occur and on the fall-back day the repeated hour's slots occur twice.
 * That is what comparing "the same time of day" across days needs.
 */
export function slotOfDay(epochMs: number, slotMs: number, timeZone = 'UTC'): number {
  if (!(slotMs > 0)) throw new RangeError(`slotOfDay: slotMs must be positive, got ${slotMs}`);
  return Math.floor(localTimeOf(epochMs, timeZone).msOfDay / slotMs);
}

/** `slotOfDay` for every point of a series, with slots of `slotMs` (default: the series step). */
export function slotsOfDay(s: Series, timeZone = 'UTC', slotMs: number = s.step): Int32Array {
  if (!(slotMs > 0)) throw new RangeError(`slotsOfDay: slotMs must be positive, got ${slotMs}`);
  const o = parseConfig(dayTypeOptionsSchema, { timeZone }, 'slotsOfDay');
  const clock = clockFor(o.timeZone);
  const out = new Int32Array(s.values.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(clock.msOfDay(s.start + i * s.step) / slotMs);
  return out;
}
