/**
 * The loess kernels STL is built from, following the structure of Cleveland, Cleveland, McRae &
 * Terpenning's reference implementation (netlib `stl`) closely enough that results agree with R's
 * `stl` and statsmodels' `STL` to rounding: the same window placement, the same tricube weights,
 * the same degree-1 correction, the same jump interpolation and the same running-sum moving
 * averages. Arrays are passed as (array, offset) pairs so the caller can lay every work vector in
 * one allocation, as the original does; indices inside a routine are 1-based "positions" so the
 * window arithmetic reads like the paper's.
 *
 * Nothing here allocates; the caller owns every buffer.
 */

/**
 * Tricube weights (1 − (r/h)³)³ for integer distances r, computed once per bandwidth h and
 * reused by every fit with that bandwidth: a sweep over the interior of a series uses one h.
 * Distances within 0.001·h weigh 1 and beyond 0.999·h weigh 0, as in the reference.
 */
export class TricubeTable {
  /** Bandwidth the table holds, and the largest distance filled for it (read on the hot path). */
  bandwidth = -1;
  filled = -1;
  private symmetricBandwidth = -1;
  readonly values: Float64Array;
  /** Normalised weights of a full symmetric window of half-width h, by distance 0 … h. */
  readonly symmetric: Float64Array;
  constructor(maxDistance: number) {
    this.values = new Float64Array(maxDistance + 1);
    this.symmetric = new Float64Array(maxDistance + 1);
  }

  /**
   * Prepares `symmetric` for a window of `h` points on either side of the fitted one. On such
   * a window without robustness weights the degree-1 correction vanishes (the weighted centre
   * is the fitted point itself), so loess of degree 0 or 1 is a fixed weighted average.
   */
  prepareSymmetric(h: number): void {
    if (h === this.symmetricBandwidth) return;
    this.prepare(h, h);
    let total = this.values[0];
    for (let d = 1; d <= h; d++) total += 2 * this.values[d];
    for (let d = 0; d <= h; d++) this.symmetric[d] = this.values[d] / total;
    this.symmetricBandwidth = h;
  }
  /** Makes `values[0..maxDistance]` hold the weights for bandwidth `h`. */
  prepare(h: number, maxDistance: number): void {
    if (h !== this.bandwidth) {
      this.bandwidth = h;
      this.filled = -1;
    }
    if (maxDistance <= this.filled) return;
    const h9 = 0.999 * h;
    const h1 = 0.001 * h;
    const values = this.values;
    for (let r = this.filled + 1; r <= maxDistance; r++) {
      if (r > h9) values[r] = 0;
      else if (r <= h1) values[r] = 1;
      else {
        const q = r / h;
        const u = 1 - q * q * q;
        values[r] = u * u * u;
      }
    }
    this.filled = maxDistance;
  }
}

/**
 * Local (degree 0 or 1) tricube-weighted fit at abscissa `xs` (1-based position) using points
 * `nleft..nright` of `y`, optionally multiplying the kernel by `robustWeights`. Returns the
 * fitted value, or `NaN` when every weight is zero (the caller then falls back, as the
 * reference does). One pass over the window: the degree-1 fit is written through weighted
 * moments about `xs`, which is algebraically the reference's equivalent-kernel form.
 * O(nright − nleft).
 */
export function loessFit(
  y: Float64Array,
  yOffset: number,
  n: number,
  window: number,
  degree: number,
  xs: number,
  nleft: number,
  nright: number,
  table: TricubeTable,
  useWeights: boolean,
  robustWeights: Float64Array,
  rwOffset: number,
): number {
  const left = xs - nleft;
  const right = nright - xs;
  const reach = left > right ? left : right;
  let h = reach;
  // A window longer than the series widens the kernel by the excess, as in the reference.
  if (window > n) h += Math.trunc((window - n) / 2);
  if (h !== table.bandwidth || reach > table.filled) table.prepare(h, reach);
  const kernel = table.values;
  // Positions are 1-based: position j lives at y[yBase + j].
  const yBase = yOffset - 1;
  const rwBase = rwOffset - 1;
  let total = 0;
  let sumD = 0;
  let sumD2 = 0;
  let sumY = 0;
  let sumDY = 0;
  if (degree === 0 || h <= 0) {
    // A local constant needs only the weighted mean.
    for (let j = nleft; j <= nright; j++) {
      const d = j < xs ? xs - j : j - xs;
      const weight = useWeights ? kernel[d] * robustWeights[rwBase + j] : kernel[d];
      total += weight;
      sumY += weight * y[yBase + j];
    }
    return total > 0 ? sumY / total : NaN;
  }
  // Left of xs and right of it in separate loops, so the distance needs no absolute value;
  // the robust and plain cases in separate loops, so the inner loop carries no branch.
  const split = xs < nleft ? nleft : xs > nright + 1 ? nright + 1 : xs;
  if (useWeights) {
    for (let j = nleft; j < split; j++) {
      const d = j - xs;
      const weight = kernel[-d] * robustWeights[rwBase + j];
      const v = y[yBase + j];
      const wd = weight * d;
      total += weight;
      sumD += wd;
      sumD2 += wd * d;
      sumY += weight * v;
      sumDY += wd * v;
    }
    for (let j = split; j <= nright; j++) {
      const d = j - xs;
      const weight = kernel[d] * robustWeights[rwBase + j];
      const v = y[yBase + j];
      const wd = weight * d;
      total += weight;
      sumD += wd;
      sumD2 += wd * d;
      sumY += weight * v;
      sumDY += wd * v;
    }
  } else {
    for (let j = nleft; j < split; j++) {
      const d = j - xs;
      const weight = kernel[-d];
      const v = y[yBase + j];
      const wd = weight * d;
      total += weight;
      sumD += wd;
      sumD2 += wd * d;
      sumY += weight * v;
      sumDY += wd * v;
    }
    for (let j = split; j <= nright; j++) {
      const d = j - xs;
      const weight = kernel[d];
      const v = y[yBase + j];
      const wd = weight * d;
      total += weight;
      sumD += wd;
      sumD2 += wd * d;
      sumY += weight * v;
      sumDY += wd * v;
    }
  }
  return finishFit(total, sumD, sumD2, sumY, sumDY, degree, h, n);
}

/**
 * The fitted value from the weighted moments about the fitted position: the weighted mean,
 * plus the slope term for degree 1 when the design has enough spread (as the reference).
 * `NaN` when every weight is zero.
 */
function finishFit(total: number, sumD: number, sumD2: number, sumY: number, sumDY: number, degree: number, h: number, n: number): number {
  if (total <= 0) return NaN;
  const mean = sumY / total;
  if (h > 0 && degree > 0) {
    const center = sumD / total;
    const spread = sumD2 / total - center * center;
    if (Math.sqrt(spread) > 0.001 * (n - 1)) return mean + (-center / spread) * (sumDY / total - center * mean);
  }
  return mean;
}

/**
 * One point of `loessSmooth`: `out[oBase + i]` = loess at position i on `nleft..nright`, or the
 * raw value when no point has weight (the reference's fallback).
 */
function fitPoint(
  y: Float64Array,
  yOffset: number,
  n: number,
  window: number,
  degree: number,
  i: number,
  nleft: number,
  nright: number,
  table: TricubeTable,
  useWeights: boolean,
  robustWeights: Float64Array,
  rwOffset: number,
  out: Float64Array,
  oBase: number,
): void {
  const yBase = yOffset - 1;
  const h = i - nleft;
  if (useWeights && window < n && h === nright - i) {
    // Interior point with robustness weights: pair the points at ±d so each distance's
    // tricube weight is read once.
    if (h !== table.bandwidth || h > table.filled) table.prepare(h, h);
    const kernel = table.values;
    const rwBase = rwOffset - 1;
    let total = kernel[0] * robustWeights[rwBase + i];
    let sumY = total * y[yBase + i];
    let sumD = 0;
    let sumD2 = 0;
    let sumDY = 0;
    for (let d = 1; d < h; d++) {
      const left = kernel[d] * robustWeights[rwBase + i - d];
      const right = kernel[d] * robustWeights[rwBase + i + d];
      const leftY = left * y[yBase + i - d];
      const rightY = right * y[yBase + i + d];
      total += left + right;
      sumD += d * (right - left);
      sumD2 += d * d * (left + right);
      sumY += leftY + rightY;
      sumDY += d * (rightY - leftY);
    }
    const v = finishFit(total, sumD, sumD2, sumY, sumDY, degree, h, n);
    out[oBase + i] = v === v ? v : y[yBase + i];
    return;
  }
  if (!useWeights && window < n && h === nright - i) {
    // Interior point, no robustness weights: a fixed symmetric average (see prepareSymmetric).
    table.prepareSymmetric(h);
    const kernel = table.symmetric;
    let sum = kernel[0] * y[yBase + i];
    for (let d = 1; d < h; d++) sum += kernel[d] * (y[yBase + i - d] + y[yBase + i + d]);
    out[oBase + i] = sum;
    return;
  }
  const v = loessFit(y, yOffset, n, window, degree, i, nleft, nright, table, useWeights, robustWeights, rwOffset);
  out[oBase + i] = v === v ? v : y[yBase + i];
}

/**
 * Loess smooth of `y[0..n)` (at `yOffset`) with window `window`, evaluated every `jump` points
 * and linearly interpolated in between; writes `n` values at `out[outOffset..]`.
 * `table` must cover distances up to `n`. O(n·window / jump).
 */
export function loessSmooth(
  y: Float64Array,
  yOffset: number,
  n: number,
  window: number,
  degree: number,
  jump: number,
  useWeights: boolean,
  robustWeights: Float64Array,
  rwOffset: number,
  out: Float64Array,
  outOffset: number,
  table: TricubeTable,
): void {
  const yBase = yOffset - 1;
  const oBase = outOffset - 1;
  if (n < 2) {
    out[oBase + 1] = y[yBase + 1];
    return;
  }
  const step = Math.min(jump, n - 1);
  let nleft = 1;
  let nright = n;
  if (window >= n) {
    nleft = 1;
    nright = n;
    for (let i = 1; i <= n; i += step) fitPoint(y, yOffset, n, window, degree, i, nleft, nright, table, useWeights, robustWeights, rwOffset, out, oBase);
  } else if (step === 1) {
    const half = (window + 1) >> 1;
    nleft = 1;
    nright = window;
    for (let i = 1; i <= n; i++) {
      if (i > half && nright !== n) {
        nleft++;
        nright++;
      }
      fitPoint(y, yOffset, n, window, degree, i, nleft, nright, table, useWeights, robustWeights, rwOffset, out, oBase);
    }
  } else {
    const half = (window + 1) >> 1;
    for (let i = 1; i <= n; i += step) {
      if (i < half) {
        nleft = 1;
        nright = window;
      } else if (i >= n - half + 1) {
        nleft = n - window + 1;
        nright = n;
      } else {
        nleft = i - half + 1;
        nright = window + i - half;
      }
      fitPoint(y, yOffset, n, window, degree, i, nleft, nright, table, useWeights, robustWeights, rwOffset, out, oBase);
    }
  }
  if (step !== 1) {
    for (let i = 1; i <= n - step; i += step) {
      const a = out[oBase + i];
      const delta = (out[oBase + i + step] - a) / step;
      for (let j = i + 1; j <= i + step - 1; j++) out[oBase + j] = a + delta * (j - i);
    }
    const last = Math.trunc((n - 1) / step) * step + 1;
    if (last !== n) {
      // The window from the last evaluated point is reused for the final point, as in the reference.
      fitPoint(y, yOffset, n, window, degree, n, nleft, nright, table, useWeights, robustWeights, rwOffset, out, oBase);
      if (last !== n - 1) {
        const a = out[oBase + last];
        const delta = (out[oBase + n] - a) / (n - last);
        for (let j = last + 1; j <= n - 1; j++) out[oBase + j] = a + delta * (j - last);
      }
    }
  }
}

/**
 * Moving average of length `length` over `n` values: writes `n − length + 1` values. Uses a
 * running sum (as the reference does) so it is O(n) whatever the length.
 */
export function movingAverage(x: Float64Array, xOffset: number, n: number, length: number, out: Float64Array, outOffset: number): void {
  const count = n - length + 1;
  let sum = 0;
  for (let i = 0; i < length; i++) sum += x[xOffset + i];
  out[outOffset] = sum / length;
  for (let j = 1, k = length, m = 0; j < count; j++, k++, m++) {
    sum = sum - x[xOffset + m] + x[xOffset + k];
    out[outOffset + j] = sum / length;
  }
}

/**
 * STL's low-pass filter: moving averages of length `period`, `period` and 3, turning `n` values
 * into `n − 2·period` values. O(n).
 */
export function lowPassFilter(x: Float64Array, xOffset: number, n: number, period: number, out: Float64Array, outOffset: number, scratch: Float64Array, scratchOffset: number): void {
  movingAverage(x, xOffset, n, period, out, outOffset);
  movingAverage(out, outOffset, n - period + 1, period, scratch, scratchOffset);
  movingAverage(scratch, scratchOffset, n - 2 * period + 2, 3, out, outOffset);
}

/** Work vectors `cycleSubseriesSmooth` needs, each at least `n / period + 3` long. */
export interface SubseriesBuffers {
  values: Float64Array;
  smoothed: Float64Array;
  weights: Float64Array;
  table: TricubeTable;
}

/**
 * Smooths each cycle-subseries (all Januaries, all Februaries, …) with loess and extends it by
 * one point at each end, writing `n + 2·period` values to `out` (position `m` of subseries `j`
 * goes to `out[(m − 1)·period + j − 1]`). O(n·window / jump).
 */
export function cycleSubseriesSmooth(
  y: Float64Array,
  n: number,
  period: number,
  window: number,
  degree: number,
  jump: number,
  useWeights: boolean,
  robustWeights: Float64Array,
  out: Float64Array,
  buffers: SubseriesBuffers,
): void {
  const { values, smoothed, weights, table } = buffers;
  for (let j = 1; j <= period; j++) {
    const k = Math.trunc((n - j) / period) + 1;
    for (let i = 0; i < k; i++) values[i] = y[i * period + j - 1];
    if (useWeights) for (let i = 0; i < k; i++) weights[i] = robustWeights[i * period + j - 1];
    loessSmooth(values, 0, k, window, degree, jump, useWeights, weights, 0, smoothed, 1, table);
    const right = Math.min(window, k);
    let edge = loessFit(values, 0, k, window, degree, 0, 1, right, table, useWeights, weights, 0);
    smoothed[0] = edge === edge ? edge : smoothed[1];
    const left = Math.max(1, k - window + 1);
    edge = loessFit(values, 0, k, window, degree, k + 1, left, k, table, useWeights, weights, 0);
    smoothed[k + 1] = edge === edge ? edge : smoothed[k];
    for (let m = 0; m < k + 2; m++) out[m * period + j - 1] = smoothed[m];
  }
}
