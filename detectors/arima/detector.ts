/**
 * The ARIMA before/after detectors: forecast the released hosts' metric from its own history
 * and ask how far the observation window strays from that forecast.
 *
 * - `arimaDetector`: an ARIMA (order chosen by `autoArima`, or fixed) fitted to the most recent
 *   `historyWindow` points of history; optionally seasonal for short periods (≤ 400 steps).
 * - `stlArimaDetector`: for day-long seasons (1,440 minutes, 288 five-minute steps): STL on the
 *   last `historyCycles` cycles, ARIMA on the seasonally adjusted series, seasonal added back.
 *
 * Scoring, shared by both:
 * 1. Forecast every point of `treated` (h counted from the end of history, gaps included).
 * 2. Band = forecast ± δ with δ = bandWidth · σₕ, σₕ the h-step forecast standard error
 *    (`band: 'horizon'`, widening as uncertainty accumulates) or the one-step σ
 *    (`band: 'one-step'`), never below `minDelta` or 1e-6 · mean |history|.
 * 3. Point score = deviationScore(observed − forecast, δ, direction) (src/core/score.ts).
 * 4. Window score = mean of the highest quarter (rounded up) of the point scores, so one spike
 *    in twenty points moves it by at most 20 while a lasting shift scores like its points.
 * 5. Direction = sign of the summed residuals of points outside the band; `none` if none is.
 * Steps 3–5 are the shared forecast-band judgement (src/core/forecast-judgement.ts).
 *
 * Cost: the fit (see `fitArima`, `autoArima`, `fitStlArima`) once per history — cache it with
 * `prepare` — plus O(h · (r + d)²) to forecast and O(n_treated) to score.
 */
import { z } from 'zod';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult, type Direction } from '../../src/core/detector.js';
import { SluiceError } from '../../src/core/errors.js';
import { bandFloor, judgeForecast } from '../../src/core/forecast-judgement.js';
import { countPresent, endOf, splitAt, type Series } from '../../src/core/series.js';
import { autoArima } from './auto.js';
import { arimaOptionsSchema, fitWith, forecastArima, type ArimaFit } from './fit.js';
import { fitStlArima, forecastStlArima, type StlArimaModel } from './stl-arima.js';

const nonSeasonalOrder = z.object({ p: z.number().int().min(0).max(5), d: z.number().int().min(0).max(2), q: z.number().int().min(0).max(5) });

const scoring = {
  /** Band half-width δ in units of the forecast standard error. */
  bandWidth: z.number().positive().default(3),
  /** h-step forecast standard error (widens with h) or the one-step σ for every point. */
  band: z.enum(['horizon', 'one-step']).default('horizon'),
  /** Smallest δ, in the metric's units. */
  minDelta: z.number().min(0).default(0),
  /** Window score at or above which the result is anomalous. */
  anomalousAbove: z.number().min(0).max(100).default(50),
};

export const arimaDetectorConfigSchema = z.object({
  /** Fixed non-seasonal order; chosen by `autoArima` (AICc, stepwise) when absent. */
  order: nonSeasonalOrder.optional(),
  /** Seasonal period for a SARIMA (≤ 400 steps; 1 = non-seasonal). Long periods belong to `stlArima`. */
  period: z.number().int().min(1).max(400).default(1),
  /** Fixed seasonal order with `order` and `period` > 1. */
  seasonalOrder: z.object({ P: z.number().int().min(0).max(2), D: z.number().int().min(0).max(1), Q: z.number().int().min(0).max(2) }).optional(),
  /** Most recent history points the model is fitted to. */
  historyWindow: z.number().int().min(10).max(100_000).default(360),
  ...scoring,
});
export type ArimaDetectorConfig = z.output<typeof arimaDetectorConfigSchema>;

export const stlArimaDetectorConfigSchema = z.object({
  /** Points per seasonal cycle; when absent, the input's data-implied period, else one day at the series' step. */
  period: z.number().int().min(2).optional(),
  /** Cycles of history decomposed (the most recent ones). */
  historyCycles: z.number().int().min(2).max(60).default(7),
  /** STL seasonal window in cycles (odd ≥ 7) or 'periodic'. */
  seasonalWindow: z.union([z.literal('periodic'), z.number().int().min(7).refine((v) => v % 2 === 1, { message: 'must be an odd integer' })]).default(11),
  /** Robust STL: past incidents weigh less in the seasonal estimate (about 15 times the cost). */
  robust: z.boolean().default(false),
  /** Fixed order for the adjusted series; chosen by `autoArima` when absent. */
  order: nonSeasonalOrder.optional(),
  /** Most recent adjusted points the ARIMA is fitted to. */
  fitWindow: z.number().int().min(10).default(360),
  ...scoring,
});
export type StlArimaDetectorConfig = z.output<typeof stlArimaDetectorConfigSchema>;

const arimaIdentity = { name: 'arima', version: '1.0.0' } as const;
const stlArimaIdentity = { name: 'stlArima', version: '1.0.0' } as const;

/** What `prepare` caches: the model and the history it was fitted on. */
interface Prepared<M> {
  kind: string;
  historyStart: number;
  historyLength: number;
  model: M | { failure: string };
}

function historyBefore(input: Pick<DetectorInput, 'history'>, treatedStart: number | undefined): Series | null {
  if (!input.history) return null;
  return treatedStart === undefined ? input.history : splitAt(input.history, treatedStart).before;
}

function failureReason(error: unknown): string {
  if (error instanceof SluiceError) return error.message;
  throw error;
}

function fitArimaModel(history: Series, config: ArimaDetectorConfig): ArimaFit | { failure: string } {
  const values = history.values.subarray(Math.max(0, history.values.length - config.historyWindow));
  if (countPresent(values) < 4) return { failure: `arima needs at least 4 observed history points, got ${countPresent(values)}` };
  try {
    if (config.order) {
      const seasonal = config.period > 1 && config.seasonalOrder ? config.seasonalOrder : { P: 0, D: 0, Q: 0 };
      const options = arimaOptionsSchema.parse({ ...config.order, ...seasonal, period: config.period > 1 && config.seasonalOrder ? config.period : 1, includeDrift: config.order.d + seasonal.D === 1 });
      return fitWith(values, options, {});
    }
    // The exact likelihood is cheap enough here that ranking by it is faster than by CSS fits.
    return autoArima(values, { period: config.period, approximation: false }).fit;
  } catch (error) {
    return { failure: failureReason(error) };
  }
}

function fitStlArimaModel(history: Series, config: StlArimaDetectorConfig, period: number): StlArimaModel | { failure: string } {
  const values = history.values.subarray(Math.max(0, history.values.length - config.historyCycles * period));
  if (countPresent(values) < 2 * period) {
    return { failure: `stlArima needs at least two full cycles of history (${2 * period} observed points), got ${countPresent(values)}` };
  }
  try {
    return fitStlArima(values, { period, seasonalWindow: config.seasonalWindow, robust: config.robust, order: config.order, fitWindow: config.fitWindow });
  } catch (error) {
    return { failure: failureReason(error) };
  }
}

interface ForecastPath {
  mean: Float64Array;
  se: Float64Array;
  sigma: number;
}

function score(
  identity: { name: string; version: string },
  treated: Series,
  history: Series,
  offset: number,
  path: ForecastPath,
  config: z.output<z.ZodObject<typeof scoring>>,
  direction: Direction,
  evidence: DetectorResult['evidence'],
): DetectorResult {
  const n = treated.values.length;
  const floor = bandFloor(history.values, config.minDelta);
  const delta = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const spread = config.band === 'horizon' ? path.se[offset + i] : path.sigma;
    delta[i] = Math.max(Number.isFinite(spread) ? config.bandWidth * spread : 0, floor);
  }
  return judgeForecast({
    identity,
    treated,
    forecast: path.mean.subarray(offset, offset + n),
    delta,
    direction,
    anomalousAbove: config.anomalousAbove,
    evidence: { ...evidence, sigma: Number.isFinite(path.sigma) ? path.sigma : null, band: config.band, horizonOffset: offset },
  });
}

function orderLabel(fit: ArimaFit): string {
  const o = fit.order;
  const seasonal = o.period > 1 ? `(${o.P},${o.D},${o.Q})[${o.period}]` : '';
  const constant = fit.coefficients.drift !== null ? ' with drift' : fit.coefficients.intercept !== null ? ' with mean' : '';
  return `ARIMA(${o.p},${o.d},${o.q})${seasonal}${constant}`;
}

function fitEvidence(fit: ArimaFit): DetectorResult['evidence'] {
  const evidence: DetectorResult['evidence'] = { model: orderLabel(fit), aicc: Number.isFinite(fit.aicc) ? fit.aicc : null, logLikelihood: Number.isFinite(fit.logLikelihood) ? fit.logLikelihood : null };
  for (const [name, value] of Object.entries(fit.named)) evidence[`coef.${name}`] = Number.isFinite(value) ? value : null;
  return evidence;
}

function common(input: DetectorInput, name: string): { treated: Series; history: Series; offset: number } | string {
  const { treated } = input;
  if (!input.history) return `${name} needs the metric\u2019s history before the release`;
  if (input.history.step !== treated.step) return `${name} needs history and treated on the same step, got ${input.history.step} and ${treated.step} ms`;
  if (countPresent(treated.values) === 0) return `${name} found no observed point in the treated window`;
  const history = splitAt(input.history, treated.start).before;
  const offset = Math.max(0, Math.round((treated.start - endOf(history)) / treated.step));
  return { treated, history, offset };
}

function usable<M>(prepared: unknown, kind: string, history: Series): Prepared<M> | null {
  const p = prepared as Prepared<M> | undefined;
  if (!p || p.kind !== kind || p.historyStart !== history.start || p.historyLength !== history.values.length) return null;
  return p;
}

/** Before/after check of one metric against an ARIMA forecast of its own history. */
export function arimaDetect(input: DetectorInput, config: ArimaDetectorConfig): DetectorResult {
  const c = common(input, 'arima');
  if (typeof c === 'string') return insufficientData(arimaIdentity, c);
  const cached = usable<ArimaFit>(input.prepared, 'arima', c.history);
  const model = cached ? cached.model : fitArimaModel(c.history, config);
  if ('failure' in model) return insufficientData(arimaIdentity, model.failure, { historyPoints: c.history.values.length });
  const horizon = c.offset + c.treated.values.length;
  const forecast = forecastArima(model, horizon, []);
  return score(arimaIdentity, c.treated, c.history, c.offset, { mean: forecast.mean, se: forecast.se, sigma: Math.sqrt(model.sigma2) }, config, input.direction ?? 'both', {
    ...fitEvidence(model),
    historyPoints: model.length,
  });
}

const DAY_MS = 86_400_000;

/** The configured period, the data-implied one, or a day in steps (when that is a whole number ≥ 2). */
function periodFor(config: StlArimaDetectorConfig, input: Pick<DetectorInput, 'period'>, step: number | undefined): number | undefined {
  if (config.period) return config.period;
  if (input.period && input.period >= 2) return input.period;
  if (step && DAY_MS % step === 0 && DAY_MS / step >= 2) return DAY_MS / step;
  return undefined;
}

/** Before/after check of one metric against an STL + ARIMA forecast of its own history. */
export function stlArimaDetect(input: DetectorInput, config: StlArimaDetectorConfig): DetectorResult {
  const period = periodFor(config, input, input.treated.step);
  if (!period || period < 2) return insufficientData(stlArimaIdentity, 'stlArima needs a seasonal period (config.period or a data-implied one)');
  const c = common(input, 'stlArima');
  if (typeof c === 'string') return insufficientData(stlArimaIdentity, c);
  const cached = usable<StlArimaModel>(input.prepared, `stlArima:${period}`, c.history);
  const model = cached ? cached.model : fitStlArimaModel(c.history, config, period);
  if ('failure' in model) return insufficientData(stlArimaIdentity, model.failure, { historyPoints: c.history.values.length, period });
  const horizon = c.offset + c.treated.values.length;
  const forecast = forecastStlArima(model, horizon, []);
  return score(stlArimaIdentity, c.treated, c.history, c.offset, { mean: forecast.mean, se: forecast.se, sigma: Math.sqrt(model.arima.sigma2) }, config, input.direction ?? 'both', {
    ...fitEvidence(model.arima),
    period,
    historyPoints: model.seasonal.length,
    arimaPoints: model.arima.length,
  });
}

/** Registry entry: before/after deviation from an ARIMA forecast of the metric's own history. */
export const arimaDetector: DetectorModule<typeof arimaDetectorConfigSchema> = {
  name: arimaIdentity.name,
  version: arimaIdentity.version,
  description: 'How far the released hosts\u2019 metric strays from an ARIMA forecast of its own recent history, in units of the forecast standard error.',
  configSchema: arimaDetectorConfigSchema,
  capabilities: { minTreatedPoints: 1, needsHistory: true, needsControl: false, needsLogs: false, seasonal: false },
  detect: arimaDetect,
  prepare(input, config): Prepared<ArimaFit> | null {
    const history = historyBefore(input, undefined);
    if (!history) return null;
    return { kind: 'arima', historyStart: history.start, historyLength: history.values.length, model: fitArimaModel(history, config) };
  },
};

/** Registry entry: before/after deviation from an STL + ARIMA forecast (day-long seasons). */
export const stlArimaDetector: DetectorModule<typeof stlArimaDetectorConfigSchema> = {
  name: stlArimaIdentity.name,
  version: stlArimaIdentity.version,
  description: 'How far the released hosts\u2019 metric strays from an STL + ARIMA forecast of its own history (seasonal part from STL, the rest from ARIMA), in units of the forecast standard error.',
  configSchema: stlArimaDetectorConfigSchema,
  capabilities: { minTreatedPoints: 1, needsHistory: true, needsControl: false, needsLogs: false, seasonal: true },
  detect: stlArimaDetect,
  prepare(input, config): Prepared<StlArimaModel> | null {
    const period = periodFor(config, input, input.history?.step);
    const history = historyBefore(input, undefined);
    if (!history || !period || period < 2) return null;
    return { kind: `stlArima:${period}`, historyStart: history.start, historyLength: history.values.length, model: fitStlArimaModel(history, config, period) };
  },
};
