/**
 * Local-trend feedback: a forecast built from long history can sit at the wrong level when the
 * metric drifted in the last hours. Before judging the points after a cut-over (a deploy), the
 * forecast is re-anchored to how the model did on the last observations before it.
 */
import { z } from 'zod';
import { parseConfig } from './config.js';
import { SluiceError } from './errors.js';

export const reanchorOptionsSchema = z.object({
  /** How many of the latest observations before the cut-over to measure the offset on (default 10). */
  points: z.number().int().positive().default(10),
  /** Offset statistic of those residuals: `median` (robust to a spike) or `mean` (default `median`). */
  method: z.enum(['median', 'mean']).default('median'),
  /** Fewest present residuals among the `points` needed to re-anchor (default half of `points`, at least 1). */
  minPoints: z.number().int().positive().optional(),
  /**
   * Half-life of the shift in forecast steps: the shift applied h steps after the cut-over is
   * shift · 0.5^(h / halfLife). Omit for a constant shift over the whole horizon.
   */
  halfLife: z.number().positive().optional(),
});

export type ReanchorOptions = z.input<typeof reanchorOptionsSchema>;

/** The model's fitted values and the observations over the same points, ending at the cut-over. */
export interface ObservedBefore {
  /** What the model predicted for those points (one-step or in-sample fit). */
  predicted: ArrayLike<number>;
  /** What was observed; `NaN` = missing. */
  actual: ArrayLike<number>;
}

export interface Reanchored {
  /** The shifted forecast (a new array). Equal to the input when `applied` is false. */
  forecast: Float64Array;
  /** Offset added at the first forecast step, in the metric's units (0 when not applied). */
  shift: number;
  /** Residuals the offset was measured on. */
  used: number;
  applied: boolean;
  /** Why nothing was applied. */
  reason?: string;
}

/**
 * Re-anchors a forecast to the latest observations before the cut-over: takes the residuals
 * r = actual − predicted of the last `points` observations, their median (or mean) m, and adds m
 * to the forecast, decaying with `halfLife` when given. With fewer than `minPoints` present
 * residuals the forecast is returned unchanged with `applied: false` and a reason.
 *
 * Cost: O(points · log points + horizon).
 *
 * @example
 * reanchor(Float64Array.of(100, 100), { predicted: [90, 90, 90], actual: [95, 96, 200] }, { points: 3 })
 * // shift 6 (median of 5, 6, 110); forecast [106, 106]
 */
export function reanchor(forecast: ArrayLike<number>, observedBefore: ObservedBefore, options: ReanchorOptions = {}): Reanchored {
  const o = parseConfig(reanchorOptionsSchema, options, 'reanchor options');
  const { predicted, actual } = observedBefore;
  if (predicted.length !== actual.length) {
    throw new SluiceError('invalid_input', 'observedBefore.actual', `reanchor: predicted has ${predicted.length} points, actual ${actual.length}`);
  }
  const out = Float64Array.from(forecast);
  const from = Math.max(0, actual.length - o.points);
  const residuals: number[] = [];
  for (let i = from; i < actual.length; i++) {
    const r = actual[i] - predicted[i];
    if (Number.isFinite(r)) residuals.push(r);
  }
  const minPoints = o.minPoints ?? Math.max(1, Math.ceil(o.points / 2));
  if (residuals.length < minPoints) {
    return {
      forecast: out,
      shift: 0,
      used: residuals.length,
      applied: false,
      reason: `${residuals.length} present residuals in the last ${o.points} observations, need ${minPoints}`,
    };
  }
  let shift: number;
  if (o.method === 'mean') {
    shift = residuals.reduce((a, b) => a + b, 0) / residuals.length;
  } else {
    residuals.sort((a, b) => a - b);
    const mid = residuals.length >> 1;
    shift = residuals.length % 2 === 1 ? residuals[mid] : (residuals[mid - 1] + residuals[mid]) / 2;
  }
  const decay = o.halfLife === undefined ? 1 : Math.pow(0.5, 1 / o.halfLife);
  let weight = 1;
  for (let h = 0; h < out.length; h++) {
    out[h] += shift * weight;
    weight *= decay;
  }
  return { forecast: out, shift, used: residuals.length, applied: true };
}
