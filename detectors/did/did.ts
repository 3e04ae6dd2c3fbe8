/**
 * Difference in differences: did the released hosts move away from the unreleased hosts at the
 * release, by more than the two groups' usual disagreement?
 *
 * 1. Relation series, in up to three forms: the difference treated − control (an event that adds
 *    the same to every host cancels); the log ratio log(treated / control) when both groups are
 *    positive (an event that scales every host, such as a traffic peak, cancels); and the residual
 *    of treated regressed on control over the baseline (hosts that respond to load with another
 *    slope). Whether an event scaled, added or loaded the hosts is unknown, so the change must be
 *    unexplained by every form: the form with the lowest score is reported.
 * 2. Baseline from the last `baselinePoints` of history: median m and robust σ (MAD × 1.4826,
 *    floored at `minRelativeSigma` of the level so a perfectly flat pair cannot divide by 0), and
 *    the lag-1 autocorrelation ρ of the relation series.
 * 3. In the window, z_t = (relation_t − m) / σ. Three statistics, each turned into a 0–100 score by
 *    the shared mapping (src/core/score.ts, band edge = 50):
 *    - shift: the window mean of z (in the bad direction) — a sustained level change;
 *    - burst: the mean of the highest quarter of z (in the bad direction) — spikes;
 *    - spread: the released aggregate's noise (σ of first differences) in the window over its usual
 *      level, less the unreleased aggregate's when theirs rose too — a variance increase (no
 *      direction of its own; it counts whatever the metric's direction).
 * 4. Each statistic's band is the larger of a parametric one and an empirical one. Parametric:
 *    `shiftBand` / √n_eff (n_eff = n (1 − ρ) / (1 + ρ), ρ the baseline's lag-1 autocorrelation),
 *    `burstBand`, 1 + `spreadBand`. Empirical: `nullFactor` × the largest value of the same
 *    statistic over every window of the same length slid across the baseline — so heavy tails,
 *    daily bursts and autocorrelation the pair already had before the release widen the band
 *    by themselves.
 * 5. Score = the largest; direction = the sign of the window's mean z (`none` for spread alone).
 *
 * Cost: O(L · n) for the empirical bands (L baseline points, n window points) plus O(L + n).
 */
import { z } from 'zod';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult } from '../../src/core/detector.js';
import { deviationScore } from '../../src/core/score.js';
import { alignTo } from '../../src/core/compare.js';
import { toJsonValues, type Series } from '../../src/core/series.js';
import { madOf, medianOf, nullMaxima, windowStatistics } from '../../src/core/window-stats.js';

export const didConfigSchema = z.object({
  /** History points right before the release that set the baseline relation. */
  baselinePoints: z.number().int().min(8).default(288),
  /** Fewest present baseline points. */
  minBaselinePoints: z.number().int().min(4).default(24),
  /** Fewest present window points. */
  minWindowPoints: z.number().int().min(1).default(3),
  /** Band of the shift statistic, in standard errors of the window mean. */
  shiftBand: z.number().positive().default(4),
  /** Empirical bands: this many times the largest statistic seen over the baseline's windows (0 turns them off). */
  nullFactor: z.number().min(0).default(1.25),
  /** Band of the burst statistic, in baseline σ. */
  burstBand: z.number().positive().default(5),
  /** Band of the spread statistic: window σ over baseline σ minus 1 (so 2 means three times as noisy). */
  spreadBand: z.number().positive().default(2),
  /** Floor of σ relative to the relation's typical magnitude (differences) or absolute (log ratios). */
  minRelativeSigma: z.number().min(0).default(0.001),
  /** Largest lag-1 autocorrelation credited when shrinking the effective sample size. */
  maxAutocorrelation: z.number().min(0).max(0.99).default(0.9),
  /** Window score at or above which the result is anomalous. */
  anomalousAbove: z.number().min(0).max(100).default(50),
});
export type DidConfig = z.output<typeof didConfigSchema>;

const identity = { name: 'did', version: '1.0.2' } as const;

function allPositive(values: Float64Array): boolean {
  let n = 0;
  for (const v of values) {
    if (v !== v) continue;
    if (v <= 0) return false;
    n++;
  }
  return n > 0;
}

function relation(treated: Float64Array, control: Float64Array, logRatio: boolean): Float64Array {
  const out = new Float64Array(treated.length);
  for (let i = 0; i < out.length; i++) {
    const t = treated[i];
    const c = control[i];
    out[i] = t === t && c === c ? (logRatio ? (t > 0 && c > 0 ? Math.log(t / c) : NaN) : t - c) : NaN;
  }
  return out;
}

function lagOneAutocorrelation(values: Float64Array, centre: number): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < values.length; i++) {
    const a = values[i] - centre;
    if (a !== a) continue;
    den += a * a;
    const b = values[i + 1] - centre;
    if (i + 1 < values.length && b === b) num += a * b;
  }
  return den > 0 ? num / den : 0;
}

function tail(s: Series | undefined, points: number): Float64Array | null {
  if (!s || s.values.length === 0) return null;
  return s.values.subarray(Math.max(0, s.values.length - points));
}

interface RelationAnalysis {
  form: 'log ratio' | 'difference' | 'regression';
  centre: number;
  sigma: number;
  rho: number;
  meanZ: number;
  shift: number;
  shiftBand: number;
  shiftScore: number;
  burst: number;
  burstBand: number;
  burstScore: number;
  /** The larger of the shift and burst scores. */
  score: number;
}

/** One relation form over the baseline: its centre, σ, ρ, and null maxima by window length. */
interface FormBaseline {
  values: Float64Array;
  centre: number;
  sigma: number;
  rho: number;
  z: Float64Array;
  nulls: Map<string, { shift: number; burst: number }>;
}

let workBuffer = new Float64Array(0);

/**
 * A working copy of at least n values for medianOf and madOf, kept between calls: their default is
 * a fresh copy of a week of minutes each time, several per metric, all garbage right after.
 * (They run to completion and never nest, so one buffer serves every call.)
 */
function work(n: number): Float64Array {
  if (workBuffer.length < n) workBuffer = new Float64Array(n);
  return workBuffer;
}

function formBaseline(baseline: Float64Array, magnitude: number, config: DidConfig): FormBaseline {
  const centre = medianOf(baseline, 0, baseline.length, work(baseline.length));
  const sigma = Math.max(madOf(baseline, 0, baseline.length, work(baseline.length)), config.minRelativeSigma * magnitude, 1e-12);
  const rho = Math.min(config.maxAutocorrelation, Math.max(0, lagOneAutocorrelation(baseline, centre)));
  const z = new Float64Array(baseline.length);
  for (let i = 0; i < baseline.length; i++) z[i] = (baseline[i] - centre) / sigma;
  return { values: baseline, centre, sigma, rho, z, nulls: new Map() };
}

/**
 * Everything did takes from the baseline alone (steps 1–2 and the empirical bands of step 4),
 * built lazily: a batch judged every minute has the same baseline each time, so with `prepare`
 * this is computed once and each evaluation only scores its window.
 */
interface Baseline {
  /** The inputs it was built from (copies), to check a cached baseline still applies. */
  treated: Float64Array;
  control: Float64Array;
  configKey: string;
  count: number;
  magnitude: number;
  positive: boolean;
  difference: FormBaseline;
  logRatio?: FormBaseline;
  regression?: { line: Line; form: FormBaseline } | null;
  spread: Map<number, SpreadNulls>;
}

function buildBaseline(treated: Float64Array, control: Float64Array, config: DidConfig): Baseline {
  const difference = relation(treated, control, false);
  let count = 0;
  for (const v of difference) if (v === v) count++;
  // The groups' typical size, from their medians; when both sit at 0 (a rare count), from their
  // largest values (an absolute floor would make the result change with the metric's unit).
  const medians = Math.max(Math.abs(medianOf(treated, 0, treated.length, work(treated.length))), Math.abs(medianOf(control, 0, control.length, work(control.length))));
  const magnitude = medians > 0 ? medians : Math.max(largestAbsolute(treated), largestAbsolute(control));
  return {
    treated: treated.slice(), control: control.slice(), configKey: JSON.stringify(config), count, magnitude,
    positive: allPositive(treated) && allPositive(control),
    difference: formBaseline(difference, magnitude, config),
    spread: new Map(),
  };
}

/** Largest |value| among the finite values (0 when none). */
function largestAbsolute(values: Float64Array): number {
  let largest = 0;
  for (const v of values) if (Number.isFinite(v) && Math.abs(v) > largest) largest = Math.abs(v);
  return largest;
}

const sameValues = (a: Float64Array, b: Float64Array): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
};

/** What `prepare` gives did: a slot for the baseline of the last detect with this history. */
interface DidPrepared {
  kind: 'did';
  baseline: Baseline | null;
}

const isPrepared = (p: unknown): p is DidPrepared => typeof p === 'object' && p !== null && (p as DidPrepared).kind === 'did';

/** The baseline for these inputs: the cached one when it was built from the same values and config. */
function baselineFor(treated: Float64Array, control: Float64Array, config: DidConfig, prepared: unknown): Baseline {
  if (!isPrepared(prepared)) return buildBaseline(treated, control, config);
  const cached = prepared.baseline;
  if (cached && cached.configKey === JSON.stringify(config) && sameValues(cached.treated, treated) && sameValues(cached.control, control)) return cached;
  prepared.baseline = buildBaseline(treated, control, config);
  return prepared.baseline;
}

/** Shift and burst of one relation form (steps 2–4 of the module comment). */
function analyse(base: FormBaseline, window: Float64Array, form: RelationAnalysis['form'], windowCount: number, config: DidConfig, direction: 'up' | 'down' | 'both'): RelationAnalysis {
  const { centre, sigma, rho } = base;
  const n = window.length;
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = (window[i] - centre) / sigma;
  const observed = windowStatistics(z, 0, n, direction);
  const nEff = Math.max(1, (windowCount * (1 - rho)) / (1 + rho));
  // The same statistics over every baseline window of the window's length: what this pair does
  // on an ordinary day.
  let nulls = { shift: 0, burst: 0 };
  if (config.nullFactor > 0) {
    const key = `${n}|${direction}`;
    const known = base.nulls.get(key);
    if (known) nulls = known;
    else {
      nulls = nullMaxima(base.z, n, direction, Math.max(config.minWindowPoints, Math.ceil(n / 2)));
      base.nulls.set(key, nulls);
    }
  }
  const shiftBand = Math.max(config.shiftBand / Math.sqrt(nEff), config.nullFactor * nulls.shift);
  const burstBand = Math.max(config.burstBand, config.nullFactor * nulls.burst);
  const shiftScore = deviationScore(Math.max(0, observed.shift), shiftBand, 'up');
  const burstScore = deviationScore(Math.max(0, observed.burst), burstBand, 'up');
  return { form, centre, sigma, rho, meanZ: observed.mean, shift: observed.shift, shiftBand, shiftScore, burst: observed.burst, burstBand, burstScore, score: Math.max(shiftScore, burstScore) };
}

/** Standard deviation of first differences over [from, to) (level and slow seasonality cancel). */
function differenceNoise(values: Float64Array, from: number, to: number): number {
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = from + 1; i < to; i++) {
    const d = values[i] - values[i - 1];
    if (d !== d) continue;
    n++;
    sum += d;
    sumSq += d * d;
  }
  if (n < 2) return NaN;
  return Math.sqrt(Math.max(0, (sumSq - (sum * sum) / n) / (n - 1)));
}

/** What the baseline's windows of one length say about the spread statistic. */
interface SpreadNulls {
  nulls: number;
  /** Median log first-difference noise of the released and of the unreleased aggregate over those windows. */
  treated: number;
  control: number;
  /** Median and largest of the statistic over them. */
  typical: number;
  largest: number;
}

/**
 * The released aggregate's log noise over its typical level, less the unreleased aggregate's only
 * when theirs rose too (an event that roughened every host): a control that happens to be quiet
 * for a few minutes explains nothing, and dividing by its chance dip made a healthy batch's noise
 * look five times its usual ratio.
 */
function spreadStatistic(t: number, c: number, typicalT: number, typicalC: number): number {
  const own = Math.log(t) - typicalT;
  const common = Math.log(c) - typicalC;
  return common > 0 ? own - common : own;
}

/**
 * Noise increase of the released hosts: the log of their aggregate's first-difference noise in the
 * window over its median across baseline windows of the same length, less the unreleased
 * aggregate's when it rose too (see spreadStatistic); minus the statistic's own median over those
 * windows. The band is the larger of log(1 + spreadBand) and nullFactor × the largest baseline excess.
 */
function spreadAnalysis(baseline: Baseline, treatedWindow: Float64Array, controlWindow: Float64Array, config: DidConfig): { excess: number; band: number; score: number } {
  const n = treatedWindow.length;
  const t = differenceNoise(treatedWindow, 0, n);
  const c = differenceNoise(controlWindow, 0, n);
  if (!(t > 0 && c > 0) || n < 4) return { excess: 0, band: Infinity, score: 0 };
  let nulls = baseline.spread.get(n);
  if (!nulls) {
    const noises: [number, number][] = [];
    for (let from = 0; from + n <= baseline.treated.length; from++) {
      const wt = differenceNoise(baseline.treated, from, from + n);
      const wc = differenceNoise(baseline.control, from, from + n);
      if (wt > 0 && wc > 0) noises.push([wt, wc]);
    }
    if (noises.length < 4) nulls = { nulls: noises.length, treated: NaN, control: NaN, typical: NaN, largest: 0 };
    else {
      const median = (values: number[]) => medianOf(values, 0, values.length, work(values.length));
      const treated = median(noises.map(([wt]) => Math.log(wt)));
      const control = median(noises.map(([, wc]) => Math.log(wc)));
      const statistics = noises.map(([wt, wc]) => spreadStatistic(wt, wc, treated, control));
      const typical = median(statistics);
      let largest = 0;
      for (const r of statistics) largest = Math.max(largest, r - typical);
      nulls = { nulls: noises.length, treated, control, typical, largest };
    }
    baseline.spread.set(n, nulls);
  }
  if (nulls.nulls < 4) return { excess: 0, band: Infinity, score: 0 };
  const band = Math.max(Math.log(1 + config.spreadBand), config.nullFactor * nulls.largest);
  const excess = spreadStatistic(t, c, nulls.treated, nulls.control) - nulls.typical;
  return { excess, band, score: deviationScore(Math.max(0, excess), band, 'up') };
}

interface Line {
  slope: number;
  intercept: number;
}

/**
 * Least squares of treated on control over the baseline (treated ≈ a + b·control): hosts whose
 * metric responds to load with another slope (CPU of a bigger host) keep their relation through a
 * traffic peak. One refit without points beyond 4 robust σ keeps a past incident from tilting the
 * line. Null when the control does not vary.
 */
function regressionLine(treatedHistory: Float64Array, controlHistory: Float64Array): Line | null {
  const fit = (keep: (i: number) => boolean) => {
    let n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (let i = 0; i < treatedHistory.length; i++) {
      const x = controlHistory[i];
      const y = treatedHistory[i];
      if (x !== x || y !== y || !keep(i)) continue;
      n++;
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
    }
    const varX = sxx - (sx * sx) / Math.max(n, 1);
    if (n < 8 || !(varX > 1e-12 * sxx)) return null;
    const slope = (sxy - (sx * sy) / n) / varX;
    return { slope, intercept: (sy - slope * sx) / n };
  };
  const first = fit(() => true);
  if (!first) return null;
  const r0 = residuals(first, treatedHistory, controlHistory);
  const centre = medianOf(r0, 0, r0.length, work(r0.length));
  const spread = madOf(r0, 0, r0.length, work(r0.length));
  return spread > 0 ? (fit((i) => Math.abs(r0[i] - centre) <= 4 * spread) ?? first) : first;
}

/** t − (intercept + slope · c), point by point (a plain loop: `Float64Array.from` with a map function boxes every value). */
function residuals(line: Line, t: Float64Array, c: Float64Array): Float64Array {
  const out = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) out[i] = t[i] - (line.intercept + line.slope * c[i]);
  return out;
}

/** Runs the difference-in-differences check; see the module comment. */
export function didDetect(input: DetectorInput, config: DidConfig): DetectorResult {
  const direction = input.direction ?? 'both';
  if (!input.control) return insufficientData(identity, 'did needs the unreleased hosts (control) over the same minutes');
  const treatedHistory = tail(input.history, config.baselinePoints);
  const controlHistorySeries = input.controlHistory;
  const controlHistory = controlHistorySeries && input.history ? alignTo(controlHistorySeries, { start: input.history.start + (input.history.values.length - (treatedHistory?.length ?? 0)) * input.history.step, step: input.history.step, values: treatedHistory ?? new Float64Array(0) }) : null;
  if (!treatedHistory || !controlHistory) return insufficientData(identity, 'did needs the history of both the released and the unreleased hosts');
  const treatedWindow = input.treated.values;
  const controlWindow = alignTo(input.control, input.treated);
  const baseline = baselineFor(treatedHistory, controlHistory, config, input.prepared);
  const differenceWindow = relation(treatedWindow, controlWindow, false);
  const baselineCount = baseline.count;
  let windowCount = 0;
  for (const v of differenceWindow) if (v === v) windowCount++;
  if (baselineCount < config.minBaselinePoints) return insufficientData(identity, `did needs ${config.minBaselinePoints} baseline points where both groups have data; found ${baselineCount}`);
  if (windowCount < config.minWindowPoints) return insufficientData(identity, `did needs ${config.minWindowPoints} window points where both groups have data; found ${windowCount}`);

  const magnitude = baseline.magnitude;
  const analyses = [analyse(baseline.difference, differenceWindow, 'difference', windowCount, config, direction)];
  if (baseline.positive && allPositive(treatedWindow) && allPositive(controlWindow)) {
    baseline.logRatio ??= formBaseline(relation(treatedHistory, controlHistory, true), 1, config);
    analyses.push(analyse(baseline.logRatio, relation(treatedWindow, controlWindow, true), 'log ratio', windowCount, config, direction));
  }
  if (baseline.regression === undefined) {
    const line = regressionLine(treatedHistory, controlHistory);
    baseline.regression = line ? { line, form: formBaseline(residuals(line, treatedHistory, controlHistory), magnitude, config) } : null;
  }
  if (baseline.regression) analyses.push(analyse(baseline.regression.form, residuals(baseline.regression.line, treatedWindow, controlWindow), 'regression', windowCount, config, direction));
  const chosen = analyses.reduce((a, b) => (b.score < a.score ? b : a));
  const spread = spreadAnalysis(baseline, treatedWindow, controlWindow, config);

  const score = Math.max(chosen.score, spread.score);
  const moved = chosen.meanZ > 0 ? 'up' : chosen.meanZ < 0 ? 'down' : 'none';
  const harmless = (direction === 'up' && moved === 'down') || (direction === 'down' && moved === 'up');
  const resultDirection = score < 1 ? 'none' : spread.score > chosen.score ? (harmless ? 'none' : moved) : moved;
  return {
    detector: identity.name,
    version: identity.version,
    status: 'ok',
    score,
    anomalous: score >= config.anomalousAbove,
    direction: resultDirection,
    evidence: {
      relation: chosen.form,
      scoreByRelation: analyses.map((a) => `${a.form} ${a.score.toFixed(1)}`).join(', '),
      baselineMedian: chosen.centre,
      baselineSigma: chosen.sigma,
      autocorrelation: chosen.rho,
      windowMeanZ: chosen.meanZ,
      shiftStatistic: chosen.shift,
      shiftBand: chosen.shiftBand,
      shiftScore: chosen.shiftScore,
      burstTopQuarterZ: chosen.burst,
      burstBand: chosen.burstBand,
      burstScore: chosen.burstScore,
      spreadLogRatioExcess: spread.excess,
      spreadBand: Number.isFinite(spread.band) ? spread.band : null,
      spreadScore: spread.score,
      baselinePoints: baselineCount,
      windowPoints: windowCount,
    },
    plot: [
      { name: 'released', start: input.treated.start, step: input.treated.step, values: toJsonValues(treatedWindow), role: 'observed' },
      { name: 'unreleased', start: input.treated.start, step: input.treated.step, values: toJsonValues(controlWindow), role: 'control' },
    ],
  };
}

/** Registry entry: released vs unreleased, against their usual relation before the release. */
export const didDetector: DetectorModule<typeof didConfigSchema> = {
  name: identity.name,
  version: identity.version,
  description: 'Did the released hosts move away from the unreleased hosts at the release, beyond the two groups\u2019 usual disagreement (difference in differences)?',
  configSchema: didConfigSchema,
  capabilities: { minTreatedPoints: 1, needsHistory: true, needsControl: true, needsLogs: false, seasonal: false },
  detect: didDetect,
  // The baseline depends on the control's history too, which prepare does not see: it returns a
  // slot that detect fills and reuses only while the baseline values are the same.
  prepare: (): DidPrepared => ({ kind: 'did', baseline: null }),
};
