/**
 * What a comparison detector compares the treated series with, chosen the same way by every
 * such detector:
 *
 * - released vs unreleased: the control aggregate over the same minutes (`input.control`, or
 *   the point-wise mean of `input.controlHosts` when no aggregate is given), aligned to the
 *   treated series by timestamp;
 * - before vs after, when there is no control: the treated hosts' own history, its last L
 *   points against the treated window's last L points, L = min(treated length, history length).
 *
 * Missing points stay `NaN`; each detector decides how to treat them.
 */
import type { DetectorInput } from './detector.js';
import { fail, ok, type Result } from './errors.js';
import { countPresent, finiteOrNaN, type Series } from './series.js';

export type ComparisonMode = 'released_vs_unreleased' | 'before_after';

export interface ComparisonPair {
  mode: ComparisonMode;
  /** Treated values on the comparison grid. */
  treated: Float64Array;
  /** Reference values (control, or history tail) on the same grid, index by index. */
  reference: Float64Array;
  /** Epoch ms and step of the grid's first point (the treated series' own timestamps). */
  start: number;
  step: number;
}

/** Point-wise mean of several series on the grid of `grid` (missing where no host has a value). O(hosts · n). */
export function pointwiseMean(hosts: Series[], grid: Series): Float64Array {
  const n = grid.values.length;
  const sum = new Float64Array(n);
  const count = new Uint32Array(n);
  for (const host of hosts) {
    const aligned = alignTo(host, grid);
    for (let i = 0; i < n; i++) {
      const v = aligned[i];
      if (Number.isFinite(v)) {
        sum[i] += v;
        count[i]++;
      }
    }
  }
  for (let i = 0; i < n; i++) sum[i] = count[i] > 0 ? sum[i] / count[i] : NaN;
  return sum;
}

/**
 * Values of `source` at the timestamps of `grid`; `NaN` where `source` has no point there
 * (including when the steps differ and a timestamp falls between points). O(n).
 */
export function alignTo(source: Series, grid: Series): Float64Array {
  const n = grid.values.length;
  if (source.step === grid.step && source.start === grid.start && source.values.length === n) return finiteOrNaN(source.values);
  const out = new Float64Array(n).fill(NaN);
  for (let i = 0; i < n; i++) {
    const offset = (grid.start + i * grid.step - source.start) / source.step;
    if (!Number.isInteger(offset) || offset < 0 || offset >= source.values.length) continue;
    const v = source.values[offset];
    out[i] = Number.isFinite(v) ? v : NaN;
  }
  return out;
}

/**
 * Chooses the comparison for a detector input (see the module comment). Fails with
 * `insufficient_data` when there is neither a control with any point nor a history.
 */
export function comparisonPair(input: DetectorInput): Result<ComparisonPair> {
  const treated = input.treated;
  const n = treated.values.length;
  if (n === 0) return fail('insufficient_data', 'treated', 'the treated series is empty');
  let reference: Float64Array | undefined;
  if (input.control) reference = alignTo(input.control, treated);
  else if (input.controlHosts && input.controlHosts.length > 0) reference = pointwiseMean(input.controlHosts, treated);
  if (reference && countPresent(reference) > 0) {
    return ok({ mode: 'released_vs_unreleased', treated: finiteOrNaN(treated.values), reference, start: treated.start, step: treated.step });
  }
  const history = input.history;
  if (history && history.values.length > 0) {
    const length = Math.min(n, history.values.length);
    const tail = history.values.subarray(history.values.length - length);
    const recent = treated.values.subarray(n - length);
    return ok({
      mode: 'before_after',
      treated: finiteOrNaN(recent),
      reference: finiteOrNaN(tail),
      start: treated.start + (n - length) * treated.step,
      step: treated.step,
    });
  }
  return fail('insufficient_data', 'control', 'needs a control series with data (released vs unreleased) or a history (before vs after)');
}

/** The indices where both arrays hold a finite value, copied out in order. O(n). */
export function presentPairs(a: Float64Array, b: Float64Array): { a: Float64Array; b: Float64Array } {
  const n = Math.min(a.length, b.length);
  let count = 0;
  for (let i = 0; i < n; i++) if (Number.isFinite(a[i]) && Number.isFinite(b[i])) count++;
  const outA = new Float64Array(count);
  const outB = new Float64Array(count);
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(a[i]) && Number.isFinite(b[i])) {
      outA[k] = a[i];
      outB[k] = b[i];
      k++;
    }
  }
  return { a: outA, b: outB };
}
