/**
 * The segmented historical average before/after detector: is the observation window where the
 * same minutes of earlier days of the same type (weekday / weekend / holiday) put it?
 *
 * 1. Expected value per window point = mean (or median) of the same local time-of-day slot on
 *    up to `maxDays` earlier days of the same day type (`segmentedHistoricalAverage`).
 * 2. Band = expected ± δ: δ = bandWidth · σ · √(1 + 1/k) with `band: 'std'`, σ the standard
 *    deviation of the same-slot day values pooled (root mean square) over the window's slots and
 *    k the mean number of days per slot (a new day's miss of a k-day mean); or the constant `delta` with `band: 'fixed'`; never below `minDelta` or
 *    a numerical floor of 1e-6 · mean |history|.
 * 3. Point score = deviationScore(observed − expected, δ, direction); window score = mean of the
 *    highest quarter (rounded up) of the point scores; `anomalous` = window score ≥
 *    `anomalousAbove`. Direction = sign of the summed residuals outside the band. (The shared
 *    forecast-band judgement, src/core/forecast-judgement.ts.)
 * Points with fewer than `minDays` earlier same-type days are not scored; a window with no
 * scored point is `insufficient_data`, never a pass.
 *
 * Cost: O(n_history + n_treated · maxDays · log maxDays).
 */
import { z } from 'zod';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult } from '../../src/core/detector.js';
import { bandFloor, judgeForecast } from '../../src/core/forecast-judgement.js';
import { countPresent, splitAt } from '../../src/core/series.js';
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

const identity = { name: 'historicalAverage', version: '1.1.0' } as const;

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
  const floor = bandFloor(history.values, config.minDelta);
  const n = treated.values.length;
  const delta = new Float64Array(n);
  let scored = 0;
  let daysSum = 0;
  let fewestDays = Infinity;
  // One σ for the window, pooled over its slots: a standard deviation from a few days per slot
  // is itself noisy (and often near 0), and a new day misses the mean of k days by σ·√(1 + 1/k).
  let sumSquares = 0;
  let pooled = 0;
  let daysForPool = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(baseline.spread[i]) && Number.isFinite(baseline.expected[i])) {
      sumSquares += baseline.spread[i] ** 2;
      daysForPool += baseline.days[i];
      pooled++;
    }
  }
  const pooledSpread = pooled > 0 ? Math.sqrt(sumSquares / pooled) * Math.sqrt(1 + pooled / Math.max(daysForPool, 1)) : 0;
  for (let i = 0; i < n; i++) {
    fewestDays = Math.min(fewestDays, baseline.days[i]);
    delta[i] = Math.max(config.band === 'fixed' ? (config.delta as number) : config.bandWidth * pooledSpread, floor);
    if (Number.isFinite(baseline.expected[i]) && Number.isFinite(treated.values[i])) {
      scored++;
      daysSum += baseline.days[i];
    }
  }
  const firstType = baseline.dayType[0] ?? 'weekday';
  if (scored === 0) {
    return insufficientData(
      identity,
      `historicalAverage needs at least ${config.minDays} earlier ${config.sameDayType ? firstType : 'day'}${config.minDays === 1 ? '' : 's'} with data at the window\u2019s time of day; found ${fewestDays === Infinity ? 0 : fewestDays}`,
      { dayType: firstType, historyPoints: history.values.length, minDays: config.minDays },
    );
  }
  return judgeForecast({
    identity,
    treated,
    forecast: baseline.expected,
    delta,
    deltaMean: 'scored',
    direction: input.direction ?? 'both',
    anomalousAbove: config.anomalousAbove,
    forecastName: 'expected',
    evidence: {
      dayType: firstType,
      sameDayType: config.sameDayType,
      timeZone: config.timeZone,
      statistic: config.statistic,
      meanDaysUsed: daysSum / scored,
      band: config.band,
      historyPoints: history.values.length,
      scoredPoints: scored,
    },
  });
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
