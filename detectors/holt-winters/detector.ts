/**
 * The Holt-Winters before/after detector: forecast the released hosts' metric from its own
 * history and ask how far the observation window strays from that forecast.
 *
 * 1. Fit Holt-Winters on `history` (parameters fixed or fitted; by default one robust refit
 *    that treats points whose one-step residual is beyond `outlierThreshold` MAD-σ as missing,
 *    screened inside the recursion so a whole incident goes at once, so past incidents do not
 *    widen the band — the seed's "exclude anomalous points, then maximise the fit").
 * 2. Forecast every point of `treated` (h = 1 … n, counted from the end of history).
 * 3. Band = forecast ± δ, δ = bandWidth · σ, σ the standard deviation of the one-step residuals
 *    on history (or, with `band: 'horizon'`, bandWidth times the h-step forecast standard
 *    deviation), never below `minDelta` or a numerical floor of 1e-6 · mean |history|.
 * 4. Point score = deviationScore(observed − forecast, δ, direction) from src/core/score.ts;
 *    steps 4–6 are the shared forecast-band judgement (src/core/forecast-judgement.ts).
 * 5. Window score = mean of the highest quarter (rounded up) of the point scores. A single
 *    spike in a window of 20 points moves it by at most 100/5 = 20; a shift lasting a quarter
 *    of the window or more scores like its points. `anomalous` = window score ≥ `anomalousAbove`.
 * 6. Direction = sign of the sum of residuals of the points outside the band (in the scored
 *    direction); `none` when no point is outside.
 *
 * Cost: the fit, O(n_history) per objective evaluation (a few hundred evaluations when fitting
 * three parameters), plus O(n_treated) to score.
 */
import { z } from 'zod';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult } from '../../src/core/detector.js';
import { bandFloor, judgeForecast } from '../../src/core/forecast-judgement.js';
import { countPresent, endOf, splitAt } from '../../src/core/series.js';
import { fitHoltWinters, forecast } from './model.js';

const unit = z.number().min(0).max(1);

export const holtWintersConfigSchema = z.object({
  /**
   * Season length in points (1440 = one day of minutes). Default: the data's period
   * (`input.period`, one day at the series' step), else 1440. Ignored when `seasonal` is `none`.
   */
  period: z.number().int().min(2).optional(),
  /** Seasonal form. */
  seasonal: z.enum(['additive', 'multiplicative', 'none']).default('additive'),
  /** Whether to model a trend. */
  trend: z.boolean().default(true),
  /** Damp the trend by φ (forecasts flatten out instead of extrapolating the slope forever). */
  damped: z.boolean().default(false),
  /** Level smoothing in (0, 1]; fitted when absent. */
  alpha: z.number().gt(0).max(1).optional(),
  /** Trend smoothing in [0, 1]; fitted when absent. */
  beta: unit.optional(),
  /** Season smoothing in [0, 1]; fitted when absent. */
  gamma: unit.optional(),
  /** Trend damping in (0, 1]; fitted in [0.8, 0.98] when absent and `damped`. */
  phi: z.number().gt(0).max(1).optional(),
  /** Starting state: R's decompose() form, the simple first-seasons form, or optimised with the parameters. */
  initial: z.enum(['decompose', 'simple', 'optimized']).default('decompose'),
  /** Robust refits excluding residual outliers from the history (0 = plain least squares). */
  robustIterations: z.number().int().min(0).max(10).default(1),
  /** Residual cut-off for the robust refits, in MAD-σ units. */
  outlierThreshold: z.number().positive().default(4),
  /** Longest run of history points the robust screen excludes before taking it as a real change (default: one period). */
  maxOutlierRun: z.number().int().positive().optional(),
  /** Band half-width δ in units of σ. */
  bandWidth: z.number().positive().default(3),
  /** σ of the one-step residuals for every point, or the h-step forecast σ (widening with h). */
  band: z.enum(['one-step', 'horizon']).default('one-step'),
  /** Smallest δ, in the metric's units. */
  minDelta: z.number().min(0).default(0),
  /** Window score at or above which the result is anomalous. */
  anomalousAbove: z.number().min(0).max(100).default(50),
});

export type HoltWintersConfig = z.output<typeof holtWintersConfigSchema>;

const identity = { name: 'holtWinters', version: '1.0.0' } as const;

/** Runs the before/after Holt-Winters check on one metric; see the module comment. */
export function holtWintersDetect(input: DetectorInput, config: HoltWintersConfig): DetectorResult {
  const { treated } = input;
  if (!input.history) return insufficientData(identity, 'holtWinters needs the metric\u2019s history before the release');
  if (input.history.step !== treated.step) {
    return insufficientData(identity, `holtWinters needs history and treated on the same step, got ${input.history.step} and ${treated.step} ms`);
  }
  const history = splitAt(input.history, treated.start).before;
  const observedPoints = countPresent(treated.values);
  if (observedPoints === 0) return insufficientData(identity, 'holtWinters found no observed point in the treated window', { treatedPoints: 0 });
  const period = config.period ?? input.period ?? 1440;
  const fitted = fitHoltWinters(history.values, {
    period,
    seasonal: config.seasonal,
    trend: config.trend,
    damped: config.damped,
    alpha: config.alpha,
    beta: config.beta,
    gamma: config.gamma,
    phi: config.phi,
    initial: config.initial,
    robustIterations: config.robustIterations,
    outlierThreshold: config.outlierThreshold,
    maxOutlierRun: config.maxOutlierRun,
  });
  if (!fitted.ok) return insufficientData(identity, fitted.error.message, { historyPoints: history.values.length, period });
  const fit = fitted.value;
  const sigma = Number.isFinite(fit.sigma) ? fit.sigma : 0;
  const offset = Math.max(0, Math.round((treated.start - endOf(history)) / treated.step));
  const n = treated.values.length;
  const prediction = forecast(fit, n, { offset, level: 0.95 });

  const floor = bandFloor(history.values, config.minDelta);
  const delta = new Float64Array(n);
  for (let i = 0; i < n; i++) delta[i] = Math.max(config.bandWidth * (config.band === 'horizon' ? prediction.sd[i] : sigma), floor);
  return judgeForecast({
    identity,
    treated,
    forecast: prediction.mean,
    delta,
    direction: input.direction ?? 'both',
    anomalousAbove: config.anomalousAbove,
    evidence: {
      alpha: fit.parameters.alpha,
      beta: fit.spec.trend ? fit.parameters.beta : null,
      gamma: fit.spec.seasonal !== 'none' ? fit.parameters.gamma : null,
      phi: fit.spec.damped ? fit.parameters.phi : null,
      fittedParameters: fit.fittedParameters.join(',') || 'none',
      seasonal: fit.spec.seasonal,
      period: fit.spec.seasonal === 'none' ? null : fit.spec.period,
      sse: fit.sse,
      sigma: Number.isFinite(fit.sigma) ? fit.sigma : null,
      historyPoints: history.values.length,
      excludedHistoryPoints: fit.excludedCount,
      horizonOffset: offset,
    },
  });
}

/** Registry entry: before/after deviation from a Holt-Winters forecast of the metric's own history. */
export const holtWintersDetector: DetectorModule<typeof holtWintersConfigSchema> = {
  name: identity.name,
  version: identity.version,
  description: 'How far the released hosts\u2019 metric strays from a Holt-Winters forecast of its own history (trend and season), in units of the forecast band.',
  configSchema: holtWintersConfigSchema,
  capabilities: { minTreatedPoints: 1, needsHistory: true, needsControl: false, needsLogs: false, seasonal: true },
  detect: holtWintersDetect,
};
