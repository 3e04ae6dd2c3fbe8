/**
 * Segmented static threshold (分段静态阈值): different fixed thresholds per time-of-day segment,
 * in a named time zone (so "09:00–18:00" follows daylight-saving changes), optionally per day
 * type (weekday / weekend / holiday, with configured holidays and make-up workdays).
 */
import { z } from 'zod';
import { ZoneClock, dayTypeClassifier, type DayType } from '../../src/core/day-type.js';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult } from '../../src/core/detector.js';
import { bandPlot, bandScores, minViolationsField, windowFromBand } from './band.js';
import { checkThresholds, defaultMargin } from './static.js';

const clock = z
  .string()
  .regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a time of day "HH:MM" (00:00–24:00)');

const segment = z.object({
  /** Local time the segment starts, inclusive. */
  from: clock,
  /** Local time the segment ends, exclusive; a segment with `to` ≤ `from` wraps past midnight. */
  to: clock,
  upper: z.number().optional(),
  lower: z.number().optional(),
  margin: z.number().positive().optional(),
  /** Day types the segment applies on (日期类型划分); all by default. */
  dayTypes: z.array(z.enum(['weekday', 'weekend', 'holiday'])).min(1).optional(),
});

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const segmentedThresholdConfig = z
  .object({
    /** IANA time zone the segment clocks are read in, e.g. `Asia/Shanghai`. */
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone name such as "UTC" or "Asia/Shanghai"').default('UTC'),
    /** The first segment containing a point's local time applies; points in no segment are not judged. */
    segments: z.array(segment).min(1),
    /** Local dates (`YYYY-MM-DD`) that are holidays, for segments restricted by `dayTypes`. */
    holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')).default([]),
    /** Local weekend dates that are working days (make-up days), counted as weekdays. */
    workdays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')).default([]),
    minViolations: minViolationsField,
  })
  .superRefine((value, ctx) => value.segments.forEach((s, i) => checkThresholds(s, ctx, ['segments', i])));

export type SegmentedThresholdConfig = z.output<typeof segmentedThresholdConfig>;

const identity = { name: 'segmentedThreshold', version: '1.1.0' };

const minutesOf = (text: string): number => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));

/** Local minute of day (0–1439) of epoch ms `t` in `timeZone`. */
export function localMinuteOfDay(t: number, timeZone: string, clock: ZoneClock = new ZoneClock(timeZone)): number {
  return (((Math.floor(t / 60_000) + clock.offsetMinutes(t)) % 1440) + 1440) % 1440;
}

function contains(fromMinute: number, toMinute: number, minute: number): boolean {
  return fromMinute < toMinute ? minute >= fromMinute && minute < toMinute : minute >= fromMinute || minute < toMinute;
}

/**
 * Segmented static thresholds over the treated window: each point is judged against the
 * thresholds of the segment its local time falls in; the window score is the
 * `minViolations`-th largest point score, as for `staticThreshold`. O(n log n).
 */
export function segmentedThreshold(input: DetectorInput, config: SegmentedThresholdConfig): DetectorResult {
  const { values, start, step } = input.treated;
  const n = values.length;
  const upper = new Float64Array(n).fill(NaN);
  const lower = new Float64Array(n).fill(NaN);
  const upperMargin = new Float64Array(n).fill(1);
  const lowerMargin = new Float64Array(n).fill(1);
  const bounds = config.segments.map((s) => ({
    from: minutesOf(s.from),
    to: minutesOf(s.to) % 1440,
    upper: s.upper ?? NaN,
    lower: s.lower ?? NaN,
    margin: s.margin ?? defaultMargin(s.upper, s.lower),
    dayTypes: s.dayTypes ? new Set<DayType>(s.dayTypes) : null,
  }));
  const clock = new ZoneClock(config.timeZone);
  const needsDayType = bounds.some((b) => b.dayTypes !== null);
  const dayTypeOf = needsDayType ? dayTypeClassifier({ timeZone: config.timeZone, holidays: config.holidays, workdays: config.workdays }) : null;
  let judged = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) continue;
    const t = start + i * step;
    const minute = localMinuteOfDay(t, config.timeZone, clock);
    const dayType = dayTypeOf ? dayTypeOf(t) : null;
    const hit = bounds.find((b) => contains(b.from, b.to, minute) && (b.dayTypes === null || (dayType !== null && b.dayTypes.has(dayType))));
    if (!hit) continue;
    judged++;
    upper[i] = hit.upper;
    lower[i] = hit.lower;
    upperMargin[i] = hit.margin;
    lowerMargin[i] = hit.margin;
  }
  if (judged === 0) return insufficientData(identity, 'segmentedThreshold: no present treated point falls in a configured segment', { timeZone: config.timeZone });
  const up = new Float64Array(n);
  const down = new Float64Array(n);
  bandScores(values, upper, lower, upperMargin, lowerMargin, up, down);
  const result = windowFromBand(identity, up, down, config.minViolations, input.direction ?? 'both', {
    timeZone: config.timeZone,
    segments: config.segments.map((s) => `${s.dayTypes ? `${s.dayTypes.join('/')} ` : ''}${s.from}-${s.to} [${s.lower ?? '-∞'}, ${s.upper ?? '∞'}]`).join('; '),
    judgedPoints: judged,
  });
  result.plot = bandPlot(input.treated, upper, lower);
  return result;
}

export const segmentedThresholdDetector: DetectorModule<typeof segmentedThresholdConfig> = {
  ...identity,
  description: 'Does the treated window breach the fixed thresholds of its time-of-day segments on at least minViolations points?',
  configSchema: segmentedThresholdConfig,
  capabilities: { minTreatedPoints: 1, needsHistory: false, needsControl: false, needsLogs: false, seasonal: false },
  detect: segmentedThreshold,
};
