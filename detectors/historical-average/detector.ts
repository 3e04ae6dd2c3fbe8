/**
 * The segmented historical average before/after detector: is the observation window where the
 * same minutes of earlier days of the same type (weekday / weekend / holiday) put it?
 *
 * 1. Expected value per window point = mean (or median) of the same local time-of-day slot on
 *    up to `maxDays` earlier days of the same day type (`segmentedHistoricalAverage`).
 * 2. Band = expected ± δ: δ = bandWidth · (standard deviation of those same-slot day values)
 *    with `band: 'std'`, or the constant `delta` with `band: 'fixed'`; never below `minDelta` or
 *    a numerical floor of 1e-6 · mean |history|.
 * 3. Point score = deviationScore(observed − expected, δ, direction); window score = mean of the
 *    highest quarter (rounded up) of the point scores; `anomalous` = window score ≥
 *    `anomalousAbove`. Direction = sign of the summed residuals outside the band.
 * Points with fewer than `minDays` earlier same-type days are not scored; a window with no
 * scored point is `insufficient_data`, never a pass.
 *
 * Cost: O(n_history + n_treated · maxDays · log maxDays).
 */
import { z } from 'zod';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult } from '../../src/core/detector.js';
import { clampScore, deviationScore } from '../../src/core/score.js';
import { countPresent, splitAt, toJsonValues } from '../../src/core/series.js';
import { historicalAverageOptionsSchema, segmentedHistoricalAverage } from './average.js';

export const historicalAverageConfigSchema = historicalAverageOptionsSchema.extend({
  /** δ from the spread of the same-slot values of earlier days, or a fixed δ. */
  band: z.enum(['std', 'fixed']).default('std'),
  /** Band half-width in standard deviations (with `band: 'std'`). */
  bandWidth: z.number().positive().default(3),
  /** δ in the metric's units (with `band: 'fixed'`). */
  delta: z.number().positive().optional(),
  /** Smallest δ, in the metric's units. */
  minDelta: z.number().min(0).default(0),
  /** Window score at or above which the result is anomalous. */
  anomalousAbove: z.number().min(0).max(100).default(50),
}).refine((c) => c.band !== 'fixed' || c.delta !== undefined, { message: "band 'fixed' needs delta", path: ['delta'] });

export type HistoricalAverageConfig = z.output<typeof historicalAverageConfigSchema>;

const identity = { name: 'historicalAverage', version: '1.0.0' } as const;

function topQuarterMean(scores: number[]): number {
  if (scores.length === 0) return 0;
  const sorted = [...scores].sort((a, b) => b - a);
  const take = Math.ceil(sorted.length / 4);
  let sum = 0;
  for (let i = 0; i < take; i++) sum += sorted[i];
  return sum / take;
}

/** Runs the before/after segmented historical average check on one metric; see the module comment. */
export function historicalAverageDetect(input: DetectorInput, config: HistoricalAverageConfig): DetectorResult {
  const { treated } = input;
  if (!input.history) return insufficientData(identity, 'historicalAverage needs the metric\u2019s history before the release');
  const history = splitAt(input.history, treated.start).before;
  const historyPresent = countPresent(history.values);
  if (historyPresent === 0) return insufficientData(identity, 'historicalAverage found no observed point in the history', { historyPoints: history.values.length });
  const treatedPresent = countPresent(treated.values);
  if (treatedPresent === 0) return insufficientData(identity, 'historicalAverage found no observed point in the treated window', { treatedPoints: 0 });

  const baseline = segmentedHistoricalAverage(history, treated, config);
  let absoluteMean = 0;
  for (const v of history.values) if (Number.isFinite(v)) absoluteMean += Math.abs(v);
  absoluteMean /= historyPresent;
  const floor = Math.max(config.minDelta, 1e-6 * absoluteMean, Number.MIN_VALUE);
  const direction = input.direction ?? 'both';

  const n = treated.values.length;
  const lower = new Float64Array(n).fill(NaN);
  const upper = new Float64Array(n).fill(NaN);
  const pointScores = new Float64Array(n).fill(NaN);
  const scores: number[] = [];
  let outside = 0;
  let outsideResidualSum = 0;
  let residualSum = 0;
  let deltaSum = 0;
  let daysSum = 0;
  let maxPointScore = 0;
  let fewestDays = Infinity;
  for (let i = 0; i < n; i++) {
    fewestDays = Math.min(fewestDays, baseline.days[i]);
    const expected = baseline.expected[i];
    if (!Number.isFinite(expected)) continue;
    const spread = Number.isFinite(baseline.spread[i]) ? baseline.spread[i] : 0;
    const delta = Math.max(config.band === 'fixed' ? (config.delta as number) : config.bandWidth * spread, floor);
    lower[i] = expected - delta;
    upper[i] = expected + delta;
    const y = treated.values[i];
    if (!Number.isFinite(y)) continue;
    const residual = y - expected;
    const score = deviationScore(residual, delta, direction);
    pointScores[i] = score;
    scores.push(score);
    residualSum += residual;
    deltaSum += delta;
    daysSum += baseline.days[i];
    if (score > maxPointScore) maxPointScore = score;
    if (score > 50) {
      outside++;
      outsideResidualSum += residual;
    }
  }
  const firstType = baseline.dayType[0] ?? 'weekday';
  if (scores.length === 0) {
    return insufficientData(
      identity,
      `historicalAverage needs at least ${config.minDays} earlier ${config.sameDayType ? firstType : 'day'}${config.minDays === 1 ? '' : 's'} with data at the window\u2019s time of day; found ${fewestDays === Infinity ? 0 : fewestDays}`,
      { dayType: firstType, historyPoints: history.values.length, minDays: config.minDays },
    );
  }
  const score = clampScore(topQuarterMean(scores));
  const observedDirection: DetectorResult['direction'] = outside === 0 ? 'none' : outsideResidualSum > 0 ? 'up' : outsideResidualSum < 0 ? 'down' : 'none';
  const { start, step } = treated;
  return {
    detector: identity.name,
    version: identity.version,
    status: 'ok',
    score,
    anomalous: score >= config.anomalousAbove && score > 0,
    direction: observedDirection,
    evidence: {
      dayType: firstType,
      sameDayType: config.sameDayType,
      timeZone: config.timeZone,
      statistic: config.statistic,
      meanDaysUsed: daysSum / scores.length,
      band: config.band,
      delta: deltaSum / scores.length,
      historyPoints: history.values.length,
      treatedPoints: treatedPresent,
      scoredPoints: scores.length,
      pointsOutside: outside,
      meanResidual: residualSum / scores.length,
      maxPointScore,
      windowScore: 'mean of the top quarter of point scores',
    },
    plot: [
      { name: 'observed', start, step, values: toJsonValues(treated.values), role: 'observed' },
      { name: 'expected', start, step, values: toJsonValues(baseline.expected), role: 'forecast' },
      { name: 'lower', start, step, values: toJsonValues(lower), role: 'lower' },
      { name: 'upper', start, step, values: toJsonValues(upper), role: 'upper' },
      { name: 'score', start, step, values: toJsonValues(pointScores), role: 'score' },
    ],
  };
}

/** Registry entry: before/after deviation from the same time of day on earlier days of the same type. */
export const historicalAverageDetector: DetectorModule<typeof historicalAverageConfigSchema> = {
  name: identity.name,
  version: identity.version,
  description: 'How far the released hosts\u2019 metric strays from its average at the same time of day on earlier days of the same type (weekday, weekend, holiday).',
  configSchema: historicalAverageConfigSchema,
  capabilities: { minTreatedPoints: 1, needsHistory: true, needsControl: false, needsLogs: false, seasonal: true },
  detect: historicalAverageDetect,
};
