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
  /** Samples outside `[start, end)`; they are not counted as duplicates. */
  outOfRange: number;
  /** Output points. */
  buckets: number;
  /** Output points with no present value (left `NaN`; `0` for `count`). */
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
 * Cost: O(n + buckets) plus O(k log k) per bucket of k samples to order them by time (skipped
 * when the input is already sorted) — O(n log n) at worst; `p95` adds a sort of each bucket.
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
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = times[i];
    if (i > 0 && t < times[i - 1]) wasSorted = false;
    if (t < minTime) minTime = t;
    if (t > maxTime) maxTime = t;
  }

  const step = o.step;
  const gridOrigin = o.alignment === 'epoch' ? o.offset : (o.start ?? (n > 0 ? minTime : 0));
  const snap = (t: number): number => gridOrigin + Math.floor((t - gridOrigin) / step) * step;
  const start = snap(o.start ?? (n > 0 ? minTime : gridOrigin));
  const end = o.end ?? (n > 0 ? maxTime + 1 : start);
  const bucketCount = Math.max(0, Math.ceil((end - start) / step));
  if (bucketCount > o.maxPoints) {
    throw new SluiceError('invalid_config', 'step', `regularize options: ${bucketCount} points at step ${step} ms exceed maxPoints ${o.maxPoints}`);
  }

  // Counting sort by bucket (stable, O(n + buckets)); only the few samples inside one bucket are
  // then ordered by time, so the cost is O(n log k) for k samples per bucket, not O(n log n).
  const bucketOf = new Int32Array(n);
  const firstInBucket = new Uint32Array(bucketCount + 1);
  let outOfRange = 0;
  for (let i = 0; i < n; i++) {
    const t = times[i];
    if (t < start || t >= end) {
      bucketOf[i] = -1;
      outOfRange++;
      continue;
    }
    const b = Math.floor((t - start) / step);
    bucketOf[i] = b;
    firstInBucket[b + 1]++;
  }
  for (let b = 0; b < bucketCount; b++) firstInBucket[b + 1] += firstInBucket[b];
  // Scatter into bucket order; within a bucket samples stay in input order.
  const inRange = n - outOfRange;
  const bucketTimes = new Float64Array(inRange);
  const bucketValues = new Float64Array(inRange);
  const cursor = firstInBucket.slice(0, bucketCount);
  for (let i = 0; i < n; i++) {
    const b = bucketOf[i];
    if (b < 0) continue;
    const at = cursor[b]++;
    bucketTimes[at] = times[i];
    bucketValues[at] = values[i];
  }

  const out = new Float64Array(bucketCount).fill(o.aggregate === 'count' ? 0 : NaN);
  let duplicatesMerged = 0;
  let mergedValues = new Float64Array(16);
  let scratch = new Float64Array(16);
  for (let b = 0; b < bucketCount; b++) {
    const from = firstInBucket[b];
    const to = firstInBucket[b + 1];
    if (from === to) continue;
    if (!wasSorted) sortByTime(bucketTimes, bucketValues, from, to);
    if (mergedValues.length < to - from) {
      mergedValues = new Float64Array(2 * (to - from));
      scratch = new Float64Array(2 * (to - from));
    }
    // Merge runs of equal timestamps; ties are in input order, so "last" means last as given.
    let m = 0;
    for (let i = from; i < to; ) {
      let j = i + 1;
      while (j < to && bucketTimes[j] === bucketTimes[i]) j++;
      if (j - i === 1) {
        mergedValues[m++] = bucketValues[i];
      } else {
        mergedValues[m++] = mergeDuplicates(bucketValues, i, j, o.duplicates);
        duplicatesMerged += j - i - 1;
      }
      i = j;
    }
    out[b] = o.aggregate === 'p95' ? p95(mergedValues, 0, m, scratch) : aggregateRange(mergedValues, 0, m, o.aggregate);
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
  const n = columns.t.length;
  // Typed columns copy in bulk; plain arrays may hold null or junk and are checked per entry.
  let times: Float64Array;
  if (columns.t instanceof Float64Array) {
    times = columns.t.slice();
  } else {
    times = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t = columns.t[i];
      times[i] = typeof t === 'number' ? t : NaN;
    }
  }
  let values: Float64Array;
  if (columns.v instanceof Float64Array) {
    values = columns.v.slice();
  } else {
    values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = columns.v[i];
      values[i] = typeof v === 'number' ? v : NaN;
    }
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

/**
 * Stable sort of the samples in [from, to) by time, moving values along: insertion sort for the
 * usual handful per bucket, an index sort (ties by position) for crowded buckets.
 */
function sortByTime(times: Float64Array, values: Float64Array, from: number, to: number): void {
  const k = to - from;
  if (k > 32) {
    const index = new Uint32Array(k);
    for (let i = 0; i < k; i++) index[i] = i;
    index.sort((a, b) => times[from + a] - times[from + b] || a - b);
    const t = times.slice(from, to);
    const v = values.slice(from, to);
    for (let i = 0; i < k; i++) {
      times[from + i] = t[index[i]];
      values[from + i] = v[index[i]];
    }
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const t = times[i];
    const v = values[i];
    let j = i - 1;
    while (j >= from && times[j] > t) {
      times[j + 1] = times[j];
      values[j + 1] = values[j];
      j--;
    }
    times[j + 1] = t;
    values[j + 1] = v;
  }
}
