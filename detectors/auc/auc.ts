/**
 * Area between two curves sampled on the same regular grid, by the trapezoidal rule, aware of
 * missing points: only grid points where both curves have a value count, and the curve between
 * two such points is the straight line joining them (a gap of up to `maxGap` steps is bridged;
 * a longer one is left out of the area and of the covered time).
 *
 * Three integrals come out of one O(n) pass, all in value·milliseconds (or value·steps when
 * `step` is 1):
 *   signed    ∫ (a − b) dt
 *   absolute  ∫ |a − b| dt   (exact for the piecewise-linear curves: segments that cross zero
 *                             are split at the crossing)
 *   reference ∫ |b| dt       (the scale of the reference curve, same splitting)
 * Reference: the composite trapezoidal rule, e.g. Press et al., "Numerical Recipes", §4.1.
 */

export interface AreaOptions {
  /** Milliseconds (or any unit) between grid points (default 1: areas in value·steps). */
  step?: number;
  /** Longest run of missing grid points to bridge by a straight line (default: any). */
  maxGap?: number;
}

export interface AreaBetween {
  signed: number;
  absolute: number;
  reference: number;
  /** Time covered by the integrated segments, in units of `step`. */
  covered: number;
  /** Grid points where both curves have a value. */
  points: number;
}

/** ∫ |f| over one linear segment from f0 to f1 of length `width`, splitting at a zero crossing. */
function absoluteSegment(f0: number, f1: number, width: number): number {
  if ((f0 >= 0 && f1 >= 0) || (f0 <= 0 && f1 <= 0)) return (Math.abs(f0 + f1) * width) / 2;
  // The line crosses zero at fraction |f0| / (|f0| + |f1|) of the segment: two triangles.
  return ((f0 * f0 + f1 * f1) * width) / (2 * (Math.abs(f0) + Math.abs(f1)));
}

/**
 * Signed, absolute and reference areas between `a` (e.g. treated) and `b` (e.g. control) on the
 * same grid (see the module comment). Curves of different lengths use their common prefix.
 * Never throws: with fewer than two usable points every area is 0 and `covered` is 0. O(n).
 */
export function areaBetween(a: Float64Array, b: Float64Array, options: AreaOptions = {}): AreaBetween {
  const step = options.step ?? 1;
  const maxGap = options.maxGap ?? Infinity;
  const n = Math.min(a.length, b.length);
  let signed = 0;
  let absolute = 0;
  let reference = 0;
  let covered = 0;
  let points = 0;
  let previous = -1;
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    points++;
    if (previous >= 0 && i - previous - 1 <= maxGap) {
      const width = (i - previous) * step;
      const d0 = a[previous] - b[previous];
      const d1 = x - y;
      signed += ((d0 + d1) * width) / 2;
      absolute += absoluteSegment(d0, d1, width);
      reference += absoluteSegment(b[previous], y, width);
      covered += width;
    }
    previous = i;
  }
  return { signed, absolute, reference, covered, points };
}
