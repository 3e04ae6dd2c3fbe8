/**
 * The time-series model every part of Sluice shares: regular timestamps plus values.
 *
 * Point `i` is at `start + i * step` (epoch milliseconds). `NaN` in `values` means the point is
 * missing; there is no other sentinel. Irregular input is regularized once, at the boundary
 * (see `regularize`), so detectors only ever see this shape.
 */
export interface Series {
  /** Epoch milliseconds of the first point. */
  readonly start: number;
  /** Milliseconds between consecutive points; a positive integer. */
  readonly step: number;
  /** One value per step; `NaN` marks a missing point. */
  readonly values: Float64Array;
}

/** Builds a series, copying `values` into a `Float64Array` (`null`/`undefined` become `NaN`). */
export function series(start: number, step: number, values: ArrayLike<number | null | undefined>): Series {
  if (!Number.isFinite(start)) throw new RangeError(`series: start must be a finite epoch-ms number, got ${start}`);
  if (!(Number.isInteger(step) && step > 0)) throw new RangeError(`series: step must be a positive integer of milliseconds, got ${step}`);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === null || v === undefined ? NaN : v;
  }
  return { start, step, values: out };
}

/** Epoch ms of point `i`. */
export function timeAt(s: Series, i: number): number {
  return s.start + i * s.step;
}

/** Index of the point at or after epoch ms `t` (may be `values.length` when `t` is past the end). */
export function indexAtOrAfter(s: Series, t: number): number {
  const i = Math.ceil((t - s.start) / s.step);
  return Math.min(Math.max(i, 0), s.values.length);
}

/** Epoch ms one step past the last point. */
export function endOf(s: Series): number {
  return s.start + s.values.length * s.step;
}

/** Points `[from, to)` of a series as a new series sharing no memory with the input. */
export function slice(s: Series, from: number, to: number = s.values.length): Series {
  const a = Math.max(0, Math.min(from, s.values.length));
  const b = Math.max(a, Math.min(to, s.values.length));
  return { start: s.start + a * s.step, step: s.step, values: s.values.slice(a, b) };
}

/** Splits a series at epoch ms `t`: points before `t` and points from `t` on. */
export function splitAt(s: Series, t: number): { before: Series; after: Series } {
  const i = indexAtOrAfter(s, t);
  return { before: slice(s, 0, i), after: slice(s, i) };
}

/** Count of non-missing points in values[from, to) (the whole array by default; from clamped at 0). */
export function countPresent(values: Float64Array, from = 0, to = values.length): number {
  let n = 0;
  for (let i = Math.max(0, from); i < to; i++) if (values[i] === values[i]) n++;
  return n;
}

/**
 * A copy of `values` with every non-finite value (±Infinity) made `NaN`, the one mark of a missing
 * point. A plain loop: `Float64Array.from` with a map function boxes every value. O(n).
 */
export function finiteOrNaN(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === v && v !== Infinity && v !== -Infinity ? v : NaN;
  }
  return out;
}

/** Converts values to a JSON-friendly array (`NaN` → `null`). */
export function toJsonValues(values: ArrayLike<number>): (number | null)[] {
  const out: (number | null)[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = Number.isFinite(v) ? v : null;
  }
  return out;
}
