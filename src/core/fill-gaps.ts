/**
 * Gap filling: replaces short runs of missing points so that models needing a complete series
 * can run, while long outages stay missing and every filled point is reported.
 */
import { z } from 'zod';
import { parseConfig } from './config.js';
import type { Series } from './series.js';

export const fillMethods = ['linear', 'previous', 'seasonal'] as const;
export type FillMethod = (typeof fillMethods)[number];

export const fillGapsOptionsSchema = z.object({
  /**
   * `linear`: straight line between the present neighbours (interior gaps only).
   * `previous`: the last present value carried forward (not before the first present point).
   * `seasonal`: the same slot one period earlier, shifted by the level change measured at the
   * gap's edges (see `adjustLevel`).
   */
  method: z.enum(fillMethods).default('linear'),
  /** Longest run of consecutive missing points that is filled; longer runs stay missing entirely. */
  maxGap: z.number().int().nonnegative(),
  /** Season length in points; required by `seasonal`. */
  period: z.number().int().positive().optional(),
  /** How many periods back `seasonal` may look when the previous period is missing too (default 1). */
  periodsBack: z.number().int().positive().default(1),
  /**
   * For `seasonal`: add the offset (this period − previous period) measured at the gap's present
   * neighbours, interpolated across the gap, so a level shift since last period carries over.
   * Default true.
   */
  adjustLevel: z.boolean().default(true),
}).refine((o) => o.method !== 'seasonal' || o.period !== undefined, {
  message: 'period is required when method is seasonal',
  path: ['period'],
});

export type FillGapsOptions = z.input<typeof fillGapsOptionsSchema>;

/** One run of consecutive filled points. */
export interface FilledRun {
  /** Epoch ms of the first filled point. */
  from: number;
  /** Epoch ms of the last filled point (inclusive). */
  to: number;
  /** Index of the first filled point in the series. */
  index: number;
  /** Points filled in this run. */
  count: number;
}

export interface FillGapsResult {
  /** A new series; the input is not modified. */
  series: Series;
  /** Runs of filled points, in time order. */
  filled: FilledRun[];
  /** Points still missing afterwards. */
  remaining: number;
}

/**
 * Fills gaps (runs of `NaN`) of at most `maxGap` points by linear interpolation, the previous
 * value, or the same slot of an earlier season. A gap longer than `maxGap` is left missing in
 * full — filling only its first points would invent data where the source was down. Gaps at
 * the start (and, for `linear`, at the end) have no anchor and stay missing.
 *
 * Cost: O(n) time, one output array.
 *
 * @example
 * fillGaps(series(0, 60_000, [1, NaN, NaN, 4, NaN, NaN, NaN, 9]), { method: 'linear', maxGap: 2 })
 * // values [1, 2, 3, 4, NaN, NaN, NaN, 9]; filled [{ from: 60000, to: 120000, index: 1, count: 2 }]; remaining 3
 */
export function fillGaps(input: Series, options: FillGapsOptions): FillGapsResult {
  const o = parseConfig(fillGapsOptionsSchema, options, 'fillGaps options');
  const source = input.values;
  const n = source.length;
  const out = Float64Array.from(source);
  const isFilled = new Uint8Array(n);

  for (let i = 0; i < n; ) {
    if (source[i] === source[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && source[j] !== source[j]) j++;
    // Gap is [i, j); i − 1 and j (when in range) are present.
    if (j - i <= o.maxGap) {
      if (o.method === 'linear') fillLinear(source, out, isFilled, i, j);
      else if (o.method === 'previous') fillPrevious(source, out, isFilled, i, j);
      else fillSeasonal(source, out, isFilled, i, j, o.period as number, o.periodsBack, o.adjustLevel);
    }
    i = j;
  }

  const filled: FilledRun[] = [];
  let remaining = 0;
  for (let i = 0; i < n; ) {
    if (out[i] !== out[i]) remaining++;
    if (!isFilled[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && isFilled[j]) j++;
    filled.push({ from: input.start + i * input.step, to: input.start + (j - 1) * input.step, index: i, count: j - i });
    i = j;
  }
  return { series: { start: input.start, step: input.step, values: out }, filled, remaining };
}

function fillLinear(source: Float64Array, out: Float64Array, isFilled: Uint8Array, from: number, to: number): void {
  if (from === 0 || to === source.length) return;
  const left = source[from - 1];
  const right = source[to];
  const span = to - from + 1;
  for (let k = from; k < to; k++) {
    const w = (k - from + 1) / span;
    out[k] = left + w * (right - left);
    isFilled[k] = 1;
  }
}

function fillPrevious(source: Float64Array, out: Float64Array, isFilled: Uint8Array, from: number, to: number): void {
  if (from === 0) return;
  const value = source[from - 1];
  for (let k = from; k < to; k++) {
    out[k] = value;
    isFilled[k] = 1;
  }
}

function fillSeasonal(
  source: Float64Array,
  out: Float64Array,
  isFilled: Uint8Array,
  from: number,
  to: number,
  period: number,
  periodsBack: number,
  adjustLevel: boolean,
): void {
  let leftOffset = NaN;
  let rightOffset = NaN;
  if (adjustLevel) {
    if (from > 0) leftOffset = source[from - 1] - reference(source, from - 1, period, periodsBack);
    if (to < source.length) rightOffset = source[to] - reference(source, to, period, periodsBack);
    if (leftOffset !== leftOffset) leftOffset = rightOffset;
    if (rightOffset !== rightOffset) rightOffset = leftOffset;
  }
  const span = to - from + 1;
  for (let k = from; k < to; k++) {
    const base = reference(source, k, period, periodsBack);
    if (base !== base) continue;
    let offset = 0;
    if (adjustLevel && leftOffset === leftOffset) {
      const w = (k - from + 1) / span;
      offset = leftOffset + w * (rightOffset - leftOffset);
    }
    out[k] = base + offset;
    isFilled[k] = 1;
  }
}

/** The value at the same slot of the nearest earlier period that has one, looking back up to `periodsBack` periods. */
function reference(source: Float64Array, index: number, period: number, periodsBack: number): number {
  for (let back = 1; back <= periodsBack; back++) {
    const k = index - back * period;
    if (k < 0) return NaN;
    const v = source[k];
    if (v === v) return v;
  }
  return NaN;
}
