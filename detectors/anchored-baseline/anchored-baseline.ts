/**
 * Anchored seasonal baseline: the before/after view calibrated by backtesting on the history.
 *
 * Forecast (the seed's 分段历史平均 with 局部趋势反馈 — local-trend feedback): the value of the
 * same slot on up to `maxPeriods` previous periods (their median), moved by the anchor — the median
 * of the last `anchorPoints` points before the cut minus the median of the same slots a period
 * earlier (or their ratio, for positive series: traffic grows in proportion).
 *
 * Band, by backtest: the same forecast is made from every cut point over the last `backtestPoints`
 * of history; its residuals, each divided by the noise scale of its slice of the period (its hour
 * of the day: traffic is noisier at its peak than at night, see `noiseProfile`), give σ (MAD), and
 * windows of the treated window's length give the largest shift, burst and spread
 * (src/core/window-stats.ts) this forecast made on ordinary days. The observed window's residuals,
 * divided by σ × their slices' scales, score against max(parametric band, `nullFactor` × that
 * largest): shift (mean residual / σ; parametric `shiftBand` × the σ of a window's mean — 1/√n
 * for independent residuals, more when the window shares the anchor's error: the spread of the
 * backtest windows' means), burst (top quarter; `burstBand`), spread (σ of residuals / σ − 1;
 * `spreadBand`). Score = the largest; direction = sign of the mean residual.
 *
 * `prepare` does the backtest once per history, so evaluating the same batch every minute costs
 * only the new window. Cost: O(backtestPoints · n · maxPeriods) to prepare, O(n · maxPeriods) after.
 */
import { z } from 'zod';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult, type Direction } from '../../src/core/detector.js';
import { forecastBandPlot } from '../../src/core/forecast-judgement.js';
import { deviationScore } from '../../src/core/score.js';
import { countPresent } from '../../src/core/series.js';
import { finiteMedianInPlace, madOf, medianOf, oneWindowMaxima, windowStatistics, type NullMaxima } from '../../src/core/window-stats.js';

export const anchoredBaselineConfigSchema = z.object({
  /** Season length in points; default: `input.period` (one day at the series' step). */
  period: z.number().int().min(2).optional(),
  /** Previous periods whose same slot forms the forecast (median). */
  maxPeriods: z.number().int().min(1).max(28).default(7),
  /** Points before the cut that re-anchor the level. */
  anchorPoints: z.number().int().min(1).default(12),
  /**
   * Points each backtest forecast runs ahead; windows up to this long reuse one backtest, longer
   * ones the backtest of the next multiple of it (a window growing past it fits once per multiple).
   */
  backtestHorizon: z.number().int().min(1).default(60),
  /** Span of history, in points, the band is calibrated on (default: one period). */
  backtestPoints: z.number().int().min(8).optional(),
  /** Backtest forecasts made, evenly spaced over that span (fewer is faster on long periods). */
  backtestCuts: z.number().int().min(8).default(144),
  /** Anchor by ratio for positive series, else by difference (`auto`), or always one of them. */
  anchor: z.enum(['auto', 'ratio', 'difference']).default('auto'),
  shiftBand: z.number().positive().default(4),
  burstBand: z.number().positive().default(5),
  spreadBand: z.number().positive().default(4),
  /** Band = this many times the largest statistic seen in the backtest (0 turns it off). */
  nullFactor: z.number().min(0).default(1.25),
  /**
   * Slices of the period with a noise scale of their own (24: hours of a day). Traffic-driven
   * series are noisier at the peak than at night; residuals divided by their slice's scale keep
   * one σ and one band honest at every hour. 1: one scale for the whole period.
   */
  scaleSlices: z.number().int().min(1).max(96).default(24),
  /** Floor of σ relative to the series' typical magnitude. */
  minRelativeSigma: z.number().min(0).default(0.001),
  anomalousAbove: z.number().min(0).max(100).default(50),
});
export type AnchoredBaselineConfig = z.output<typeof anchoredBaselineConfigSchema>;

const identity = { name: 'anchoredBaseline', version: '1.1.1' } as const;

interface Prepared {
  kind: 'anchoredBaseline';
  period: number;
  ratio: boolean;
  sigma: number;
  historyLength: number;
  /** Noise scale of each slice of the period (median 1), see `noiseProfile`. */
  profile: Float64Array;
  /**
   * Backtest residuals/σ, one forecast `horizon` long per cut (latest cut first) side by side,
   * kept so nulls for any window length can be computed on demand.
   */
  backtests: Float64Array;
  horizon: number;
  /** Memo of null maxima by window length and direction (pure: same inputs, same values). */
  nulls: Map<string, BacktestNulls>;
}

/**
 * Forecast of x[cut + j] for j in [0, n) from x[0, cut): see the module comment. NaN where no slot
 * has data. Reads x below cut + n − period only. Medians by selection in `scratch` (at least
 * anchorPoints × maxPeriods long), so the backtest's many forecasts allocate nothing.
 */
function forecastFrom(x: Float64Array, cut: number, n: number, period: number, config: AnchoredBaselineConfig, ratio: boolean, out: Float64Array, scratch: Float64Array, memo?: SlotMemo): void {
  const periods = Math.min(config.maxPeriods, Math.floor((cut - config.anchorPoints) / period));
  let count = 0;
  for (let i = cut - config.anchorPoints; i < cut; i++) {
    const v = x[i];
    if (v === v && v !== Infinity && v !== -Infinity) scratch[count++] = v;
  }
  const recentLevel = finiteMedianInPlace(scratch, count);
  count = 0;
  // Period by period, so each period's anchor points are read contiguously (a median ignores order).
  for (let d = 1; d <= periods; d++) {
    for (let i = cut - config.anchorPoints - d * period, end = cut - d * period; i < end; i++) {
      const e = x[i];
      if (e === e && e !== Infinity && e !== -Infinity) scratch[count++] = e;
    }
  }
  const earlierLevel = finiteMedianInPlace(scratch, count);
  // The anchor is the same for every point of this forecast.
  const anchored = recentLevel === recentLevel && earlierLevel === earlierLevel;
  const byRatio = ratio && earlierLevel > 0;
  const factor = recentLevel / earlierLevel;
  const move = recentLevel - earlierLevel;
  const slots = memo?.get(periods);
  const offset = slots ? cut - slots.offset : 0;
  for (let j = 0; j < n; j++) {
    // The same-slot median goes through out[j]: a local joining the memo's number with the
    // median's would be boxed at every point (a heap number each, most of a first evaluation's garbage).
    if (slots && slots.known[offset + j] === 1) out[j] = slots.values[offset + j];
    else {
      count = 0;
      for (let d = 1; d <= periods; d++) {
        const v = x[cut + j - d * period];
        if (v === v && v !== Infinity && v !== -Infinity) scratch[count++] = v;
      }
      out[j] = finiteMedianInPlace(scratch, count);
      if (slots) {
        slots.values[offset + j] = out[j];
        slots.known[offset + j] = 1;
      }
    }
    const base = out[j];
    if (base === base && anchored) out[j] = byRatio ? base * factor : base + move;
  }
}

/**
 * The backtest's forecasts overlap (cuts a stride apart, each a horizon long), and the same-slot
 * median for a target point depends only on that point and how many periods back are read: this
 * memo computes each once per history.
 */
class SlotMemo {
  private readonly byPeriods = new Map<number, Slots>();
  /** Targets are the points [offset, end): the backtest's span, not the whole history. */
  constructor(private readonly offset: number, private readonly end: number) {}

  get(periods: number): Slots {
    let slots = this.byPeriods.get(periods);
    if (!slots) {
      slots = { offset: this.offset, values: new Float64Array(this.end - this.offset), known: new Uint8Array(this.end - this.offset) };
      this.byPeriods.set(periods, slots);
    }
    return slots;
  }
}

/** Same-slot medians of target points, at index (point − offset). */
interface Slots {
  offset: number;
  values: Float64Array;
  known: Uint8Array;
}

/** Differences per slice of the noise profile: a median of 120 is within about 10 % of the scale, whatever the history's length. */
const PROFILE_DIFFERENCES = 120;

/**
 * How noisy each slice of the period is, relative to the others: the median absolute first
 * difference of the history's points in slice b (slot i mod period, `slices` equal slices; the
 * latest `PROFILE_DIFFERENCES` of them), averaged with its two neighbours (slices wrap around),
 * floored at a fifth of the slices' median and divided by that median. All ones when `slices` is
 * 1 or a slice has fewer than 8 differences, or they are all zero (quantised counts at night: no
 * scale to be had from them). O(slices × PROFILE_DIFFERENCES).
 */
function noiseProfile(x: Float64Array, period: number, slices: number): Float64Array {
  const profile = new Float64Array(slices).fill(1);
  if (slices === 1) return profile;
  const scratch = new Float64Array(PROFILE_DIFFERENCES);
  const raw = new Float64Array(slices);
  const lastStart = Math.floor((x.length - 1) / period) * period;
  for (let b = 0; b < slices; b++) {
    // Slot s is in slice floor(s · slices / period): slots [ceil(b · period / slices), ceil((b + 1) · period / slices)).
    const first = Math.ceil((b * period) / slices);
    const end = Math.ceil(((b + 1) * period) / slices);
    let n = 0;
    // Latest periods first, each slice's points from its end back.
    for (let start = lastStart; start >= 0 && n < PROFILE_DIFFERENCES; start -= period) {
      for (let i = Math.min(x.length, start + end) - 1, low = Math.max(1, start + first); i >= low && n < PROFILE_DIFFERENCES; i--) {
        const d = x[i] - x[i - 1];
        if (d === d && d !== Infinity && d !== -Infinity) scratch[n++] = d < 0 ? -d : d;
      }
    }
    if (n < 8) return profile;
    raw[b] = finiteMedianInPlace(scratch, n);
  }
  for (let b = 0; b < slices; b++) profile[b] = (raw[(b + slices - 1) % slices] + raw[b] + raw[(b + 1) % slices]) / 3;
  const middle = medianOf(profile, 0, slices);
  if (!(middle > 0) || !Number.isFinite(middle)) return profile.fill(1);
  for (let b = 0; b < slices; b++) profile[b] = Math.max(profile[b], middle / 5) / middle;
  return profile;
}

/** Scale of point `i` (an index into the history, or past its end) from the profile. */
const scaleAt = (profile: Float64Array, period: number, i: number): number => profile[Math.min(profile.length - 1, Math.floor(((i % period) * profile.length) / period))];

/** Scratch space forecastFrom needs for this config. */
const forecastScratch = (config: AnchoredBaselineConfig) => new Float64Array(Math.max(config.anchorPoints, 1) * config.maxPeriods + config.maxPeriods + config.anchorPoints);

function resolvePeriod(input: Pick<DetectorInput, 'period'>, config: AnchoredBaselineConfig): number | null {
  const p = config.period ?? input.period;
  return p !== undefined && Number.isInteger(p) && p >= 2 ? p : null;
}

let workBuffer = new Float64Array(0);

/**
 * madOf's and medianOf's working copy (at least n values), kept between prepares: their default
 * is a fresh copy of the backtest residuals or of the history, one per metric and group, garbage
 * right after. They run to completion and never nest, so one buffer serves every call.
 */
function work(n: number): Float64Array {
  if (workBuffer.length < n) workBuffer = new Float64Array(n);
  return workBuffer;
}

/** Backtests the forecast on the history; null when the history is too short. */
export function prepareAnchoredBaseline(input: Pick<DetectorInput, 'history' | 'period'>, config: AnchoredBaselineConfig, windowLength = config.backtestHorizon): Prepared | string {
  const history = input.history?.values;
  const period = resolvePeriod(input, config);
  if (!history) return 'anchoredBaseline needs the metric\u2019s history before the release';
  if (period === null) return 'anchoredBaseline needs a season length (config.period or the data\u2019s period)';
  const backtestPoints = config.backtestPoints ?? period;
  const firstCut = period + config.anchorPoints;
  if (history.length < firstCut + windowLength + 8) return `anchoredBaseline needs at least ${firstCut + windowLength + 8} history points (one period of ${period} plus anchor and backtest); found ${history.length}`;
  const present = countPresent(history);
  if (present < history.length / 2) return `anchoredBaseline needs at least half of the history present; found ${present} of ${history.length}`;
  let positive = true;
  let largest = 0;
  for (let i = 0; i < history.length; i++) {
    const v = history[i];
    if (v === v && v <= 0) positive = false;
    const size = Math.abs(v);
    if (size > largest) largest = size;
  }
  const ratio = config.anchor === 'ratio' || (config.anchor === 'auto' && positive);
  // Backtest: one forecast per cut over the last backtestPoints cuts, each as long as the
  // horizon we may be asked about (the window, at most).
  const horizon = windowLength;
  const lastCut = history.length - horizon;
  const fromCut = Math.max(firstCut, lastCut - backtestPoints);
  const stride = Math.max(1, Math.floor((lastCut - fromCut + 1) / config.backtestCuts));
  const cuts = Math.max(0, Math.floor((lastCut - fromCut) / stride) + 1);
  // Every cut's residuals side by side in one buffer, latest cut first.
  const all = new Float64Array(cuts * horizon);
  const forecast = new Float64Array(horizon);
  const scratch = forecastScratch(config);
  const memo = new SlotMemo(fromCut, history.length);
  const profile = noiseProfile(history, period, Math.min(config.scaleSlices, period));
  // Each slot's scale once: the backtest reads one per residual.
  const slotScale = new Float64Array(period);
  for (let slot = 0; slot < period; slot++) slotScale[slot] = scaleAt(profile, period, slot);
  for (let k = 0, cut = lastCut; k < cuts; k++, cut -= stride) {
    forecastFrom(history, cut, horizon, period, config, ratio, forecast, scratch, memo);
    const at = k * horizon;
    for (let j = 0, slot = cut % period; j < horizon; j++, slot = slot + 1 === period ? 0 : slot + 1) all[at + j] = (history[cut + j] - forecast[j]) / slotScale[slot];
  }
  const mad = madOf(all, 0, all.length, work(all.length));
  // The floor is relative to the history's median magnitude, never above its largest value: the
  // median (a selection over the whole history) is needed only when the MAD is that small.
  const floor = config.minRelativeSigma * Math.max(largest, Number.EPSILON);
  const magnitude = mad >= floor ? 0 : Math.max(Math.abs(medianOf(history, 0, history.length, work(history.length))), Number.EPSILON);
  const sigma = Math.max(mad, config.minRelativeSigma * magnitude, 1e-12);
  for (let i = 0; i < all.length; i++) all[i] /= sigma;
  return { kind: 'anchoredBaseline', period, ratio, sigma, historyLength: history.length, profile, backtests: all, horizon, nulls: new Map() };
}

/** The backtest's null maxima, and how far its windows' means spread (σ of a window's mean, in σ). */
interface BacktestNulls extends NullMaxima {
  meanSigma: number;
}

function nullsFor(prepared: Prepared, n: number, direction: Direction): BacktestNulls {
  const key = `${n}|${direction}`;
  let nulls = prepared.nulls.get(key);
  if (!nulls) {
    nulls = { windows: 0, shift: 0, burst: 0, spread: 0, meanSigma: 0 };
    // Each backtest forecast gives one window: its first min(n, horizon) residuals.
    const { backtests, horizon } = prepared;
    const length = Math.min(n, horizon);
    const scratch = new Float64Array(length);
    const means = new Float64Array(Math.ceil(backtests.length / horizon));
    let windows = 0;
    for (let at = 0; at < backtests.length; at += horizon) {
      const m = oneWindowMaxima(backtests, at, at + length, direction, Math.ceil(length / 2), scratch, nulls.burst);
      nulls.windows += m.windows;
      nulls.shift = Math.max(nulls.shift, m.shift);
      nulls.burst = Math.max(nulls.burst, m.burst);
      nulls.spread = Math.max(nulls.spread, m.spread);
      if (m.windows === 1) {
        let sum = 0;
        let count = 0;
        for (let i = at; i < at + length; i++) {
          const v = backtests[i];
          if (v === v) {
            sum += v;
            count++;
          }
        }
        means[windows++] = sum / count;
      }
    }
    // The residuals of one window share the anchor's error (its level, from a dozen points), so
    // their mean varies more than 1/√n of σ: measured on the backtest's windows.
    nulls.meanSigma = windows >= 8 ? madOf(means, 0, windows) : 0;
    prepared.nulls.set(key, nulls);
  }
  return nulls;
}

/** Length of the backtest forecasts that serve a window of `n` points: `backtestHorizon`, or the next multiple of it. */
function backtestHorizonFor(n: number, config: AnchoredBaselineConfig): number {
  return config.backtestHorizon * Math.max(1, Math.ceil(n / config.backtestHorizon));
}

const isPrepared = (p: unknown): p is Prepared => typeof p === 'object' && p !== null && (p as Prepared).kind === 'anchoredBaseline';

/** Runs the anchored-baseline before/after check; see the module comment. */
export function anchoredBaselineDetect(input: DetectorInput, config: AnchoredBaselineConfig): DetectorResult {
  const direction = input.direction ?? 'both';
  const window = input.treated.values;
  const n = window.length;
  const windowPresent = countPresent(window);
  if (windowPresent === 0) return insufficientData(identity, 'anchoredBaseline found no observed point in the window');
  const horizon = backtestHorizonFor(n, config);
  const prepared = isPrepared(input.prepared) && input.prepared.horizon === horizon && input.prepared.backtests.length > 0 ? input.prepared : prepareAnchoredBaseline(input, config, horizon);
  if (typeof prepared === 'string') return insufficientData(identity, prepared);
  const history = input.history!.values;
  // A window no longer than a period is forecast from history alone; only longer ones need the
  // window's own earlier points (a period back) appended.
  let x = history;
  if (n > prepared.period) {
    x = new Float64Array(history.length + n);
    x.set(history);
    x.set(window, history.length);
  }
  const forecast = new Float64Array(n);
  forecastFrom(x, history.length, n, prepared.period, config, prepared.ratio, forecast, forecastScratch(config));
  const z = new Float64Array(n);
  const scales = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    scales[j] = prepared.sigma * scaleAt(prepared.profile, prepared.period, history.length + j);
    z[j] = (window[j] - forecast[j]) / scales[j];
  }
  const observed = windowStatistics(z, 0, n, direction);
  const nulls = config.nullFactor > 0 ? nullsFor(prepared, n, direction) : { windows: 0, shift: 0, burst: 0, spread: 0, meanSigma: 0 };
  const shiftBand = Math.max(config.shiftBand * Math.max(1 / Math.sqrt(Math.max(1, observed.count)), nulls.meanSigma), config.nullFactor * nulls.shift);
  const burstBand = Math.max(config.burstBand, config.nullFactor * nulls.burst);
  const spreadBand = Math.max(config.spreadBand, config.nullFactor * Math.max(0, nulls.spread - 1));
  const shift = deviationScore(Math.max(0, observed.shift), shiftBand, 'up');
  const burst = deviationScore(Math.max(0, observed.burst), burstBand, 'up');
  const spread = observed.count >= 4 ? deviationScore(Math.max(0, observed.spread - 1), spreadBand, 'up') : 0;
  const score = Math.max(shift, burst, spread);
  const moved = observed.mean > 0 ? 'up' : observed.mean < 0 ? 'down' : 'none';
  const harmless = (direction === 'up' && moved === 'down') || (direction === 'down' && moved === 'up');
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    lower[j] = forecast[j] - burstBand * scales[j];
    upper[j] = forecast[j] + burstBand * scales[j];
  }
  return {
    detector: identity.name,
    version: identity.version,
    status: 'ok',
    score,
    anomalous: score >= config.anomalousAbove,
    direction: score < 1 ? 'none' : spread > Math.max(shift, burst) && harmless ? 'none' : moved,
    evidence: {
      period: prepared.period,
      anchor: prepared.ratio ? 'ratio' : 'difference',
      sigma: prepared.sigma,
      sliceScale: scaleAt(prepared.profile, prepared.period, history.length),
      backtestWindows: nulls.windows,
      meanResidualSigmas: observed.mean,
      shiftStatistic: observed.shift,
      windowMeanSigma: nulls.meanSigma,
      shiftBand,
      shiftScore: shift,
      burstTopQuarterSigmas: observed.burst,
      burstBand,
      burstScore: burst,
      spreadSigmas: observed.spread,
      spreadBand,
      spreadScore: spread,
      windowPoints: observed.count,
    },
    plot: forecastBandPlot(input.treated, forecast, lower, upper),
  };
}

/** Registry entry: before/after against an anchored seasonal baseline with a backtested band. */
export const anchoredBaselineDetector: DetectorModule<typeof anchoredBaselineConfigSchema> = {
  name: identity.name,
  version: identity.version,
  description: 'Is the window where the same slots of previous periods, re-anchored to the level just before the release, put it — by more than this forecast missed on ordinary days?',
  configSchema: anchoredBaselineConfigSchema,
  capabilities: { minTreatedPoints: 1, needsHistory: true, needsControl: false, needsLogs: false, seasonal: true },
  detect: anchoredBaselineDetect,
  prepare: (input, config) => prepareAnchoredBaseline(input, config, backtestHorizonFor(input.windowLength ?? config.backtestHorizon, config)),
  prepareWindow: (windowLength, config) => backtestHorizonFor(windowLength, config),
};
