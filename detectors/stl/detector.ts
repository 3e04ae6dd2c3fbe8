/**
 * The STL before/after detector: decompose the metric's own history into seasonal + trend +
 * remainder, forecast the observation window from that, and ask how far the window strays.
 *
 * 1. STL on `history` (robust by default, so past incidents get weight 0 instead of bending the
 *    seasonal and trend). With `includeTreated`, history and window are decomposed together and
 *    the window is judged against its own seasonal + trend — more local, but a lasting shift in
 *    the window is partly absorbed by the trend.
 * 2. Forecast for window point h (h = 1, 2, … steps after the last history point): seasonal
 *    naive — the seasonal value one whole number of periods earlier — plus the trend, either
 *    held at its last value (`trendForecast: 'last'`) or extended by the least-squares slope of
 *    its last `trendSlopePoints` values (`'linear'`).
 * 3. Band = forecast ± δ, δ = bandWidth · σ of the same forecast's errors on held-out history (the
 *    last max(4 n, 60) points, at most a period; with few periods the remainder alone understates
 *    them), or of the remainder when the history is too short to hold points out; σ by MAD
 *    (default; robust to the incidents still in the remainder) or the sample standard deviation,
 *    never below `minDelta` or a numerical floor of 1e-6 · mean |history|.
 * 4. Point score = deviationScore(observed − forecast, δ, direction) (src/core/score.ts); window
 *    score = mean of the highest quarter (rounded up) of the point scores, as for Holt-Winters.
 *    `anomalous` = window score ≥ `anomalousAbove`.
 * 5. Direction = sign of the summed residuals of points outside the band; `none` when none is.
 *    Steps 4–5 are the shared forecast-band judgement (src/core/forecast-judgement.ts).
 *
 * Cost: one STL of the history (see `stl`), O(n_history · windows) — plus O(n_treated).
 */
import { z } from 'zod';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult } from '../../src/core/detector.js';
import { bandFloor, judgeForecast } from '../../src/core/forecast-judgement.js';
import { countPresent, endOf, splitAt } from '../../src/core/series.js';
import { nanMad, nanStd } from '../../src/core/stats.js';
import { stl, stlConfigSchema } from './stl.js';

export const stlDetectorConfigSchema = stlConfigSchema.extend({
  /** Season length in points (1440 = one day of minutes). */
  period: z.number().int().min(2).default(1440),
  /** Robust STL by default: history holds past incidents. */
  robust: z.boolean().default(true),
  /** Decompose history and window together instead of forecasting the window from history. */
  includeTreated: z.boolean().default(false),
  /** Trend over the window: held at its last value, or extended by its recent slope. */
  trendForecast: z.enum(['last', 'linear']).default('linear'),
  /** Trend points the slope is fitted on (default: one period). */
  trendSlopePoints: z.number().int().min(2).optional(),
  /** σ of the history remainder: MAD-based (robust) or the sample standard deviation. */
  spread: z.enum(['mad', 'sigma']).default('mad'),
  /** Band half-width δ in units of σ. */
  bandWidth: z.number().positive().default(3),
  /** Smallest δ, in the metric's units. */
  minDelta: z.number().min(0).default(0),
  /** Least fraction of history points present. */
  minPresentFraction: z.number().min(0).max(1).default(0.5),
  /** Window score at or above which the result is anomalous. */
  anomalousAbove: z.number().min(0).max(100).default(50),
});

export type StlDetectorConfig = z.output<typeof stlDetectorConfigSchema>;

const identity = { name: 'stl', version: '1.1.0' } as const;

/** Least-squares slope of `values[from..to)` against the index (0 when fewer than two points). */
function slopeOf(values: Float64Array, from: number, to: number): number {
  const m = to - from;
  if (m < 2) return 0;
  const meanX = (m - 1) / 2;
  let meanY = 0;
  for (let i = from; i < to; i++) meanY += values[i];
  meanY /= m;
  let num = 0;
  let den = 0;
  for (let i = 0; i < m; i++) {
    const dx = i - meanX;
    num += dx * (values[from + i] - meanY);
    den += dx * dx;
  }
  return num / den;
}

/**
 * Out-of-sample errors of the forecast this detector makes: STL on the history without its last
 * `horizon` points, the same seasonal-naive-plus-trend forecast of those points, and the misses.
 * With few periods STL's seasonal component absorbs part of the noise, so the in-sample remainder
 * understates how far a forecast misses. Null when the history is too short to hold points out.
 */
function holdoutErrors(values: Float64Array, period: number, horizon: number, config: StlDetectorConfig): Float64Array | null {
  const fitLength = values.length - horizon;
  if (fitLength < 2 * period) return null;
  const parts = stl(values.subarray(0, fitLength), config);
  const last = fitLength - 1;
  const errors = new Float64Array(horizon);
  for (let i = 0; i < horizon; i++) {
    const h = i + 1;
    errors[i] = values[fitLength + i] - (parts.seasonal[last + h - period * Math.ceil(h / period)] + parts.trend[last]);
  }
  return errors;
}

/** Runs the before/after STL check on one metric; see the module comment. */
export function stlDetect(input: DetectorInput, config: StlDetectorConfig): DetectorResult {
  const { treated } = input;
  const period = config.period;
  if (!input.history) return insufficientData(identity, 'stl needs the metric\u2019s history before the release');
  if (input.history.step !== treated.step) {
    return insufficientData(identity, `stl needs history and treated on the same step, got ${input.history.step} and ${treated.step} ms`);
  }
  const history = splitAt(input.history, treated.start).before;
  const historyLength = history.values.length;
  const historyPresent = countPresent(history.values);
  const evidenceBase = { period, historyPoints: historyLength, historyPresent };
  if (historyLength < 2 * period) {
    return insufficientData(identity, `stl requires at least two full periods of history (${2 * period} points), got ${historyLength}`, evidenceBase);
  }
  if (historyPresent < config.minPresentFraction * historyLength) {
    return insufficientData(identity, `stl requires at least ${Math.round(config.minPresentFraction * 100)}% of history present, got ${historyPresent} of ${historyLength}`, evidenceBase);
  }
  const treatedPresent = countPresent(treated.values);
  if (treatedPresent === 0) return insufficientData(identity, 'stl found no observed point in the treated window', { ...evidenceBase, treatedPoints: 0 });

  const n = treated.values.length;
  const offset = Math.max(0, Math.round((treated.start - endOf(history)) / treated.step));
  const expected = new Float64Array(n);
  let remainderForSpread: Float64Array;
  let slope = 0;
  if (config.includeTreated) {
    // History, any gap, then the window, decomposed as one series.
    const joined = new Float64Array(historyLength + offset + n).fill(NaN);
    joined.set(history.values, 0);
    joined.set(treated.values, historyLength + offset);
    const parts = stl(joined, config);
    for (let i = 0; i < n; i++) expected[i] = parts.seasonal[historyLength + offset + i] + parts.trend[historyLength + offset + i];
    remainderForSpread = holdoutErrors(history.values, period, Math.min(period, Math.max(4 * n, 60)), config) ?? parts.remainder.subarray(0, historyLength);
  } else {
    const parts = stl(history.values, config);
    const last = historyLength - 1;
    const slopePoints = Math.min(config.trendSlopePoints ?? period, historyLength);
    slope = config.trendForecast === 'linear' ? slopeOf(parts.trend, historyLength - slopePoints, historyLength) : 0;
    for (let i = 0; i < n; i++) {
      const h = offset + i + 1;
      const seasonalIndex = last + h - period * Math.ceil(h / period);
      expected[i] = parts.seasonal[seasonalIndex] + parts.trend[last] + slope * h;
    }
    remainderForSpread = holdoutErrors(history.values, period, Math.min(period, Math.max(4 * n, 60)), config) ?? parts.remainder;
  }

  const sigmaRaw = config.spread === 'mad' ? nanMad(remainderForSpread) : nanStd(remainderForSpread);
  const sigma = Number.isFinite(sigmaRaw) ? sigmaRaw : 0;
  return judgeForecast({
    identity,
    treated,
    forecast: expected,
    delta: Math.max(config.bandWidth * sigma, bandFloor(history.values, config.minDelta)),
    direction: input.direction ?? 'both',
    anomalousAbove: config.anomalousAbove,
    evidence: {
      ...evidenceBase,
      robust: config.robust,
      seasonalWindow: config.seasonalWindow,
      includeTreated: config.includeTreated,
      trendForecast: config.includeTreated ? 'decomposed' : config.trendForecast,
      trendSlopePerPoint: slope,
      spread: config.spread,
      sigma,
      horizonOffset: offset,
    },
  });
}

/** Registry entry: before/after deviation from an STL (seasonal naive + trend) forecast of the metric's own history. */
export const stlDetector: DetectorModule<typeof stlDetectorConfigSchema> = {
  name: identity.name,
  version: identity.version,
  description: 'How far the released hosts\u2019 metric strays from the seasonal + trend forecast of an STL decomposition of its own history, in units of the remainder\u2019s spread.',
  configSchema: stlDetectorConfigSchema,
  capabilities: { minTreatedPoints: 1, needsHistory: true, needsControl: false, needsLogs: false, seasonal: true },
  detect: stlDetect,
};
