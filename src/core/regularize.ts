/**
 * Regularization: the one place where irregular, unsorted, duplicated samples become a
 * `Series` (fixed step, `NaN` = missing). Everything downstream assumes its output.
 */
import { z } from 'zod';
import { parseConfig } from './config.js';
import { SluiceError } from './errors.js';
import type { Series } from './series.js';
import { quantileSorted } from './stats.js';

/** How the samples falling into one step are combined. */
export const aggregates = ['mean', 'sum', 'min', 'max', 'p95', 'count', 'last'] as const;
export type Aggregate = (typeof aggregates)[number];

/** What to keep when several samples carry exactly the same timestamp. */
export const duplicateRules = ['last', 'first', 'mean', 'sum', 'max'] as const;
export type DuplicateRule = (typeof duplicateRules)[number];

export const regularizeOptionsSchema = z.object({
  /** Step in milliseconds; a positive integer. */
  step: z.number().int().positive(),
  /** Combination of the samples inside one step (default `mean`). */
  aggregate: z.enum(aggregates).default('mean'),
  /**
   * Rule for samples with identical timestamps, applied before aggregation (default `last`:
   * the later one in input order wins, as a re-sent sample overwrites in InfluxDB).
   */
  duplicates: z.enum(duplicateRules).default('last'),
  /** Epoch ms of the first bucket (snapped down to the grid); default: the earliest sample's bucket. */
  start: z.number().finite().optional(),
  /** Exclusive end, epoch ms; default: just past the latest sample. */
  end: z.number().finite().optional(),
  /**
   * Where bucket boundaries fall. `epoch`: at multiples of `step` from 1970-01-01T00:00Z (plus
   * `offset`), so two series of the same step line up. `start`: at `start` (or the first sample).
   */
  alignment: z.enum(['epoch', 'start']).default('epoch'),
  /** Shift of the epoch grid in ms, e.g. a time-zone offset for daily buckets (default 0). */
  offset: z.number().int().default(0),
  /** Upper limit on output points, a guard against a mistyped step (default 10 million). */
  maxPoints: z.number().int().positive().default(10_000_000),
}).refine((o) => o.start === undefined || o.end === undefined || o.end > o.start, {
  message: 'end must be after start',
  path: ['end'],
});

export type RegularizeOptions = z.input<typeof regularizeOptionsSchema>;

/** One sample as it arrives: epoch ms and a value (`null`/`NaN` = a sample with no value). */
export interface Sample {
  t: number;
  v: number | null | undefined;
}

/** Parallel columns of timestamps and values. */
export interface SampleColumns {
  t: ArrayLike<number>;
  v: ArrayLike<number | null | undefined>;
}

export interface RegularizeReport {
  /** Samples given. */
  pointsIn: number;
  /** Samples dropped because another sample had the same timestamp. */
  duplicatesMerged: number;
  /** Samples whose value was null, NaN or infinite (they count as absent). */
  missingValues: number;
  /** Samples outside `[start, end)`. */
  outOfRange: number;
  /** Output points. */
  buckets: number;
  /** Output points no sample fell into (left `NaN`; `0` for `count`). */
  emptyBuckets: number;
  /** Whether the input was already in time order (then no sort was needed). */
  wasSorted: boolean;
}

export interface Regularized {
  series: Series;
  report: RegularizeReport;
}

/**
 * Regularizes samples to a fixed step: sorts them by time (stable), merges samples that share a
 * timestamp by the `duplicates` rule, then aggregates each step's samples (`mean`, `sum`,
 * `min`, `max`, `p95` — type-7 quantile —, `count` of present values, `last`). A bucket with
 * no present value is `NaN`, except `count`, which is 0 there.
 *
 * Accepts an array of `{t, v}` or columns `{t: [...], v: [...]}`. A non-finite timestamp throws a
 * `SluiceError('invalid_input')` naming its index; a bad option throws `invalid_config`.
 *
 * Cost: O(n log n) for unsorted input (O(n) when already sorted) plus O(buckets); `p95` adds
 * a sort per bucket.
 *
 * @example
 * regularize([{ t: 0, v: 1 }, { t: 30_000, v: 3 }, { t: 120_000, v: 5 }], { step: 60_000 })
 * // series: start 0, step 60000, values [2, NaN, 5]; report.emptyBuckets = 1
 */
export function regularize(samples: readonly Sample[] | SampleColumns, options: RegularizeOptions): Regularized {
  const o = parseConfig(regularizeOptionsSchema, options, 'regularize options');
  const { times, values, path } = toColumns(samples);
  const n = times.length;

  let missingValues = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(times[i])) {
      throw new SluiceError('invalid_input', path(i), `timestamp must be a finite epoch-ms number, got ${String(times[i])}`);
    }
    if (!Number.isFinite(values[i])) {
      values[i] = NaN;
      missingValues++;
    }
  }

  let wasSorted = true;
  for (let i = 1; i < n; i++) {
    if (times[i] < times[i - 1]) {
      wasSorted = false;
      break;
    }
  }
  let order: Uint32Array | null = null;
  if (!wasSorted) {
    order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    // Ties keep input order, so "last" and "first" mean last and first as given.
    order.sort((a, b) => times[a] - times[b] || a - b);
  }
  const sortedTimes = new Float64Array(n);
  const sortedValues = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const j = order ? order[i] : i;
    sortedTimes[i] = times[j];
    sortedValues[i] = values[j];
  }

  // Merge runs of equal timestamps in place; `m` is the count of distinct timestamps.
  let m = 0;
  let duplicatesMerged = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && sortedTimes[j] === sortedTimes[i]) j++;
    sortedTimes[m] = sortedTimes[i];
    sortedValues[m] = j - i === 1 ? sortedValues[i] : mergeDuplicates(sortedValues, i, j, o.duplicates);
    duplicatesMerged += j - i - 1;
    m++;
    i = j;
  }

  const step = o.step;
  const gridOrigin = o.alignment === 'epoch' ? o.offset : (o.start ?? (m > 0 ? sortedTimes[0] : 0));
  const snap = (t: number): number => gridOrigin + Math.floor((t - gridOrigin) / step) * step;
  const first = o.start ?? (m > 0 ? sortedTimes[0] : gridOrigin);
  const start = snap(first);
  const end = o.end ?? (m > 0 ? sortedTimes[m - 1] + 1 : start);
  const bucketCount = Math.max(0, Math.ceil((end - start) / step));
  if (bucketCount > o.maxPoints) {
    throw new SluiceError('invalid_config', 'step', `regularize options: ${bucketCount} points at step ${step} ms exceed maxPoints ${o.maxPoints}`);
  }

  const out = new Float64Array(bucketCount).fill(o.aggregate === 'count' ? 0 : NaN);
  let outOfRange = 0;
  let scratch: Float64Array | null = null;
  let i = 0;
  while (i < m && sortedTimes[i] < start) {
    i++;
    outOfRange++;
  }
  while (i < m) {
    const t = sortedTimes[i];
    if (t >= end) {
      outOfRange += m - i;
      break;
    }
    const bucket = Math.floor((t - start) / step);
    const bucketEnd = start + (bucket + 1) * step;
    let j = i;
    while (j < m && sortedTimes[j] < bucketEnd && sortedTimes[j] < end) j++;
    if (o.aggregate === 'p95') {
      if (scratch === null || scratch.length < j - i) scratch = new Float64Array(Math.max(j - i, 16));
      out[bucket] = p95(sortedValues, i, j, scratch);
    } else {
      out[bucket] = aggregateRange(sortedValues, i, j, o.aggregate);
    }
    i = j;
  }

  let emptyBuckets = 0;
  if (o.aggregate === 'count') {
    for (let b = 0; b < bucketCount; b++) if (out[b] === 0) emptyBuckets++;
  } else {
    for (let b = 0; b < bucketCount; b++) if (out[b] !== out[b]) emptyBuckets++;
  }

  return {
    series: { start, step, values: out },
    report: { pointsIn: n, duplicatesMerged, missingValues, outOfRange, buckets: bucketCount, emptyBuckets, wasSorted },
  };
}

function toColumns(samples: readonly Sample[] | SampleColumns): { times: Float64Array; values: Float64Array; path: (i: number) => string } {
  if (Array.isArray(samples)) {
    const rows = samples as readonly Sample[];
    const times = new Float64Array(rows.length);
    const values = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (row === null || typeof row !== 'object') throw new SluiceError('invalid_input', String(i), 'sample must be an object {t, v}');
      times[i] = typeof row.t === 'number' ? row.t : NaN;
      const v = row.v;
      values[i] = typeof v === 'number' ? v : NaN;
    }
    return { times, values, path: (i) => `${i}.t` };
  }
  const columns = samples as SampleColumns;
  if (columns.t.length !== columns.v.length) {
    throw new SluiceError('invalid_input', 'v', `columns differ in length: t has ${columns.t.length}, v has ${columns.v.length}`);
  }
  const times = new Float64Array(columns.t.length);
  const values = new Float64Array(columns.t.length);
  for (let i = 0; i < times.length; i++) {
    const t = columns.t[i];
    times[i] = typeof t === 'number' ? t : NaN;
    const v = columns.v[i];
    values[i] = typeof v === 'number' ? v : NaN;
  }
  return { times, values, path: (i) => `t.${i}` };
}

/** Combines values[from..to) that share one timestamp; missing values are ignored unless all are. */
function mergeDuplicates(values: Float64Array, from: number, to: number, rule: DuplicateRule): number {
  if (rule === 'last') {
    for (let k = to - 1; k >= from; k--) if (values[k] === values[k]) return values[k];
    return NaN;
  }
  if (rule === 'first') {
    for (let k = from; k < to; k++) if (values[k] === values[k]) return values[k];
    return NaN;
  }
  return aggregateRange(values, from, to, rule);
}

function aggregateRange(values: Float64Array, from: number, to: number, how: Exclude<Aggregate, 'p95'> | 'sum' | 'max'): number {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let last = NaN;
  for (let k = from; k < to; k++) {
    const v = values[k];
    if (v !== v) continue;
    count++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    last = v;
  }
  if (how === 'count') return count;
  if (count === 0) return NaN;
  switch (how) {
    case 'mean':
      return sum / count;
    case 'sum':
      return sum;
    case 'min':
      return min;
    case 'max':
      return max;
    case 'last':
      return last;
  }
}

function p95(values: Float64Array, from: number, to: number, scratch: Float64Array): number {
  let count = 0;
  for (let k = from; k < to; k++) if (values[k] === values[k]) scratch[count++] = values[k];
  if (count === 0) return NaN;
  const part = scratch.subarray(0, count).sort();
  return quantileSorted(part, 0.95);
}
