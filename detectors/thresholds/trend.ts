/**
 * Trend (趋势): is the treated window rising or falling faster than the metric usually does?
 * The treated window's least-squares slope is compared with the history's overall slope, on
 * the spread of slopes of history windows of the same length.
 */
import { z } from 'zod';
import { countPresent } from '../../src/core/series.js';
import { leastSquaresFit } from '../../src/core/window-stats.js';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult } from '../../src/core/detector.js';
import { finiteOrNull, robustBand, sensitivityField, spreadFloor, windowFromResidual } from './band.js';

export const trendConfig = z.object({
  /** Band half-width in robust standard deviations (scaled MAD) of history window slopes. */
  sensitivity: sensitivityField,
  /** Fewest history windows whose slopes make the spread. */
  minHistoryWindows: z.number().int().min(3).default(8),
});

export type TrendConfig = z.output<typeof trendConfig>;

const identity = { name: 'trend', version: '1.0.0' };

/**
 * Ordinary least-squares slope of `values[from, to)` against the point index, skipping `NaN`;
 * units: value per step. `NaN` with fewer than `minPoints` present points. O(to − from).
 */
export function leastSquaresSlope(values: Float64Array, from = 0, to = values.length, minPoints = 3): number {
  return leastSquaresFit(values, from, to, minPoints).slope;
}

/**
 * Trend check: residual = slope(treated) − slope(history), band half-width = sensitivity ×
 * scaled MAD of the slopes of history windows as long as the treated window (stride a quarter
 * window). Slopes are per step; evidence also gives them per hour. Scale-equivariant. O(h + n).
 */
export function trend(input: DetectorInput, config: TrendConfig): DetectorResult {
  const history = input.history;
  if (!history) return insufficientData(identity, 'trend needs history');
  const treated = input.treated.values;
  const n = treated.length;
  const minPoints = Math.max(3, Math.ceil(n / 2));
  if (countPresent(treated) < minPoints) return insufficientData(identity, `trend needs at least ${minPoints} present treated points`);
  const slope = leastSquaresSlope(treated, 0, n, minPoints);
  const historySlope = leastSquaresSlope(history.values, 0, history.values.length, minPoints);
  const stride = Math.max(1, Math.floor(n / 4));
  const windowSlopes: number[] = [];
  let magnitude = 0;
  for (let from = 0; from + n <= history.values.length; from += stride) {
    const s = leastSquaresSlope(history.values, from, from + n, minPoints);
    if (Number.isFinite(s)) windowSlopes.push(s);
  }
  if (windowSlopes.length < config.minHistoryWindows || !Number.isFinite(historySlope) || !Number.isFinite(slope)) {
    return insufficientData(identity, `trend needs history covering at least ${config.minHistoryWindows} windows of ${n} points (stride ${stride}), got ${windowSlopes.length}`);
  }
  for (let i = 0; i < treated.length; i++) if (Number.isFinite(treated[i])) magnitude = Math.max(magnitude, Math.abs(treated[i]));
  const { spread } = robustBand(windowSlopes, spreadFloor(magnitude) / n);
  const perHour = 3_600_000 / input.treated.step;
  return windowFromResidual(identity, slope - historySlope, config.sensitivity * spread, input.direction ?? 'both', {
    slopePerStep: slope,
    historySlopePerStep: historySlope,
    slopePerHour: slope * perHour,
    historySlopePerHour: historySlope * perHour,
    windowSlopeSpread: finiteOrNull(spread),
    historyWindows: windowSlopes.length,
  });
}

export const trendDetector: DetectorModule<typeof trendConfig> = {
  ...identity,
  description: 'Is the treated window rising or falling faster than windows of the same length in history?',
  configSchema: trendConfig,
  capabilities: { minTreatedPoints: 6, needsHistory: true, needsControl: false, needsLogs: false, seasonal: false },
  detect: trend,
};
