/**
 * The judgement shared by the forecast-band (before/after) detectors — Holt-Winters, STL, the
 * segmented historical average, ARIMA and STL + ARIMA: each makes its own forecast of the
 * observation window and its own band half-width δ, and this turns them into a `DetectorResult`.
 *
 * 1. Point score = deviationScore(observed − forecast, δ, direction) (score.ts), for every point
 *    whose observation and forecast are both present; the others are not scored.
 * 2. Window score = mean of the highest quarter (rounded up) of the point scores
 *    (`windowScore` with method `top-quarter`). `anomalous` = window score ≥ `anomalousAbove`
 *    (and > 0).
 * 3. A point is outside the band when its score is above 50 (beyond δ in the scored direction).
 *    Direction = sign of the summed residuals of the points outside; `none` when none is.
 * 4. Evidence: the detector's own fields, then delta (δ, or its mean), treatedPoints (observed
 *    points), pointsOutside, meanResidual (over the scored points), maxPointScore and a line
 *    saying how the window score is made. Plot: observed, forecast, lower, upper, score.
 *
 * Cost: O(n log n) for a window of n points.
 */
import { insufficientData, type DetectorResult, type Direction, type PlotSeries } from './detector.js';
import { deviationScore, windowScore } from './score.js';
import { countPresent, toJsonValues, type Series } from './series.js';

/**
 * The δ floor of the forecast-band detectors: max(`minDelta`, 1e-6 · mean |history|, the
 * smallest positive number), so a flat or zero history still gives a positive band. O(n).
 */
export function bandFloor(history: ArrayLike<number>, minDelta: number): number {
  let absoluteMean = 0;
  let present = 0;
  for (let i = 0; i < history.length; i++) {
    const v = history[i];
    if (Number.isFinite(v)) {
      absoluteMean += Math.abs(v);
      present++;
    }
  }
  absoluteMean = present > 0 ? absoluteMean / present : 0;
  return Math.max(minDelta, 1e-6 * absoluteMean, Number.MIN_VALUE);
}

/**
 * The plot of a before/after judgement against a band: observed, forecast, lower, upper and, when
 * given, the point scores — one series each on the treated window's time axis.
 */
export function forecastBandPlot(
  treated: Series,
  forecast: ArrayLike<number>,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  pointScores?: ArrayLike<number>,
  forecastName = 'forecast',
): PlotSeries[] {
  const { start, step } = treated;
  const plot: PlotSeries[] = [
    { name: 'observed', start, step, values: toJsonValues(treated.values), role: 'observed' },
    { name: forecastName, start, step, values: toJsonValues(forecast), role: 'forecast' },
    { name: 'lower', start, step, values: toJsonValues(lower), role: 'lower' },
    { name: 'upper', start, step, values: toJsonValues(upper), role: 'upper' },
  ];
  if (pointScores) plot.push({ name: 'score', start, step, values: toJsonValues(pointScores), role: 'score' });
  return plot;
}

export interface ForecastJudgementInput {
  identity: { readonly name: string; readonly version: string };
  /** The observation window. */
  treated: Series;
  /** Forecast of every point of `treated` (same length); `NaN` where there is none. */
  forecast: ArrayLike<number>;
  /** Band half-width: one δ for the whole window, or one per point (each > 0). */
  delta: number | ArrayLike<number>;
  /** Which deviation is bad. */
  direction: Direction;
  /** Window score at or above which the result is anomalous. */
  anomalousAbove: number;
  /** The detector's own evidence, placed before the shared fields. */
  evidence?: DetectorResult['evidence'];
  /**
   * What the `delta` evidence of a per-point δ averages over: every point of the window
   * (`window`, default) or the scored points only (`scored`).
   */
  deltaMean?: 'window' | 'scored';
  /** Name of the forecast plot series (default `forecast`). */
  forecastName?: string;
}

/**
 * Judges a window against forecast ± δ (see the module comment). `insufficient_data` when no point
 * has both an observation and a forecast. O(n log n).
 *
 * @example
 * judgeForecast({ identity: { name: 'x', version: '1.0.0' }, treated: series(0, 60_000, [10, 17]), forecast: [10, 10], delta: 2, direction: 'both', anomalousAbove: 50 })
 * // score 95.9 (the top quarter is the one point, 2.5 δ beyond the band's edge), direction 'up', pointsOutside 1
 */
export function judgeForecast(input: ForecastJudgementInput): DetectorResult {
  const { identity, treated, forecast, direction } = input;
  const n = treated.values.length;
  const perPoint = typeof input.delta === 'number' ? null : input.delta;
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  const pointScores = new Float64Array(n).fill(NaN);
  let scored = 0;
  let outside = 0;
  let outsideResidualSum = 0;
  let residualSum = 0;
  let maxPointScore = 0;
  let deltaSum = 0;
  for (let i = 0; i < n; i++) {
    const delta = perPoint === null ? (input.delta as number) : perPoint[i];
    const expected = forecast[i];
    lower[i] = expected - delta;
    upper[i] = expected + delta;
    if (input.deltaMean !== 'scored') deltaSum += delta;
    const y = treated.values[i];
    if (!Number.isFinite(y) || !Number.isFinite(expected)) continue;
    const residual = y - expected;
    const score = deviationScore(residual, delta, direction);
    pointScores[i] = score;
    scored++;
    residualSum += residual;
    if (input.deltaMean === 'scored') deltaSum += delta;
    if (score > maxPointScore) maxPointScore = score;
    if (score > 50) {
      outside++;
      outsideResidualSum += residual;
    }
  }
  if (scored === 0) return insufficientData(identity, `${identity.name} found no observed point in the treated window`, { treatedPoints: 0 });
  const score = windowScore(pointScores, { method: 'top-quarter' });
  return {
    detector: identity.name,
    version: identity.version,
    status: 'ok',
    score,
    anomalous: score >= input.anomalousAbove && score > 0,
    direction: outside === 0 ? 'none' : outsideResidualSum > 0 ? 'up' : outsideResidualSum < 0 ? 'down' : 'none',
    evidence: {
      ...input.evidence,
      delta: perPoint === null ? (input.delta as number) : deltaSum / (input.deltaMean === 'scored' ? scored : n),
      treatedPoints: countPresent(treated.values),
      pointsOutside: outside,
      meanResidual: residualSum / scored,
      maxPointScore,
      windowScore: 'mean of the top quarter of point scores',
    },
    plot: forecastBandPlot(treated, forecast, lower, upper, pointScores, input.forecastName),
  };
}
