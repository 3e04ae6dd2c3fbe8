/**
 * STL + ARIMA forecasting for long seasonal periods (1,440 one-minute steps per day, 288
 * five-minute steps), where a seasonal ARIMA's state would be thousands of entries long:
 * decompose with STL, forecast the seasonally adjusted series (trend + remainder) with a
 * non-seasonal ARIMA, and add back the last cycle of the seasonal component — the method of
 * `forecast::stlf` (Hyndman & Athanasopoulos, "Forecasting: principles and practice", §6.8).
 */
import { z } from 'zod';
import { parseConfig } from '../../src/core/config.js';
import { SluiceError } from '../../src/core/errors.js';
import { finiteOrNaN } from '../../src/core/series.js';
import { parseStlOptions, stl } from '../stl/index.js';
import { autoArima } from './auto.js';
import { arimaOptionsSchema, fitWith, forecastArima, type ArimaFit, type ArimaForecast } from './fit.js';

const oddWindow = z
  .number()
  .int()
  .min(7)
  .refine((v) => v % 2 === 1, { message: 'must be an odd integer' });

/** Options of `fitStlArima`; every field but `period` has a default. */
export const stlArimaOptionsSchema = z.object({
  /** Points per seasonal cycle (1440 = a day of minutes). */
  period: z.number().int().min(2),
  /** STL seasonal window in cycles (odd ≥ 7) or 'periodic'; 11 as `forecast::stlf`. */
  seasonalWindow: z.union([z.literal('periodic'), oddWindow]).default(11),
  /** Robust STL (down-weights past incidents in the seasonal estimate). */
  robust: z.boolean().default(false),
  /** Non-seasonal ARIMA order for the adjusted series; chosen by `autoArima` when absent. */
  order: z
    .object({ p: z.number().int().min(0).max(5), d: z.number().int().min(0).max(2), q: z.number().int().min(0).max(5) })
    .optional(),
  /** With a fixed order: estimate a drift (d = 1) or mean (d = 0). */
  includeConstant: z.boolean().default(true),
  /** With automatic order selection: rank candidates by CSS fits (default: as `auto.arima`, n > 150). */
  approximation: z.boolean().optional(),
  /** Most recent adjusted points the ARIMA sees (older ones only inform the seasonal estimate). */
  fitWindow: z.number().int().min(10).default(1440),
});
export type StlArimaOptions = z.input<typeof stlArimaOptionsSchema>;

export interface StlArimaModel {
  period: number;
  seasonal: Float64Array;
  trend: Float64Array;
  remainder: Float64Array;
  /** values − seasonal, the series the ARIMA models (`NaN` where values are missing). */
  adjusted: Float64Array;
  /** The ARIMA fitted to the last `fitWindow` adjusted points. */
  arima: ArimaFit;
  /** Index in `values` of the first point the ARIMA saw. */
  arimaStart: number;
}

/**
 * Decomposes `values` (`NaN` = missing) by STL and fits a non-seasonal ARIMA to the recent
 * seasonally adjusted points. Needs at least two full cycles; throws
 * `SluiceError('insufficient_data')` otherwise and `SluiceError('invalid_config')` on a bad
 * option. Cost: STL's O(n · windows) plus the ARIMA fit on `fitWindow` points (a few
 * milliseconds for a week of minutes with a fixed order; more with order selection).
 */
export function fitStlArima(values: ArrayLike<number>, options: StlArimaOptions): StlArimaModel {
  const config = parseConfig(stlArimaOptionsSchema, options, 'stlArima config');
  const y = finiteOrNaN(values);
  const n = y.length;
  const period = config.period;
  if (n < 2 * period) {
    throw new SluiceError('insufficient_data', 'values', `stlArima needs at least two full cycles (${2 * period} points), got ${n}`);
  }
  const decomposition = stl(y, parseStlOptions({ period, seasonalWindow: config.seasonalWindow, robust: config.robust }));
  const adjusted = new Float64Array(n);
  for (let t = 0; t < n; t++) adjusted[t] = y[t] - decomposition.seasonal[t];
  const arimaStart = Math.max(0, n - config.fitWindow);
  const recent = adjusted.subarray(arimaStart);
  let arima: ArimaFit;
  if (config.order) {
    const { p, d, q } = config.order;
    arima = fitWith(recent, arimaOptionsSchema.parse({ p, d, q, includeMean: config.includeConstant && d === 0, includeDrift: config.includeConstant && d === 1 }), {});
  } else {
    arima = autoArima(recent, { approximation: config.approximation }).fit;
  }
  return { period, seasonal: decomposition.seasonal, trend: decomposition.trend, remainder: decomposition.remainder, adjusted, arima, arimaStart };
}

/**
 * Forecasts `horizon` steps past the end: the ARIMA forecast of the adjusted series plus the
 * seasonal component of the last observed cycle, repeated (as `forecast::stlf`); the interval
 * limits shift by the same seasonal term. O(horizon · (r + d)²).
 */
export function forecastStlArima(model: StlArimaModel, horizon: number, levels: readonly number[] = [0.8, 0.95]): ArimaForecast & { seasonal: Float64Array } {
  const base = forecastArima(model.arima, horizon, levels);
  const n = model.seasonal.length;
  const m = model.period;
  const seasonal = new Float64Array(horizon);
  for (let h = 0; h < horizon; h++) seasonal[h] = model.seasonal[n - m + (h % m)];
  const shift = (a: Float64Array) => a.map((v, h) => v + seasonal[h]);
  return {
    mean: shift(base.mean),
    se: base.se,
    intervals: base.intervals.map((i) => ({ level: i.level, lower: shift(i.lower), upper: shift(i.upper) })),
    seasonal,
  };
}
