/**
 * Previous window (环比): the treated window against the equally long window right before it,
 * judged on how much consecutive windows of history usually differ.
 */
import { z } from 'zod';
import { nanMedian } from '../../src/core/stats.js';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult } from '../../src/core/detector.js';
import { finiteOrNull, minRelativeChangeField, robustBand, sensitivityField, spreadFloor, treatedOffset, windowFromResidual } from './band.js';

export const previousWindowConfig = z.object({
  /** Band half-width in robust standard deviations of history's window-to-window differences. */
  sensitivity: sensitivityField,
  /** The band is never narrower than this fraction of the previous window's level. */
  minRelativeChange: minRelativeChangeField,
  /** Fewest pairs of consecutive history windows that make the spread. */
  minHistoryWindows: z.number().int().min(3).default(5),
});

export type PreviousWindowConfig = z.output<typeof previousWindowConfig>;

const identity = { name: 'previousWindow', version: '1.0.0' };

function windowMedian(values: Float64Array, from: number, to: number, minPoints: number): number {
  let present = 0;
  for (let i = from; i < to; i++) if (values[i] === values[i]) present++;
  return present < minPoints ? NaN : nanMedian(values.subarray(from, to));
}

/**
 * Previous-window comparison: statistic = median(treated) − median(the n history points right
 * before it); residual = statistic − the median of the same statistic over consecutive history
 * window pairs (stride a quarter window); half-width = max(sensitivity × their scaled MAD,
 * minRelativeChange × |previous level|). Needs history of at least 2n + a few strides.
 * O(h log n).
 */
export function previousWindow(input: DetectorInput, config: PreviousWindowConfig): DetectorResult {
  const history = input.history;
  if (!history) return insufficientData(identity, 'previousWindow needs history');
  const offset = treatedOffset(history, input.treated);
  if (offset === null) return insufficientData(identity, 'previousWindow: history and treated are not on the same time grid');
  const h = history.values;
  const n = input.treated.values.length;
  const minPoints = Math.max(2, Math.ceil(n / 2));
  if (offset !== h.length || h.length < n) {
    return insufficientData(identity, `previousWindow needs history ending where treated starts and at least ${n} points long`);
  }
  const current = windowMedian(input.treated.values, 0, n, minPoints);
  const previous = windowMedian(h, h.length - n, h.length, minPoints);
  if (!Number.isFinite(current) || !Number.isFinite(previous)) {
    return insufficientData(identity, `previousWindow needs at least ${minPoints} present points in the treated window and in the one before it`);
  }
  const stride = Math.max(1, Math.floor(n / 4));
  const windowStatistics: number[] = [];
  for (let from = n; from + n <= h.length; from += stride) {
    const s = windowMedian(h, from, from + n, minPoints) - windowMedian(h, from - n, from, minPoints);
    if (Number.isFinite(s)) windowStatistics.push(s);
  }
  if (windowStatistics.length < config.minHistoryWindows) {
    return insufficientData(identity, `previousWindow needs at least ${config.minHistoryWindows} pairs of consecutive ${n}-point windows in history, got ${windowStatistics.length}`);
  }
  const statistic = current - previous;
  const { center, spread } = robustBand(windowStatistics, spreadFloor(previous));
  const delta = Math.max(config.sensitivity * spread, config.minRelativeChange * Math.abs(previous));
  return windowFromResidual(identity, statistic - center, delta, input.direction ?? 'both', {
    currentLevel: current,
    previousLevel: previous,
    difference: statistic,
    relativeChange: previous !== 0 ? finiteOrNull(statistic / Math.abs(previous)) : null,
    usualDifference: center,
    differenceSpread: spread,
    historyWindows: windowStatistics.length,
  });
}

export const previousWindowDetector: DetectorModule<typeof previousWindowConfig> = {
  ...identity,
  description: 'Does the treated window differ from the equally long window right before it by more than consecutive windows usually do?',
  configSchema: previousWindowConfig,
  capabilities: { minTreatedPoints: 3, needsHistory: true, needsControl: false, needsLogs: false, seasonal: false },
  detect: previousWindow,
};
