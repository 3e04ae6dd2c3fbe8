/**
 * Dynamic time warping: the cheapest monotone, continuous alignment of two series, with the
 * Sakoe–Chiba band, absolute or squared point cost, optional z-normalisation, the LB_Kim and
 * LB_Keogh lower bounds and early abandoning against a threshold.
 *
 * Recurrence (step pattern "symmetric1"): D(i, j) = cost(aᵢ, bⱼ) + min(D(i−1, j−1), D(i−1, j), D(i, j−1)),
 * D(0, 0) = cost(a₀, b₀); the distance is D(n−1, m−1), the plain sum of point costs along the
 * path. With `cost: 'squared'` it is the sum of squared differences (no square root), the
 * convention of the UCR suite.
 *
 * References: Sakoe & Chiba (1978) "Dynamic programming algorithm optimization for spoken word
 * recognition"; Keogh & Ratanamahatana (2005) "Exact indexing of dynamic time warping";
 * Rakthanmanon et al. (2012) "Searching and mining trillions of time series subsequences under
 * dynamic time warping" (the UCR suite: LB_Kim, LB_Keogh, cumulative early abandoning).
 *
 * Missing points: a `NaN` anywhere gives a `NaN` distance (NaN in, NaN out); callers that want
 * gaps handled drop or fill them first, as the detector does.
 */

import { wavefrontDistance } from './wavefront.js';

/** How two aligned points are charged. */
export type DtwCost = 'absolute' | 'squared';

export interface DtwOptions {
  /**
   * Sakoe–Chiba band half-width in points: only cells with |i − j| ≤ window are allowed.
   * Omitted or `Infinity` = unconstrained. Widened to |n − m| when the lengths differ, so that a
   * path always exists.
   */
  window?: number;
  /** Point cost (default `absolute`). */
  cost?: DtwCost;
  /** Z-normalise each series (mean 0, standard deviation 1) before aligning (default false). */
  zNormalize?: boolean;
  /**
   * Early-abandoning threshold: once the distance is proven to exceed it, stop and return
   * `Infinity`. A distance at or below the threshold is returned exactly as without it.
   */
  abandonAbove?: number;
}

/** Distance plus what it took to get it, for evidence and benchmarks. */
export interface DtwResult {
  /** The DTW distance; `Infinity` when abandoned; `NaN` when an input holds `NaN` or is empty. */
  distance: number;
  /** True when the computation stopped early because the distance exceeds `abandonAbove`. */
  abandoned: boolean;
  /** Which stage decided an abandoned computation: a lower bound or the dynamic programme. */
  prunedBy: 'none' | 'lbKim' | 'lbKeogh' | 'dtw';
  /** Band half-width actually used (after widening to |n − m|); `Infinity` when unconstrained. */
  window: number;
  /** Matrix cells evaluated by the dynamic programme (0 when a lower bound pruned). */
  cells: number;
}

/** An alignment: pairs of indices (into a, into b) from (0, 0) to (n − 1, m − 1). */
export interface DtwPath {
  distance: number;
  window: number;
  path: [number, number][];
}

/**
 * Z-normalised copy: (x − mean) / standard deviation (population, n in the denominator, as
 * the UCR suite does). A constant series becomes all zeros. O(n).
 */
export function zNormalize(values: Float64Array): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2;
  const deviation = Math.sqrt(squares / n);
  // A flat series has no shape to compare; zeros keep the distance finite and meaningful.
  if (!(deviation > 0) || !Number.isFinite(deviation)) return out;
  for (let i = 0; i < n; i++) out[i] = (values[i] - mean) / deviation;
  return out;
}

/** Band half-width used for lengths n and m: the requested one, widened to |n − m|. */
export function effectiveWindow(n: number, m: number, window: number | undefined): number {
  const requested = window === undefined || !Number.isFinite(window) || window < 0 ? Infinity : Math.floor(window);
  const needed = Math.abs(n - m);
  if (requested >= Math.max(n, m)) return Infinity;
  return Math.max(requested, needed);
}

function hasNaN(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== values[i]) return true;
  return false;
}

const pointCost = (x: number, y: number, cost: DtwCost): number => (cost === 'squared' ? (x - y) * (x - y) : Math.abs(x - y));

/**
 * LB_Kim (the UCR suite's first-and-last form): every warping path holds (0, 0) and
 * (n − 1, m − 1), so their costs bound the distance from below. O(1).
 */
export function lbKim(a: Float64Array, b: Float64Array, cost: DtwCost = 'absolute'): number {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return NaN;
  const first = pointCost(a[0], b[0], cost);
  if (n === 1 && m === 1) return first;
  return first + pointCost(a[n - 1], b[m - 1], cost);
}

/**
 * Upper and lower envelope of `values` under a band of half-width `window`:
 * upper[i] = max(values[i − window … i + window]), lower[i] likewise with min. Lemire's
 * streaming min/max with monotone deques, O(n) whatever the window.
 */
export function keoghEnvelope(values: Float64Array, window: number): { upper: Float64Array; lower: Float64Array } {
  const n = values.length;
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const w = Number.isFinite(window) ? Math.max(0, Math.floor(window)) : n;
  const maxQueue = new Int32Array(n + 1);
  const minQueue = new Int32Array(n + 1);
  let maxHead = 0;
  let maxTail = 0;
  let minHead = 0;
  let minTail = 0;
  let next = 0;
  for (let i = 0; i < n; i++) {
    const right = Math.min(n - 1, i + w);
    while (next <= right) {
      const v = values[next];
      while (maxTail > maxHead && values[maxQueue[maxTail - 1]] <= v) maxTail--;
      maxQueue[maxTail++] = next;
      while (minTail > minHead && values[minQueue[minTail - 1]] >= v) minTail--;
      minQueue[minTail++] = next;
      next++;
    }
    const left = i - w;
    while (maxQueue[maxHead] < left) maxHead++;
    while (minQueue[minHead] < left) minHead++;
    upper[i] = values[maxQueue[maxHead]];
    lower[i] = values[minQueue[minHead]];
  }
  return { upper, lower };
}

/**
 * LB_Keogh(query, candidate): the cost of each query point to the candidate's envelope,
 * summed. A lower bound of DTW(query, candidate) under the same band (each query point is
 * aligned with at least one candidate point inside its band). O(n + m).
 *
 * `perRow`, when given (length n), receives each query point's contribution, for cumulative
 * early abandoning.
 */
export function lbKeogh(query: Float64Array, candidate: Float64Array, window: number, cost: DtwCost = 'absolute', perRow?: Float64Array): number {
  const n = query.length;
  const m = candidate.length;
  if (n === 0 || m === 0) return NaN;
  const w = effectiveWindow(n, m, window);
  const span = Number.isFinite(w) ? w : Math.max(n, m);
  // The envelope of point i spans candidate[i − w … i + w] clipped to the candidate.
  const { upper, lower } = envelopeForQuery(candidate, n, span);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = query[i];
    let d = 0;
    if (x > upper[i]) d = cost === 'squared' ? (x - upper[i]) ** 2 : x - upper[i];
    else if (x < lower[i]) d = cost === 'squared' ? (lower[i] - x) ** 2 : lower[i] - x;
    if (perRow) perRow[i] = d;
    sum += d;
  }
  return sum;
}

/** Envelope indexed by query position 0 … n − 1 over a candidate of any length. */
function envelopeForQuery(candidate: Float64Array, n: number, span: number): { upper: Float64Array; lower: Float64Array } {
  const m = candidate.length;
  if (n === m) return keoghEnvelope(candidate, span);
  // Unequal lengths are rare (the detector aligns equal lengths); a direct scan keeps it simple.
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const from = Math.max(0, i - span);
    const to = Math.min(m - 1, i + span);
    let hi = -Infinity;
    let lo = Infinity;
    for (let j = from; j <= to; j++) {
      const v = candidate[j];
      if (v > hi) hi = v;
      if (v < lo) lo = v;
    }
    upper[i] = hi;
    lower[i] = lo;
  }
  return { upper, lower };
}

/**
 * DTW distance with every option, returning how it was reached. Time O(n · window), O(n · m)
 * unconstrained. With `abandonAbove`, LB_Kim and LB_Keogh are tried first, then the dynamic
 * programme runs row by row in O(window) memory (two rows of the band) and stops as soon as the
 * smallest entry of the current row plus the LB_Keogh contributions of the rows still to come
 * exceeds the threshold. Without a threshold, matrices of 20,000 cells or more are swept by
 * anti-diagonals in WebAssembly SIMD (see `wavefront.ts`; O(n + m) memory, identical results).
 */
export function dtw(a: Float64Array, b: Float64Array, options: DtwOptions = {}): DtwResult {
  const cost = options.cost ?? 'absolute';
  const n = a.length;
  const m = b.length;
  const window = effectiveWindow(n, m, options.window);
  if (n === 0 || m === 0 || hasNaN(a) || hasNaN(b)) return { distance: NaN, abandoned: false, prunedBy: 'none', window, cells: 0 };
  const x = options.zNormalize ? zNormalize(a) : a;
  const y = options.zNormalize ? zNormalize(b) : b;
  const threshold = options.abandonAbove;
  let remaining: Float64Array | undefined;
  if (threshold !== undefined && Number.isFinite(threshold)) {
    if (lbKim(x, y, cost) > threshold) return { distance: Infinity, abandoned: true, prunedBy: 'lbKim', window, cells: 0 };
    const perRow = new Float64Array(n);
    if (lbKeogh(x, y, window, cost, perRow) > threshold) return { distance: Infinity, abandoned: true, prunedBy: 'lbKeogh', window, cells: 0 };
    // remaining[i] = lower bound of what rows i + 1 … n − 1 must still add.
    remaining = new Float64Array(n);
    let tail = 0;
    for (let i = n - 1; i >= 0; i--) {
      remaining[i] = tail;
      tail += perRow[i];
    }
  }
  if (remaining === undefined) {
    const cells = bandCells(n, m, window);
    if (cells >= WAVEFRONT_MIN_CELLS) {
      const distance = wavefrontDistance(x, y, window, cost === 'squared');
      if (distance !== null) return { distance, abandoned: false, prunedBy: 'none', window, cells };
    }
  }
  const outcome = cost === 'squared' ? bandedSquared(x, y, window, threshold, remaining) : bandedAbsolute(x, y, window, threshold, remaining);
  const abandoned = outcome.distance === Infinity;
  return { distance: outcome.distance, abandoned, prunedBy: abandoned ? 'dtw' : 'none', window, cells: outcome.cells };
}

/**
 * Below this many cells the row kernels win: setting up the WebAssembly kernel costs about as
 * much as 20,000 cells.
 */
const WAVEFRONT_MIN_CELLS = 20_000;

/** Cells of an n × m matrix inside a band of half-width `window` (Infinity = all). O(n). */
function bandCells(n: number, m: number, window: number): number {
  if (!Number.isFinite(window)) return n * m;
  let cells = 0;
  for (let i = 0; i < n; i++) cells += Math.min(m - 1, i + window) - Math.max(0, i - window) + 1;
  return cells;
}

/** DTW distance only; see `dtw` for options and cost. */
export function dtwDistance(a: Float64Array, b: Float64Array, options: DtwOptions = {}): number {
  return dtw(a, b, options).distance;
}

// The two kernels below are one algorithm written twice so that the cost is a literal
// expression in the hot loop: a callback or a branch per cell would cost several times more.
// Rows are stored by band offset k = j − i + w, shifted by one so that k − 1 and k + 1 are
// always valid indices; entries just outside a row's band hold Infinity.

function bandedAbsolute(a: Float64Array, b: Float64Array, window: number, threshold: number | undefined, remaining: Float64Array | undefined): { distance: number; cells: number } {
  const n = a.length;
  const m = b.length;
  const w = Number.isFinite(window) ? window : Math.max(n, m);
  const width = 2 * w + 3;
  let previous = new Float64Array(width).fill(Infinity);
  let current = new Float64Array(width).fill(Infinity);
  const check = remaining !== undefined && threshold !== undefined;
  let cells = 0;
  for (let i = 0; i < n; i++) {
    const jFrom = i - w > 0 ? i - w : 0;
    const jTo = i + w < m - 1 ? i + w : m - 1;
    const shift = w - i + 1;
    const pointOfA = a[i];
    let rowMin = Infinity;
    current[jFrom + shift - 1] = Infinity;
    if (i === 0) {
      let acc = 0;
      for (let j = 0; j <= jTo; j++) {
        acc += Math.abs(pointOfA - b[j]);
        current[j + shift] = acc;
      }
      rowMin = Math.abs(pointOfA - b[0]);
    } else {
      let left = Infinity;
      if (check) {
        for (let j = jFrom; j <= jTo; j++) {
          const k = j + shift;
          const diagonal = previous[k];
          const up = previous[k + 1];
          let best = diagonal < up ? diagonal : up;
          if (left < best) best = left;
          const value = best + Math.abs(pointOfA - b[j]);
          current[k] = value;
          left = value;
          if (value < rowMin) rowMin = value;
        }
      } else {
        // The same loop without the row minimum, which only early abandoning needs.
        for (let j = jFrom; j <= jTo; j++) {
          const k = j + shift;
          const diagonal = previous[k];
          const up = previous[k + 1];
          let best = diagonal < up ? diagonal : up;
          if (left < best) best = left;
          const value = best + Math.abs(pointOfA - b[j]);
          current[k] = value;
          left = value;
        }
      }
    }
    current[jTo + shift + 1] = Infinity;
    cells += jTo - jFrom + 1;
    if (check && rowMin + remaining[i] > threshold) return { distance: Infinity, cells };
    const swap = previous;
    previous = current;
    current = swap;
  }
  const distance = previous[m - 1 + (w - (n - 1) + 1)];
  if (threshold !== undefined && distance > threshold) return { distance: Infinity, cells };
  return { distance, cells };
}

function bandedSquared(a: Float64Array, b: Float64Array, window: number, threshold: number | undefined, remaining: Float64Array | undefined): { distance: number; cells: number } {
  const n = a.length;
  const m = b.length;
  const w = Number.isFinite(window) ? window : Math.max(n, m);
  const width = 2 * w + 3;
  let previous = new Float64Array(width).fill(Infinity);
  let current = new Float64Array(width).fill(Infinity);
  const check = remaining !== undefined && threshold !== undefined;
  let cells = 0;
  for (let i = 0; i < n; i++) {
    const jFrom = i - w > 0 ? i - w : 0;
    const jTo = i + w < m - 1 ? i + w : m - 1;
    const shift = w - i + 1;
    const pointOfA = a[i];
    let rowMin = Infinity;
    current[jFrom + shift - 1] = Infinity;
    if (i === 0) {
      let acc = 0;
      for (let j = 0; j <= jTo; j++) {
        const d = pointOfA - b[j];
        acc += d * d;
        current[j + shift] = acc;
      }
      rowMin = (pointOfA - b[0]) * (pointOfA - b[0]);
    } else {
      let left = Infinity;
      if (check) {
        for (let j = jFrom; j <= jTo; j++) {
          const k = j + shift;
          const diagonal = previous[k];
          const up = previous[k + 1];
          let best = diagonal < up ? diagonal : up;
          if (left < best) best = left;
          const d = pointOfA - b[j];
          const value = best + d * d;
          current[k] = value;
          left = value;
          if (value < rowMin) rowMin = value;
        }
      } else {
        // The same loop without the row minimum, which only early abandoning needs.
        for (let j = jFrom; j <= jTo; j++) {
          const k = j + shift;
          const diagonal = previous[k];
          const up = previous[k + 1];
          let best = diagonal < up ? diagonal : up;
          if (left < best) best = left;
          const d = pointOfA - b[j];
          const value = best + d * d;
          current[k] = value;
          left = value;
        }
      }
    }
    current[jTo + shift + 1] = Infinity;
    cells += jTo - jFrom + 1;
    if (check && rowMin + remaining[i] > threshold) return { distance: Infinity, cells };
    const swap = previous;
    previous = current;
    current = swap;
  }
  const distance = previous[m - 1 + (w - (n - 1) + 1)];
  if (threshold !== undefined && distance > threshold) return { distance: Infinity, cells };
  return { distance, cells };
}

/**
 * DTW distance and the optimal warping path. Keeps the band of the cost matrix, so memory is
 * O(n · window) (O(n · m) unconstrained); time likewise. Ties prefer the diagonal step, then
 * the step that advances `a`. Early abandoning does not apply here.
 */
export function dtwPath(a: Float64Array, b: Float64Array, options: Omit<DtwOptions, 'abandonAbove'> = {}): DtwPath {
  const cost = options.cost ?? 'absolute';
  const n = a.length;
  const m = b.length;
  const window = effectiveWindow(n, m, options.window);
  if (n === 0 || m === 0 || hasNaN(a) || hasNaN(b)) return { distance: NaN, window, path: [] };
  const x = options.zNormalize ? zNormalize(a) : a;
  const y = options.zNormalize ? zNormalize(b) : b;
  const w = Number.isFinite(window) ? window : Math.max(n, m);
  // Cell (i, j) lives at i · width + (j − i + w + 1); the slots around each row's band are never
  // written and stay Infinity, so the recurrence needs no bounds tests.
  const width = 2 * w + 3;
  const matrix = new Float64Array(n * width).fill(Infinity);
  const index = (i: number, j: number): number => i * width + (j - i + w + 1);
  const squared = cost === 'squared';
  for (let i = 0; i < n; i++) {
    const jFrom = Math.max(0, i - w);
    const jTo = Math.min(m - 1, i + w);
    const xi = x[i];
    let k = index(i, jFrom);
    for (let j = jFrom; j <= jTo; j++, k++) {
      const d = xi - y[j];
      const step = squared ? d * d : Math.abs(d);
      let best: number;
      if (i === 0) best = j === 0 ? 0 : matrix[k - 1];
      else {
        const diagonal = matrix[k - width];
        const up = matrix[k - width + 1];
        best = diagonal < up ? diagonal : up;
        if (matrix[k - 1] < best) best = matrix[k - 1];
      }
      matrix[k] = best + step;
    }
  }
  const at = (i: number, j: number): number => (i < 0 || j < 0 || Math.abs(i - j) > w || j >= m ? Infinity : matrix[index(i, j)]);
  const path: [number, number][] = [];
  let i = n - 1;
  let j = m - 1;
  path.push([i, j]);
  while (i > 0 || j > 0) {
    const diagonal = at(i - 1, j - 1);
    const up = at(i - 1, j);
    const left = at(i, j - 1);
    if (diagonal <= up && diagonal <= left) {
      i--;
      j--;
    } else if (up <= left) {
      i--;
    } else {
      j--;
    }
    path.push([i, j]);
  }
  path.reverse();
  return { distance: at(n - 1, m - 1), window, path };
}
