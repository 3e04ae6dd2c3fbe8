/**
 * Window statistics of standardised residuals, and their empirical null: the same statistics over
 * every window of the same length slid across a baseline. Detectors that calibrate their bands on
 * what a series did before (rather than on a normal model) share these.
 */
import type { Direction } from './detector.js';

export interface WindowStatistics {
  /** Present points. */
  count: number;
  /** Mean z (signed); `NaN` when no point is present. */
  mean: number;
  /** Mean z in the bad direction (negated for `down`, absolute for `both`). */
  shift: number;
  /** Mean of the highest quarter (rounded up) of z in the bad direction. */
  burst: number;
  /** Sample standard deviation of z (0 below two points). */
  spread: number;
}

/**
 * Shift, burst and spread of `z` over [from, to), skipping `NaN`. O(n log n). `scratch` (at least
 * `to − from` long) saves an allocation when called in a loop.
 */
export function windowStatistics(z: ArrayLike<number>, from: number, to: number, direction: Direction, scratch: Float64Array = new Float64Array(Math.max(0, to - from))): WindowStatistics {
  let count = 0;
  let sum = 0;
  for (let i = from; i < to; i++) {
    const v = z[i];
    if (v !== v) continue;
    scratch[count++] = direction === 'up' ? v : direction === 'down' ? -v : Math.abs(v);
    sum += v;
  }
  const directed = scratch.subarray(0, count);
  if (count === 0) return { count, mean: NaN, shift: 0, burst: 0, spread: 0 };
  const mean = sum / count;
  let m2 = 0;
  for (let i = from; i < to; i++) if (z[i] === z[i]) m2 += (z[i] - mean) ** 2;
  directed.sort();
  const top = Math.max(1, Math.ceil(count / 4));
  let topSum = 0;
  for (let i = 0; i < top; i++) topSum += directed[count - 1 - i];
  const shift = direction === 'up' ? mean : direction === 'down' ? -mean : Math.abs(mean);
  return { count, mean, shift, burst: topSum / top, spread: count > 1 ? Math.sqrt(m2 / (count - 1)) : 0 };
}

export interface NullMaxima {
  /** Windows that had enough present points to count. */
  windows: number;
  shift: number;
  burst: number;
  spread: number;
}

/**
 * The largest shift, burst and spread over every window of length `n` slid across `z` (windows
 * with fewer than `minCount` present points are skipped). Each window gives exactly what
 * `windowStatistics` gives; the directed values are kept sorted as the window slides (one
 * insertion and one removal per step) instead of sorted afresh. O(len · n), no allocation per window.
 */
export function nullMaxima(z: ArrayLike<number>, n: number, direction: Direction, minCount: number): NullMaxima {
  const out: NullMaxima = { windows: 0, shift: 0, burst: 0, spread: 0 };
  if (n <= 0) {
    // Zero-length windows have no present point; keep the reference's count of them.
    for (let from = 0; from + n <= z.length; from++) if (minCount <= 0) out.windows++;
    return out;
  }
  if (z.length === n) return oneWindowMaxima(z, 0, n, direction, minCount);
  const sorted = new Float64Array(n);
  let size = 0;
  const directedOf = (v: number) => (direction === 'up' ? v : direction === 'down' ? -v : Math.abs(v));
  for (let from = 0; from + n <= z.length; from++) {
    if (from === 0) {
      for (let i = 0; i < n; i++) if (z[i] === z[i]) size = insertSorted(sorted, size, directedOf(z[i]));
    } else {
      const leaving = z[from - 1];
      if (leaving === leaving) size = removeSorted(sorted, size, directedOf(leaving));
      const entering = z[from + n - 1];
      if (entering === entering) size = insertSorted(sorted, size, directedOf(entering));
    }
    const count = size;
    if (count < minCount) continue;
    if (count === 0) {
      out.windows++;
      continue;
    }
    // Sum and squared deviations in index order, as windowStatistics adds them.
    let sum = 0;
    for (let i = from; i < from + n; i++) {
      const v = z[i];
      if (v === v) sum += v;
    }
    const mean = sum / count;
    let m2 = 0;
    for (let i = from; i < from + n; i++) if (z[i] === z[i]) m2 += (z[i] - mean) ** 2;
    const top = Math.max(1, Math.ceil(count / 4));
    let topSum = 0;
    for (let i = 0; i < top; i++) topSum += sorted[count - 1 - i];
    const shift = direction === 'up' ? mean : direction === 'down' ? -mean : Math.abs(mean);
    out.windows++;
    out.shift = Math.max(out.shift, shift);
    out.burst = Math.max(out.burst, topSum / top);
    out.spread = Math.max(out.spread, count > 1 ? Math.sqrt(m2 / (count - 1)) : 0);
  }
  return out;
}

/**
 * nullMaxima of the one window `z[from, to)` — what `nullMaxima(z.subarray(from, to), to − from, …)`
 * gives — without a view per window: a backtest keeps its windows side by side in one buffer. A
 * selection puts the top quarter at the end and only that part is sorted, instead of keeping all
 * values sorted by insertion (O(n²) moves); the same values are added in the same order, so the
 * same numbers. `scratch` (at least `to − from` long) saves an allocation in loops. With
 * `burstToBeat`, a window whose every directed value is below it reports a burst of 0 without
 * finding its top quarter (whose mean cannot reach it): a caller keeping the largest burst over many
 * windows skips most of their selections. O(n) expected.
 */
export function oneWindowMaxima(z: ArrayLike<number>, from: number, to: number, direction: Direction, minCount: number, scratch: Float64Array = new Float64Array(Math.max(0, to - from)), burstToBeat = -Infinity): NullMaxima {
  const out: NullMaxima = { windows: 0, shift: 0, burst: 0, spread: 0 };
  const directed = scratch;
  let count = 0;
  let sum = 0;
  let largest = -Infinity;
  for (let i = from; i < to; i++) {
    const v = z[i];
    if (v !== v) continue;
    const d = direction === 'up' ? v : direction === 'down' ? -v : Math.abs(v);
    directed[count++] = d;
    if (d > largest) largest = d;
    sum += v;
  }
  if (count < minCount) return out;
  out.windows = 1;
  if (count === 0) return out;
  const mean = sum / count;
  let m2 = 0;
  for (let i = from; i < to; i++) if (z[i] === z[i]) m2 += (z[i] - mean) ** 2;
  out.shift = Math.max(0, direction === 'up' ? mean : direction === 'down' ? -mean : Math.abs(mean));
  out.spread = Math.max(0, count > 1 ? Math.sqrt(m2 / (count - 1)) : 0);
  // The top quarter's mean is at most its largest value (a rounded sum of t values each at most
  // that value exceeds t times it by t half-units in the last place at most, hence the margin).
  if (largest + Math.abs(largest) * 1e-12 < burstToBeat) return out;
  const top = Math.max(1, Math.ceil(count / 4));
  const first = count - top;
  select(directed, first, count);
  for (let i = first + 1; i < count; i++) {
    const v = directed[i];
    let j = i;
    while (j > first && directed[j - 1] > v) {
      directed[j] = directed[j - 1];
      j--;
    }
    directed[j] = v;
  }
  let topSum = 0;
  for (let i = count - 1; i >= first; i--) topSum += directed[i];
  out.burst = Math.max(0, topSum / top);
  return out;
}

/** Inserts `v` into ascending `sorted[0, size)`; returns the new size. */
function insertSorted(sorted: Float64Array, size: number, v: number): number {
  let i = size;
  while (i > 0 && sorted[i - 1] > v) {
    sorted[i] = sorted[i - 1];
    i--;
  }
  sorted[i] = v;
  return size + 1;
}

/** First index of ascending `sorted[0, size)` whose value is not below `v` (`size` when none). O(log size). */
export function lowerBound(sorted: ArrayLike<number>, size: number, v: number): number {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Removes one value equal to `v` from ascending `sorted[0, size)`; returns the new size. */
function removeSorted(sorted: Float64Array, size: number, v: number): number {
  const lo = lowerBound(sorted, size, v);
  if (lo >= size) return size;
  for (let i = lo; i < size - 1; i++) sorted[i] = sorted[i + 1];
  return size - 1;
}

/**
 * Ordinary least-squares line through the present values of `values[from, to)` against the point
 * index: its slope (value per step) and Σ(i − ī)² over those points (the slope's standard error is
 * the residual σ / √sxx). Slope `NaN` with fewer than `minPoints` (at least 2) present points or
 * all at one index. O(to − from).
 */
export function leastSquaresFit(values: ArrayLike<number>, from: number, to: number, minPoints = 3): { slope: number; sxx: number } {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (v !== v) continue;
    n++;
    sx += i - from;
    sy += v;
  }
  if (n < Math.max(2, minPoints)) return { slope: NaN, sxx: 0 };
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (v !== v) continue;
    const dx = i - from - mx;
    sxy += dx * (v - my);
    sxx += dx * dx;
  }
  return { slope: sxx > 0 ? sxy / sxx : NaN, sxx };
}

/**
 * Median of the finite values of `values[from, to)` — the same number as `nanMedian` (type 7:
 * the middle order statistic, or the mean of the two middle ones) — by selection instead of a
 * full sort, in `scratch` (at least `to − from` long) so loops allocate nothing. O(n) expected.
 */
export function medianOf(values: ArrayLike<number>, from: number, to: number, scratch: Float64Array = new Float64Array(Math.max(0, to - from))): number {
  // Only the finite values are copied, so the selection needs no second pass to drop the others.
  let n = 0;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (v === v && v !== Infinity && v !== -Infinity) scratch[n++] = v;
  }
  return middleOf(scratch, n);
}

/**
 * Whether no finite value of `values[from, to)` can be more than `limit` from their median, shown
 * without finding it: `low` and `high` are their smallest and largest, and when fewer than half the
 * values lie below high − limit and fewer than half above low + limit, the median lies between
 * those two, within `limit` of every value. A trend across a window spreads it wider than `limit`
 * with no point far from the rest; this one counting pass then replaces a copy and a selection.
 * False means not shown (the caller finds the median). The bounds keep a margin of 1e-9 of `limit`
 * and 1e-12 of the values' size, so rounding never turns a borderline case. O(to − from).
 */
export function noneFarFromMedian(values: ArrayLike<number>, from: number, to: number, low: number, high: number, limit: number): boolean {
  const margin = 1e-9 * limit + 1e-12 * (Math.abs(low) + Math.abs(high));
  const above = high - limit + margin;
  const below = low + limit - margin;
  if (!(above <= below)) return false;
  let n = 0;
  let under = 0;
  let over = 0;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (v === v && v !== Infinity && v !== -Infinity) {
      n++;
      if (v < above) under++;
      else if (v > below) over++;
    }
  }
  return 2 * under < n && 2 * over < n;
}

/**
 * Median of the finite values among `a[0, n)`, as `nanMedian` gives it; reorders `a` (non-finite
 * values are dropped from the front part). O(n) expected.
 */
export function medianInPlace(a: Float64Array, n: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (v === v && v !== Infinity && v !== -Infinity) a[k++] = v;
  }
  return middleOf(a, k);
}

/**
 * Median of `a[0, n)` when every one of them is finite (the caller dropped the others while
 * gathering them): medianInPlace without its filtering pass. Reorders `a`. O(n) expected.
 */
export function finiteMedianInPlace(a: Float64Array, n: number): number {
  return middleOf(a, n);
}

/** Up to this many values, middleOf sorts by insertion instead of selecting. */
const SMALL = 12;

/** Type-7 median of `a[0, k)` (all comparable), by selection. */
function middleOf(a: Float64Array, k: number): number {
  if (k === 0) return NaN;
  const h = (k - 1) * 0.5;
  const lo = Math.floor(h);
  if (k <= SMALL) {
    // A few values (a same-slot median over a week of days): sorting them beats selection's calls.
    for (let i = 1; i < k; i++) {
      const v = a[i];
      let j = i;
      while (j > 0 && a[j - 1] > v) {
        a[j] = a[j - 1];
        j--;
      }
      a[j] = v;
    }
    return h === lo ? a[lo] : a[lo] + (h - lo) * (a[lo + 1] - a[lo]);
  }
  const low = select(a, lo, k);
  if (h === lo) return low;
  // The next order statistic is the smallest value right of the selected one.
  let high = Infinity;
  for (let i = lo + 1; i < k; i++) if (a[i] < high) high = a[i];
  return low + (h - lo) * (high - low);
}

/**
 * Median absolute deviation of the finite values of `values[from, to)`, scaled by 1.4826 — the
 * same number as `nanMad` — by two selections in `scratch` instead of two sorts. O(n) expected.
 */
export function madOf(values: ArrayLike<number>, from: number, to: number, scratch: Float64Array = new Float64Array(Math.max(0, to - from))): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (v === v && v !== Infinity && v !== -Infinity) scratch[n++] = v;
  }
  if (n === 0) return NaN;
  const centre = middleOf(scratch, n);
  for (let i = 0; i < n; i++) scratch[i] = Math.abs(scratch[i] - centre);
  // Deviations of finite values may still overflow to Infinity; nanMad keeps those, so do we.
  return 1.4826 * middleOf(scratch, n);
}

/**
 * Puts the `k`-th smallest of `a[0, n)` at `a[k]` (smaller ones left, larger right) and returns
 * it: Hoare's FIND with the middle element as pivot (N. Wirth, Algorithms + Data Structures).
 */
function select(a: Float64Array, k: number, n: number): number {
  if (n > SAMPLED_ABOVE) {
    floydRivest(a, k, 0, n - 1);
    return a[k];
  }
  let left = 0;
  let right = n - 1;
  while (left < right) {
    const pivot = a[k];
    let i = left;
    let j = right;
    do {
      while (a[i] < pivot) i++;
      while (pivot < a[j]) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    } while (i <= j);
    if (j < k) left = i;
    if (k < i) right = j;
  }
  return a[k];
}

/** Above this many values, select narrows the range around `k` on a sample first. */
const SAMPLED_ABOVE = 600;

/**
 * Floyd and Rivest's SELECT (CACM 18(3), 1975, algorithm 489): on a long range, first select
 * within a sample-sized sub-range around `k`, whose value then splits the range close to `k` —
 * about n + min(k, n − k) comparisons instead of Hoare's ~3.4 n for a median. Same contract as
 * select: `a[k]` the k-th smallest of `a[left, right]`, smaller ones left of it, larger right.
 */
function floydRivest(a: Float64Array, k: number, left: number, right: number): void {
  while (right > left) {
    if (right - left > SAMPLED_ABOVE) {
      const n = right - left + 1;
      const m = k - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (m - n / 2 < 0 ? -1 : 1);
      floydRivest(a, k, Math.max(left, Math.floor(k - (m * s) / n + sd)), Math.min(right, Math.floor(k + ((n - m) * s) / n + sd)));
    }
    const pivot = a[k];
    let i = left;
    let j = right;
    swap(a, left, k);
    if (a[right] > pivot) swap(a, left, right);
    while (i < j) {
      swap(a, i, j);
      i++;
      j--;
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
    }
    if (a[left] === pivot) swap(a, left, j);
    else {
      j++;
      swap(a, j, right);
    }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/**
 * Whether values[j] is an isolated spike: more than `limit` above both neighbours or more than
 * `limit` below both (one slow request, one dropped sample), with both neighbours inside [lo, hi).
 * A step or a sawtooth's drop moves one difference only and is not a spike. O(1).
 */
export function isolatedSpike(values: ArrayLike<number>, j: number, lo: number, hi: number, limit: number): boolean {
  if (j - 1 < lo || j + 1 >= hi) return false;
  const a = values[j] - values[j - 1];
  const b = values[j + 1] - values[j];
  return (a > limit && b < -limit) || (a < -limit && b > limit);
}
