/**
 * Same time yesterday / last week (同比): the treated window against the same minutes one day
 * (or one week) earlier, judged on how much such day-over-day differences usually move.
 */
import { z } from 'zod';
import { nanMedian } from '../../src/core/stats.js';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult } from '../../src/core/detector.js';
import { finiteOrNull, minRelativeChangeField, robustBand, sensitivityField, spreadFloor, treatedOffset, windowFromResidual } from './band.js';

const DAY_MS = 86_400_000;

export const sameTimeConfig = z.object({
  /** How far back the reference lies: one day, one week, or a number of milliseconds (a multiple of the series step). */
  lag: z.union([z.enum(['day', 'week']), z.number().int().positive()], { error: 'must be "day", "week" or a positive whole number of milliseconds' }).default('day'),
  /** Band half-width in robust standard deviations of history's window differences. */
  sensitivity: sensitivityField,
  /** The band is never narrower than this fraction of the reference level (0.05 = changes under 5% never score 50). */
  minRelativeChange: minRelativeChangeField,
  /** Fewest history windows (with their own lagged reference) that make the spread. */
  minHistoryWindows: z.number().int().min(3).default(5),
});

export type SameTimeConfig = z.output<typeof sameTimeConfig>;

const identity = { name: 'sameTime', version: '1.0.0' };

/** The lag in milliseconds a `lag` setting stands for. */
export function lagMilliseconds(lag: SameTimeConfig['lag']): number {
  return lag === 'day' ? DAY_MS : lag === 'week' ? 7 * DAY_MS : lag;
}

/** Median of `values[i] − values[i − lag]` over `[from, to)`, reading through `at`; `NaN` if under `minPairs` pairs. */
function medianLagDifference(at: (g: number) => number, from: number, to: number, lag: number, buffer: Float64Array, minPairs: number): number {
  let k = 0;
  for (let g = from; g < to; g++) {
    const d = at(g) - at(g - lag);
    if (d === d) buffer[k++] = d;
  }
  return k < minPairs ? NaN : nanMedian(buffer.subarray(0, k));
}

/**
 * Same-time comparison: statistic = median over the window of treated(t) − history(t − lag);
 * residual = statistic − the median of the same statistic over history windows (stride a
 * quarter window); half-width = max(sensitivity × their scaled MAD, minRelativeChange ×
 * |reference level|). Needs history covering lag + 2 windows. O(h + n log n).
 */
export function sameTime(input: DetectorInput, config: SameTimeConfig): DetectorResult {
  const history = input.history;
  if (!history) return insufficientData(identity, 'sameTime needs history');
  const lagMs = lagMilliseconds(config.lag);
  const step = input.treated.step;
  if (lagMs % step !== 0) return insufficientData(identity, `sameTime: lag ${lagMs} ms is not a multiple of the step ${step} ms`);
  const lag = lagMs / step;
  const offset = treatedOffset(history, input.treated);
  if (offset === null) return insufficientData(identity, 'sameTime: history and treated are not on the same time grid');
  const h = history.values;
  const t = input.treated.values;
  const n = t.length;
  // One index space: history points, then treated points from `offset` on; references come from history only.
  const historyAt = (g: number): number => (g >= 0 && g < h.length ? h[g] : NaN);
  const buffer = new Float64Array(n);
  const minPairs = Math.max(3, Math.ceil(n / 2));
  let pairs = 0;
  const references = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    references[i] = historyAt(offset + i - lag);
    const d = t[i] - references[i];
    if (d === d) buffer[pairs++] = d;
  }
  if (pairs < minPairs) {
    return insufficientData(identity, `sameTime needs at least ${minPairs} treated points with a present value ${lagMs / 3_600_000} h earlier, got ${pairs}`);
  }
  const statistic = nanMedian(buffer.subarray(0, pairs));
  const referenceLevel = nanMedian(references);
  const stride = Math.max(1, Math.floor(n / 4));
  const windowStatistics: number[] = [];
  for (let from = lag; from + n <= h.length; from += stride) {
    const s = medianLagDifference(historyAt, from, from + n, lag, buffer, minPairs);
    if (Number.isFinite(s)) windowStatistics.push(s);
  }
  if (windowStatistics.length < config.minHistoryWindows) {
    return insufficientData(identity, `sameTime needs history covering the lag plus at least ${config.minHistoryWindows} windows of ${n} points, got ${windowStatistics.length}`);
  }
  const { center, spread } = robustBand(windowStatistics, spreadFloor(referenceLevel));
  const delta = Math.max(config.sensitivity * spread, config.minRelativeChange * Math.abs(referenceLevel));
  return windowFromResidual(identity, statistic - center, delta, input.direction ?? 'both', {
    lagMs,
    medianDifference: statistic,
    referenceLevel: finiteOrNull(referenceLevel),
    relativeChange: referenceLevel !== 0 ? finiteOrNull(statistic / Math.abs(referenceLevel)) : null,
    usualDifference: center,
    differenceSpread: spread,
    historyWindows: windowStatistics.length,
  });
}

export const sameTimeDetector: DetectorModule<typeof sameTimeConfig> = {
  ...identity,
  description: 'Does the treated window differ from the same minutes one day (or week) earlier by more than such differences usually do?',
  configSchema: sameTimeConfig,
  capabilities: { minTreatedPoints: 3, needsHistory: true, needsControl: false, needsLogs: false, seasonal: true },
  detect: sameTime,
};
