/**
 * The gate: one release batch in, PASS / FAIL / INCONCLUSIVE out, with a 0–100 score and the
 * evidence. It never fetches data (the case carries the series) and never checks a detector's
 * name: the policy names detectors, the registry resolves them, capabilities say what they need.
 *
 * Per metric, up to three views judge the released hosts:
 *
 * 1. before/after — the released aggregate against its forecast from its own history. The same
 *    forecast check runs on the unreleased aggregate; an event that moved them too (a traffic
 *    peak, an upstream failure) is discounted: score × (1 − controlScore / 100) when both moved
 *    the same way (difference in differences).
 * 2. released vs unreleased — over the same minutes, after aligning the unreleased level to the
 *    released one over the last `alignmentPoints` of history (hosts differ in level before any
 *    release); the comparison detectors' scores are averaged.
 * 3. per host — each released host's change from before to after against the unreleased hosts'
 *    changes (median ± `bandSigma` robust σ), so one or two bad hosts are caught even when the
 *    aggregate hides them.
 *
 * Metric score = the largest of the views (× sensitivity, capped at 100). A metric without any
 * usable view is `insufficient_data`. Logs form one more pseudo-metric (category application).
 *
 * Batch decision, in order:
 * - a critical metric at or above `failThreshold` → FAIL;
 * - no metric could be judged, too little traffic, a critical metric without data, released hosts
 *   that stopped reporting or updating a metric (beyond the unreleased hosts' share) or stopped
 *   logging (see `stoppedLogging`), or more than `maxInsufficientFraction` of the metrics without
 *   data → INCONCLUSIVE (never a silent PASS);
 * - batch score = the highest category-weighted metric score (capped at 100):
 *   ≥ failThreshold → FAIL; ≥ inconclusiveThreshold → INCONCLUSIVE; otherwise PASS.
 *
 * Cost: O(hosts × points) to aggregate, plus each detector's own cost. Repeated evaluations of
 * one batch reuse fitted models and the history's aggregates through `GateCache`, and cost
 * O(hosts × window points) plus the detectors' window work.
 */
import type { DetectorInput, DetectorResult, Direction, PlotSeries } from '../core/detector.js';
import { deviationScore } from '../core/score.js';
import { countPresent, series, toJsonValues, type Series } from '../core/series.js';
import { pnormUpper, qnorm, tOverNormal999 } from '../core/stats.js';
import { isolatedSpike, madOf, medianOf, noneFarFromMedian } from '../core/window-stats.js';
import type { ParsedCase, ParsedMetric } from '../datasets/case.js';
import { resolveDetector, type ResolvedDetector } from '../registry.js';
import { aggregateHosts, aggregateWith, aggregationFor, planAggregation, type AggregationPlan } from './aggregate.js';
import { GateCache } from './cache.js';
import { newHostsHistory, newHostsView } from './new-hosts.js';
import { historyLevels, partnerHistory, partnerView, ratioSeries } from './partner.js';
import { mapHosts, peersHistory, peersView, pooledHistory, pooledView, type PeersHistory, type PooledHistory, type PooledResult } from './pooled.js';
import { parsePolicy, type DetectorRef, type Policy, type PolicyInput } from './policy.js';
import type { Decision, HostFinding, MetricVerdict, Verdict } from './verdict.js';

const DAY_MS = 86_400_000;

export interface EvaluateOptions {
  /** Reuses fitted models across evaluations of the same batch. */
  cache?: GateCache;
  /** Resolves a policy's detector references (default: the built-in registry); lets users plug in their own. */
  resolve?: (ref: DetectorRef) => ResolvedDetector;
}

interface ResolvedViews {
  beforeAfter: ResolvedDetector[];
  comparison: { detectors: ResolvedDetector[]; combine: 'min' | 'mean' | 'max' }[];
}

interface Windows {
  /** Index of the first point at or after `deployedAt`. */
  cut: number;
  length: number;
}

function windowsOf(c: ParsedCase): Windows {
  const length = c.metrics[0]?.released[0]?.values.length ?? 0;
  const cut = Math.min(length, Math.max(0, Math.ceil((c.release.deployedAt - c.start) / c.step)));
  return { cut, length };
}

const mean = (values: Float64Array, from: number, to: number): number => {
  let s = 0;
  let n = 0;
  for (let i = Math.max(0, from); i < to; i++) {
    const v = values[i];
    if (v === v) {
      s += v;
      n++;
    }
  }
  return n === 0 ? NaN : s / n;
};

const sub = (values: Float64Array, from: number, to: number): Float64Array => values.subarray(from, to);


function runDetector(d: ResolvedDetector, input: DetectorInput, cacheKey: string | null, cache: GateCache | undefined): DetectorResult {
  let prepared: unknown;
  if (d.module.prepare && cacheKey && cache && input.history) {
    const windowLength = d.module.prepareWindow?.(input.treated.values.length, d.config);
    const key = windowLength === undefined ? cacheKey : `${cacheKey}|window ${windowLength}`;
    prepared = cache.get(key, () => d.module.prepare!({ history: input.history, period: input.period, direction: input.direction, windowLength }, d.config));
  }
  try {
    return d.module.detect(prepared === undefined ? input : { ...input, prepared }, d.config);
  } catch (error) {
    // A detector bug on odd data must not decide a release: report it as no judgement.
    return { detector: d.module.name, version: d.module.version, status: 'insufficient_data', reason: `${d.module.name} failed: ${(error as Error).message}`, score: 0, anomalous: false, direction: 'none', evidence: {} };
  }
}

/** Each resolved detector's config as text, once (a cache key is built for every detector of every metric, every evaluation). */
const configText = new WeakMap<ResolvedDetector, string>();
/** Cache key of a detector's prepared state for one metric's group (its history and config). */
const detectorKey = (metricKey: string, d: ResolvedDetector, group: string): string => {
  let text = configText.get(d);
  if (text === undefined) configText.set(d, (text = JSON.stringify(d.config)));
  return `${d.module.name}@${d.module.version}|${text}|${group}|${metricKey}`;
};

const ok = (results: DetectorResult[]) => results.filter((r) => r.status === 'ok');

/** Score of one detector result in the direction that is bad for the metric. */
const directed = (r: DetectorResult, direction: Direction): number => {
  if (r.status !== 'ok') return 0;
  if (direction === 'up' && r.direction === 'down') return 0;
  if (direction === 'down' && r.direction === 'up') return 0;
  return r.score;
};

let noiseScratch = new Float64Array(0);
/**
 * A point this many σ of the differences (from their MAD) from both neighbours is a spike that the
 * mean absolute difference leaves out: far beyond Gaussian noise (a point of white noise is that
 * far from both neighbours with odds of 1.6e-9), well inside a slow request.
 */
const SPIKE_SIGMAS = 5;

/**
 * Robust noise of one host's series over [from, to): σ of its first differences / √2 (slow
 * seasonality cancels in differences), from the MAD or the mean absolute difference, whichever is
 * larger (the MAD is 0 for series that are mostly one value, such as rare counts). The mean leaves
 * out the two differences of each isolated spike (see SPIKE_SIGMAS): one slow request in the hour
 * doubled it, and with it the noise every view divides by; a step or a sawtooth's drop stays in.
 */
function hostNoise(values: Float64Array, from: number, to: number): number {
  const start = Math.max(1, from);
  // One scratch for every call (hundreds of hosts per metric); madOf compacts it in place (its
  // copy of the i-th value goes to an index ≤ i), so it needs no second half.
  const size = Math.max(0, to - start);
  if (noiseScratch.length < size) noiseScratch = new Float64Array(size);
  const buffer = noiseScratch;
  let n = 0;
  let sumAbs = 0;
  let largest = 0;
  for (let i = start; i < to; i++) {
    const d = values[i] - values[i - 1];
    if (d === d) {
      buffer[n++] = d;
      const a = Math.abs(d);
      sumAbs += a;
      if (a > largest) largest = a;
    }
  }
  if (n < 3) return NaN;
  const mad = madOf(buffer, 0, n, buffer);
  const limit = SPIKE_SIGMAS * mad;
  let sum = sumAbs;
  let kept = n;
  // Only a difference beyond the limit can belong to a spike (the usual case: none is).
  if (mad > 0 && largest > limit) {
    sum = 0;
    kept = 0;
    for (let i = start; i < to; i++) {
      const d = values[i] - values[i - 1];
      if (!(d === d) || isolatedSpike(values, i, start - 1, to, limit) || isolatedSpike(values, i - 1, start - 1, to, limit)) continue;
      sum += Math.abs(d);
      kept++;
    }
  }
  return Math.max(mad, kept >= 3 ? 1.2533 * (sum / kept) : 0) / Math.SQRT2;
}

/**
 * Each released host's change (window mean − mean of the last `alignmentPoints` before the
 * release), relative to its own level, minus the unreleased hosts' median relative change. The band
 * is the largest of: `bandSigma` robust σ of the unreleased hosts' changes; `bandSigma` standard
 * errors of the host's own change (from its noise); `minRelativeChange`. The means before the
 * release and the hosts' noise come from `history` (computed once per batch), the window means
 * (`treatedAfter`, `controlAfter`) from the aggregation's pass over the window.
 */
function perHostView(metric: ParsedMetric, w: Windows, policy: Policy, direction: Direction, history: MetricHistory, treatedAfter: Float64Array, controlAfter: Float64Array): { score: number; hosts: HostFinding[] } | null {
  const cfg = policy.views.perHost;
  const after = w.length - w.cut;
  if (!cfg.enabled || metric.unreleased.length < cfg.minControlHosts || w.cut === 0 || after < policy.minData.observedPoints) return null;
  const from = Math.max(0, w.cut - policy.alignmentPoints);
  const before = w.cut - from;
  const controlChanges = new Float64Array(metric.unreleased.length);
  for (let h = 0; h < metric.unreleased.length; h++) {
    const pre = history.controlBefore[h];
    controlChanges[h] = (controlAfter[h] - pre) / Math.max(Math.abs(pre), 1e-9);
  }
  if (countPresent(controlChanges) < cfg.minControlHosts) return null;
  const scratch = new Float64Array(controlChanges.length);
  const centre = medianOf(controlChanges, 0, controlChanges.length, scratch);
  const controlSpread = madOf(controlChanges, 0, controlChanges.length, scratch);
  const hosts: HostFinding[] = [];
  let score = 0;
  for (let h = 0; h < metric.released.length; h++) {
    const pre = history.treatedBefore[h];
    // A host at about zero before (a rare count, an idle error rate) has no meaningful relative
    // change: its level is floored at its noise, as a change is judged against both.
    const level = Math.max(Math.abs(pre), history.treatedNoise[h] || 0, 1e-9);
    const change = (treatedAfter[h] - pre) / level;
    const excess = change - centre;
    if (!Number.isFinite(excess)) continue;
    const noise = history.treatedNoise[h] / level;
    const standardError = Number.isFinite(noise) ? noise * Math.sqrt(1 / after + 1 / before) : 0;
    const delta = Math.max(cfg.bandSigma * controlSpread, cfg.bandSigma * standardError, cfg.minRelativeChange, 1e-12);
    const s = deviationScore(excess, delta, direction);
    hosts.push({ host: metric.released[h].host, excessChange: excess, score: s });
    score = Math.max(score, s);
  }
  if (hosts.length === 0) return null;
  hosts.sort((a, b) => b.score - a.score);
  return { score, hosts: hosts.slice(0, 10) };
}

/**
 * How the control aggregate's level is aligned to the treated aggregate's over the history tail:
 * by ratio when both are positive there, else by offset; when either has no data there (released
 * hosts new with the release) only a sum's scale applies. A sum is first scaled to the released
 * hosts' size (`scale`, the ratio of the groups' summed levels, or of their host counts): two sums
 * over 20 and 180 hosts differ by a multiple of the traffic, so an offset fixed before the release
 * would drift with the daily ramp alone.
 */
interface Alignment {
  mode: 'none' | 'ratio' | 'offset';
  by: number;
  scale: number;
}

/** The factor that puts a control sum on the released hosts' scale (1 for other aggregations). */
function sumScale(treated: AggregationPlan, control: AggregationPlan, treatedHosts: number, controlHosts: number): number {
  if (treated.how !== 'sum' || controlHosts === 0) return 1;
  if (treated.levels && control.levels && treated.total > 0 && control.total > 0) return treated.total / control.total;
  return treatedHosts / controlHosts;
}

function alignmentOf(treatedHistory: Float64Array, controlHistory: Float64Array, w: Windows, points: number, scale: number): Alignment {
  const from = Math.max(0, w.cut - points);
  const t = mean(treatedHistory, from, w.cut);
  const c = mean(controlHistory, from, w.cut) * scale;
  if (!Number.isFinite(t) || !Number.isFinite(c)) return { mode: 'none', by: 0, scale };
  return t > 0 && c > 0 ? { mode: 'ratio', by: t / c, scale } : { mode: 'offset', by: t - c, scale };
}

function align(control: Float64Array, alignment: Alignment): Float64Array {
  if (alignment.mode === 'none') {
    // No level to align by (no history on one side), but a sum still goes on the released hosts' scale.
    if (alignment.scale === 1) return control;
    return control.map((v) => v * alignment.scale);
  }
  const out = new Float64Array(control.length);
  const { by, scale } = alignment;
  if (alignment.mode === 'ratio') for (let i = 0; i < control.length; i++) out[i] = control[i] * scale * by;
  else for (let i = 0; i < control.length; i++) out[i] = control[i] * scale + by;
  return out;
}

/**
 * Everything a metric's evaluation takes from history alone: the groups' aggregation plans
 * (hosts' levels), their aggregates before the release, the aligned control, and the per-host
 * means and noise before the release. A batch is re-judged every minute with the same history,
 * so the gate computes this once per (metric, hosts, history window, aggregation) and then
 * touches only the window. O(hosts × history points).
 */
interface MetricHistory {
  treatedPlan: AggregationPlan;
  controlPlan: AggregationPlan | null;
  /** Aggregates over [0, cut). */
  treated: Float64Array;
  control: Float64Array | null;
  treatedPresent: number;
  controlPresent: number;
  alignment: Alignment;
  /** The control aggregate over [0, cut), aligned. */
  aligned: Float64Array | null;
  /** Hosts' means over the last `alignmentPoints` before the release. */
  treatedBefore: Float64Array;
  controlBefore: Float64Array;
  /** Released hosts' noise over the same points (see hostNoise). */
  treatedNoise: Float64Array;
  /** Unreleased hosts' noise over the same points. */
  controlNoise: Float64Array;
  /** The released aggregate's usual value before the release when at least half its points take it (a count at 0, a rate at 100 %), else NaN. */
  usual: number;
  /** Points before the release away from `usual`. */
  unusual: number;
}

function metricHistory(metric: ParsedMetric, how: AggregationPlan['how'], w: Windows, policy: Policy): MetricHistory {
  const levels = { from: Math.max(0, w.cut - policy.alignmentPoints * 4), to: w.cut };
  const released = metric.released.map((h) => h.values);
  const unreleased = metric.unreleased.map((h) => h.values);
  const treatedPlan = planAggregation(released, how, levels);
  const treated = aggregateWith(released, treatedPlan, 0, w.cut);
  const controlPlan = unreleased.length > 0 ? planAggregation(unreleased, how, levels) : null;
  const control = controlPlan ? aggregateWith(unreleased, controlPlan, 0, w.cut) : null;
  const alignment = control && controlPlan ? alignmentOf(treated, control, w, policy.alignmentPoints, sumScale(treatedPlan, controlPlan, released.length, unreleased.length)) : { mode: 'none' as const, by: 0, scale: 1 };
  const from = Math.max(0, w.cut - policy.alignmentPoints);
  return {
    treatedPlan, controlPlan, treated, control,
    treatedPresent: countPresent(treated),
    controlPresent: control ? countPresent(control) : 0,
    alignment,
    aligned: control ? align(control, alignment) : null,
    treatedBefore: mapHosts(released, (v) => mean(v, from, w.cut)),
    controlBefore: mapHosts(unreleased, (v) => mean(v, from, w.cut)),
    treatedNoise: mapHosts(released, (v) => hostNoise(v, from, w.cut)),
    controlNoise: mapHosts(unreleased, (v) => hostNoise(v, from, w.cut)),
    ...usualValue(treated),
  };
}

/**
 * The hosts' values with a lone outlier in the window clipped: a point more than `sigma` of the
 * host's noise from the host's window median is clipped to that distance when it is the only such
 * point of the host's window. A single slow request on one host is common and no release's doing;
 * a fault's spikes come several at a time (and the pooled view's burst, which reads the raw values,
 * looks for them across hosts). Hosts without a lone outlier keep their array (no copy).
 * O(hosts × window).
 */
function despiked(hosts: readonly { values: Float64Array }[], noise: Float64Array, w: Windows, sigma: number): Float64Array[] {
  const n = w.length - w.cut;
  const scratch = new Float64Array(Math.max(0, n));
  return hosts.map((h, index) => {
    const v = h.values;
    const sd = noise[index];
    if (!(sd > 0) || n < 6 || sigma <= 0) return v;
    const limit = sigma * sd;
    // No point can be `limit` from the median when the whole window spans less (the usual case),
    // nor when every point lies within limit − σ of the mean: the median of any sample is within
    // one standard deviation of its mean. Both checks are a pass over the window; the median is
    // a selection.
    let low = Infinity;
    let high = -Infinity;
    let sum = 0;
    let sumSquares = 0;
    let count = 0;
    for (let i = w.cut; i < w.length; i++) {
      const x = v[i];
      if (x < low) low = x;
      if (x > high) high = x;
      if (x === x) {
        sum += x;
        sumSquares += x * x;
        count++;
      }
    }
    if (!(high - low > limit)) return v;
    if (count > 0) {
      const mean = sum / count;
      const spread = Math.sqrt(Math.max(0, sumSquares / count - mean * mean));
      // Rounding in the sums is far below this margin of 1e-9 of the window's scale.
      if (Math.max(high - mean, mean - low) + spread + 1e-9 * (Math.abs(mean) + spread) < limit) return v;
    }
    // A trend across the window (a daily ramp) spreads it wider than the limit with every point
    // near the rest: a counting pass shows it without the median's selection.
    if (noneFarFromMedian(v, w.cut, w.length, low, high, limit)) return v;
    const centre = medianOf(v, w.cut, w.length, scratch);
    let outlier = -1;
    for (let i = w.cut; i < w.length; i++) {
      if (Math.abs(v[i] - centre) > limit) {
        if (outlier >= 0) return v;
        outlier = i;
      }
    }
    if (outlier < 0) return v;
    const copy = v.slice();
    copy[outlier] = centre + Math.sign(v[outlier] - centre) * limit;
    return copy;
  });
}

/** hostNoise, reading the hosts' noise over the `alignmentPoints` before the release from `history` instead of recomputing it. */
function knownNoise(metric: ParsedMetric, history: MetricHistory, w: Windows, policy: Policy): (values: Float64Array, from: number, to: number) => number {
  const known = new Map<Float64Array, number>();
  metric.released.forEach((h, i) => known.set(h.values, history.treatedNoise[i]));
  metric.unreleased.forEach((h, i) => known.set(h.values, history.controlNoise[i]));
  const from = Math.max(0, w.cut - policy.alignmentPoints);
  return (values, start, end) => (start === from && end === w.cut && known.has(values) ? (known.get(values) as number) : hostNoise(values, start, end));
}

/**
 * The names of the released and of the unreleased hosts over every metric (a host is released or
 * not for the whole batch). Plain loops: a wide batch names thousands of hosts per metric, and
 * arrays mapped, flattened and filtered per evaluation were a tenth of a repeated one.
 */
function hostGroups(metrics: readonly ParsedMetric[]): { released: Set<string>; unreleased: Set<string> } {
  const released = new Set<string>();
  const unreleased = new Set<string>();
  for (const m of metrics) for (const h of m.released) released.add(h.host);
  for (const m of metrics) for (const h of m.unreleased) if (!released.has(h.host)) unreleased.add(h.host);
  return { released, unreleased };
}

/** Which of the pooled view's statistics scored highest. */
const strongest = (r: PooledResult): string => {
  const order = ['shift', 'burst', 'spread', 'dispersion', 'noise'] as const;
  return order.reduce((best, name) => (r.scores[name] > r.scores[best] ? name : best), order[0]);
};

/** At most `most` items of `items`, evenly spaced (all of them when there are no more). */
function evenlySpaced<T>(items: readonly T[], most: number): T[] {
  if (items.length <= most) return [...items];
  return Array.from({ length: most }, (_, i) => items[Math.floor((i * items.length) / most)]);
}

/**
 * The value at least half of `values`' present points take, if any — then it is their median —
 * and how many present points differ from it. O(n).
 */
function usualValue(values: Float64Array): { usual: number; unusual: number } {
  const median = medianOf(values, 0, values.length);
  let present = 0;
  let unusual = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    present++;
    if (v !== median) unusual++;
  }
  return present > 0 && unusual <= present / 2 ? { usual: median, unusual } : { usual: NaN, unusual };
}

/** P(X ≥ k) for X ~ Binomial(n, p). O(k). */
export function binomialUpper(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  let below = 0;
  let term = Math.pow(1 - p, n);
  for (let j = 0; j < k; j++) {
    below += term;
    term *= ((n - j) / (j + 1)) * (p / (1 - p));
  }
  return Math.max(0, 1 - below);
}

/**
 * For a metric that mostly sits at one value (a rare count at 0, a success rate at 100 %), how
 * likely the window's points away from that value are under the rate seen before the release:
 * noise estimates are 0 for such series, so without this one stray event scores 100.
 */
function sparseSurprise(history: MetricHistory, observed: Float64Array): { away: number; present: number; p: number } | null {
  if (!Number.isFinite(history.usual)) return null;
  let away = 0;
  let present = 0;
  for (let i = 0; i < observed.length; i++) {
    const v = observed[i];
    if (v !== v) continue;
    present++;
    if (v !== history.usual) away++;
  }
  const rate = (history.unusual + 0.5) / (history.treatedPresent + 1);
  return { away, present, p: binomialUpper(away, present, rate) };
}

/**
 * How much of the released aggregate's change over the window (against its mean over the last
 * `points` before the release) the unreleased aggregate's change explains, in [0, 1]: 1 when they
 * moved as far the same way (an event on every host) or the released hosts barely moved, 0 when the
 * unreleased hosts did not move their way. Relative changes when both groups had a level before
 * (the aggregates differ in level: a sum over more hosts); when either sat at 0 (an error count
 * that never fired) a relative change does not exist, and the changes are compared as they are,
 * the control's put on the released hosts' scale by `scale` (see sumScale). O(window + points).
 */
function explainedShare(treatedHistory: Float64Array, treatedWindow: Float64Array, controlHistory: Float64Array, controlWindow: Float64Array, points: number, scale: number): number {
  const levelOf = (h: Float64Array): number => mean(h, h.length - points, h.length);
  const treatedLevel = levelOf(treatedHistory);
  const controlLevel = levelOf(controlHistory);
  let released = mean(treatedWindow, 0, treatedWindow.length) - treatedLevel;
  let unreleased = mean(controlWindow, 0, controlWindow.length) - controlLevel;
  if (treatedLevel !== 0 && controlLevel !== 0) {
    released /= Math.abs(treatedLevel);
    unreleased /= Math.abs(controlLevel);
  } else {
    unreleased *= scale;
  }
  if (!Number.isFinite(released) || !Number.isFinite(unreleased) || Math.abs(released) < 1e-9) return 1;
  return Math.max(0, Math.min(1, unreleased / released));
}

/**
 * How far the released hosts' window means stand from the unreleased hosts' (0–100, in the bad
 * direction): the difference of the groups' mean levels in standard errors of the unreleased
 * hosts' spread of levels (their sd × √(1/k + 1/m)), scored against `band` widened as Student's t
 * widens the normal's 0.999 quantile for m − 1 degrees of freedom (two or three hosts tell little
 * about a spread). Log levels when every level is positive (hosts differ by size, in proportion).
 * Null with one unreleased host: no spread, so the comparison cannot tell the release from the
 * hosts' own differences. O(hosts).
 */
function hostsApart(released: Float64Array, unreleased: Float64Array, direction: Direction, band: number): number | null {
  const r = released.filter(Number.isFinite);
  const u = unreleased.filter(Number.isFinite);
  if (r.length === 0) return 100;
  if (u.length < 2) return null;
  const positive = r.every((v) => v > 0) && u.every((v) => v > 0);
  const lr = positive ? r.map(Math.log) : r;
  const lu = positive ? u.map(Math.log) : u;
  const centre = mean(lu, 0, lu.length);
  let squares = 0;
  for (const v of lu) squares += (v - centre) ** 2;
  // A floor for hosts that happen to agree closely: 1 % in log levels, else 1e-9 of the level.
  const spread = Math.max(Math.sqrt(squares / (lu.length - 1)), positive ? 0.01 : 1e-9 * Math.max(1, Math.abs(centre)));
  const standardError = spread * Math.sqrt(1 / lr.length + 1 / lu.length);
  return deviationScore(mean(lr, 0, lr.length) - centre, band * tOverNormal999(lu.length - 1) * standardError, direction);
}

/**
 * What one evaluation computes once for all its metrics: each metric's series by host name (the
 * partner view looks other metrics' hosts up by name), and values that only this evaluation may
 * reuse when no cache is given.
 */
class EvaluationMemo {
  private readonly byName = new Map<ParsedMetric, Map<string, Float64Array>>();
  private readonly values = new Map<string, unknown>();

  /** `metric`'s series of the given hosts (undefined where it has none). O(hosts), O(its hosts) once. */
  sameHosts(metric: ParsedMetric, hosts: readonly { host: string }[]): (Float64Array | undefined)[] {
    let names = this.byName.get(metric);
    if (!names) {
      names = new Map();
      for (const h of metric.released) names.set(h.host, h.values);
      for (const h of metric.unreleased) names.set(h.host, h.values);
      this.byName.set(metric, names);
    }
    const found = names;
    return hosts.map((h) => found.get(h.host));
  }

  once<T>(key: string, make: () => T): T {
    if (!this.values.has(key)) this.values.set(key, make());
    return this.values.get(key) as T;
  }
}

/** The hosts of `all` not in `some` (by identity). O(hosts). */
function withoutHosts<T>(all: readonly T[], some: readonly T[]): T[] {
  const known = new Set(some);
  return all.filter((h) => !known.has(h));
}

/** A series over stored values without copying them (detectors never write their input). */
const view = (start: number, step: number, values: Float64Array): Series => ({ start, step, values });

/** Whether v has a present value in [from, to) (stops at the first). */
function anyPresent(v: Float64Array, from: number, to: number): boolean {
  for (let i = Math.max(0, from); i < to; i++) if (v[i] === v[i]) return true;
  return false;
}

/** values of `history` then `window` over [from, history.length + window.length). */
function joined(history: Float64Array, window: Float64Array, from: number): Float64Array {
  const out = new Float64Array(history.length + window.length - from);
  out.set(history.subarray(from));
  out.set(window, history.length - from);
  return out;
}

function evaluateMetric(c: ParsedCase, allHosts: ParsedMetric, w: Windows, policy: Policy, detectors: ResolvedViews, cache: GateCache | undefined, memo: EvaluationMemo): MetricVerdict {
  // Released hosts without a past beside hosts with one (added to the batch with the release): in
  // the released aggregate they would change at the release what is averaged or summed — a change
  // of composition that reads as the release's (a healthy batch with half its released hosts new
  // failed 45 % of the time). The views take the hosts with a past, which run the same version;
  // the new ones still count for the checks of hosts that stopped reporting. When every released
  // host is new, they all go to every view, and to the new-hosts view.
  const withPast = allHosts.released.filter((h) => anyPresent(h.values, w.cut - policy.views.pooled.beforePoints, w.cut));
  const allNew = withPast.length === 0 && allHosts.released.length > 0;
  const metric = withPast.length > 0 && withPast.length < allHosts.released.length ? { ...allHosts, released: withPast } : allHosts;
  const direction = metric.direction;
  const how = aggregationFor(metric.name, policy);
  const critical = metric.critical || policy.critical.includes(metric.name);
  // Keyed by everything the history part depends on; the values before the cut are taken to be
  // those of the first evaluation (the batch's history does not change while it is observed).
  const metricKey = `${c.app}|${metric.name}|${c.start}|${c.step}|${w.cut}|${how}|${policy.alignmentPoints}|${metric.released.map((h) => h.host).join(',')}|${metric.unreleased.map((h) => h.host).join(',')}`;
  const history = cache ? cache.get(`history|${metricKey}`, () => metricHistory(metric, how, w, policy)) : metricHistory(metric, how, w, policy);
  const treatedAfter = new Float64Array(metric.released.length);
  const controlAfter = new Float64Array(metric.unreleased.length);
  // Hosts' window values with a lone outlier clipped (see despiked); the pooled view reads the raw values.
  const releasedValues = despiked(metric.released, history.treatedNoise, w, policy.outlierSigma);
  const unreleasedValues = despiked(metric.unreleased, history.controlNoise, w, policy.outlierSigma);
  const observed = aggregateWith(releasedValues, history.treatedPlan, w.cut, w.length, treatedAfter);
  const hasControl = metric.unreleased.length > 0;
  const controlWindow = history.controlPlan ? aggregateWith(unreleasedValues, history.controlPlan, w.cut, w.length, controlAfter) : null;
  const windowStart = c.start + w.cut * c.step;
  const present = countPresent(observed);
  const base: Omit<MetricVerdict, 'status' | 'score' | 'anomalous' | 'direction' | 'reasons'> = {
    name: metric.name, category: metric.category, critical, aggregation: how,
    views: { beforeAfter: [], beforeAfterControl: [], comparison: [], perHost: null },
  };
  if (observed.length === 0 || present < policy.minData.observedPoints || present < policy.minData.presentFraction * observed.length) {
    return { ...base, status: 'insufficient_data', reason: `${present} of ${observed.length} points present in the observation window`, score: 0, anomalous: false, direction: 'none', reasons: [] };
  }
  const period = Math.round(DAY_MS / c.step);
  const historyPresent = history.treatedPresent;
  const reasons: string[] = [];
  let score = 0;
  let scoreDirection: 'up' | 'down' | 'none' = 'none';
  const viewScores: number[] = [];
  let strongestReason = '';
  const consider = (s: number, d: 'up' | 'down' | 'none', why: string) => {
    viewScores.push(s);
    if (s > 0.5) reasons.push(`${why}: ${s.toFixed(1)}`);
    if (s > score) {
      score = s;
      scoreDirection = d;
      if (s > 0.5) strongestReason = reasons[reasons.length - 1];
    }
  };

  // 1. before/after, discounted by the same check on the unreleased hosts. That check runs even
  // when the released hosts have no past (new with the release): whether the unreleased hosts left
  // their forecast also tells the other views that an event hit every host.
  if (history.control && controlWindow && history.controlPresent >= policy.minData.historyPoints) {
    const controlHistory = view(c.start, c.step, history.control);
    const controlTreated = view(windowStart, c.step, controlWindow);
    base.views.beforeAfterControl = detectors.beforeAfter.map((d) => runDetector(d, { treated: controlTreated, history: controlHistory, direction, period }, detectorKey(metricKey, d, 'unreleased'), cache));
  }
  if (historyPresent >= policy.minData.historyPoints) {
    const treatedHistory = view(c.start, c.step, history.treated);
    const treated = view(windowStart, c.step, observed);
    base.views.beforeAfter = detectors.beforeAfter.map((d) => runDetector(d, { treated, history: treatedHistory, direction, period }, detectorKey(metricKey, d, 'released'), cache));
    const results = ok(base.views.beforeAfter);
    const controlDecides = policy.views.beforeAfter.withControl === 'evidence' && ok(base.views.beforeAfterControl).length > 0;
    if (results.length > 0 && !controlDecides) {
      const best = results.reduce((a, b) => (directed(b, direction) > directed(a, direction) ? b : a));
      let s = directed(best, direction);
      const controlResult = ok(base.views.beforeAfterControl).find((r) => r.detector === best.detector);
      if (controlResult && controlResult.direction === best.direction) s *= 1 - directed(controlResult, direction) / 100;
      consider(s, best.direction, `before/after (${best.detector})${controlResult && controlResult.direction === best.direction && controlResult.score > 0.5 ? `, discounted for the unreleased hosts moving too (${controlResult.score.toFixed(1)})` : ''}`);
    }
  }

  // When the unreleased hosts themselves left their forecast (a peak that saturates every host, an
  // outage), the groups' usual relation no longer holds and the comparisons see the release where
  // there is only the event: their scores are discounted by how far the unreleased hosts moved.
  // Only the share of the released hosts' move that the unreleased hosts' own move explains is
  // discounted: a release that halves orders while an event takes 10 % off everywhere is not excused.
  const controlMove = Math.max(0, ...ok(base.views.beforeAfterControl).map((r) => r.score));
  const explained = controlMove >= policy.environmentThreshold && history.control && controlWindow ? explainedShare(history.treated, observed, history.control, controlWindow, policy.alignmentPoints, history.alignment.scale) : 1;
  const environment = controlMove >= policy.environmentThreshold ? 1 - (controlMove / 100) * explained : 1;
  if (environment < 1) reasons.push(`the unreleased hosts moved too (${controlMove.toFixed(1)}, ${(explained * 100).toFixed(0)} % of the released hosts' change): released-vs-unreleased views discounted to ${(environment * 100).toFixed(0)} %`);

  // 2. released vs unreleased over the same minutes, control level aligned first.
  let apart: number | null = 100;
  if (history.aligned && controlWindow && countPresent(controlWindow) >= policy.minData.observedPoints) {
    const input: DetectorInput = {
      treated: view(windowStart, c.step, observed),
      control: view(windowStart, c.step, align(controlWindow, history.alignment)),
      history: w.cut > 0 ? view(c.start, c.step, history.treated) : undefined,
      controlHistory: w.cut > 0 ? view(c.start, c.step, history.aligned) : undefined,
      treatedHosts: releasedValues.map((v) => view(windowStart, c.step, sub(v, w.cut, w.length))),
      controlHosts: unreleasedValues.map((v) => view(windowStart, c.step, sub(v, w.cut, w.length))),
      direction,
      period,
    };
    // Without a past to align the groups by (released hosts new with the release), their levels
    // differ by the hosts' own differences too: a comparison counts only as far as the released
    // hosts stand apart from the spread of the unreleased hosts' levels.
    apart = history.alignment.mode === 'none' && policy.newHostsBand > 0 ? hostsApart(treatedAfter, controlAfter, direction, policy.newHostsBand) : 100;
    for (const group of detectors.comparison) {
      const results = group.detectors.map((d) => runDetector(d, input, detectorKey(metricKey, d, 'comparison'), cache));
      base.views.comparison.push(...results);
      if (apart === null) continue;
      const judged = ok(results);
      // `min` means every detector of the group must see the change: with one of them short of data
      // (auc wants 5 minutes) the group would be a single detector on three or four points, and a
      // rank test on so few points reaches its extreme on noise alone.
      if (judged.length === 0 || (group.combine === 'min' && judged.length < results.length)) continue;
      const scores = judged.map((r) => directed(r, direction));
      const s = group.combine === 'min' ? Math.min(...scores) : group.combine === 'max' ? Math.max(...scores) : scores.reduce((a, b) => a + b, 0) / scores.length;
      const up = judged.filter((r) => r.direction === 'up').length;
      const down = judged.filter((r) => r.direction === 'down').length;
      consider(Math.min(s, apart) * environment, up > down ? 'up' : down > up ? 'down' : 'none', `released vs unreleased (${judged.map((r) => r.detector).join(group.combine === 'min' ? ' and ' : ', ')})${apart < s ? `, capped at ${apart.toFixed(1)}: released hosts without a past, against the unreleased hosts' spread of levels` : ''}`);
    }
  }

  // 3. per host: pooled across the released hosts, minute by minute against the unreleased hosts.
  const pooledHosts = metric.released.length > 0 && metric.unreleased.length >= policy.views.pooled.minControlHosts ? [...metric.released, ...evenlySpaced(metric.unreleased, policy.views.pooled.maxControlHosts)].map((h) => h.values) : null;
  if (pooledHosts && policy.views.pooled.enabled) {
    const make = (): PooledHistory => pooledHistory(pooledHosts, metric.released.length, w.cut, policy.views.pooled, direction, knownNoise(metric, history, w, policy), policy.outlierSigma);
    const ph = cache ? cache.get(`pooled|${JSON.stringify(policy.views.pooled)}|${metricKey}`, make) : make();
    const pooled = pooledView(pooledHosts, metric.released.length, w.cut, w.length, policy.views.pooled, direction, ph, policy.views.pooled.minControlHosts, policy.outlierSigma);
    base.views.pooled = pooled;
    if (pooled) consider(pooled.score * environment, pooled.direction, `released hosts pooled against the unreleased hosts (${strongest(pooled)})`);
  } else if (policy.views.pooled.enabled && metric.released.length >= 1 && metric.unreleased.length === 0) {
    // No unreleased hosts: each released host against the other released hosts, so a few of them
    // going bad is seen even when their aggregate hides it, and all of them against their own past
    // (below), for a release that hits them alike.
    let best: PooledResult | null = null;
    let worst = '';
    // The dispersion stays off here: one or two peers, themselves released, are too few to tell a
    // host's own noise increase from a ramp's (an increase on every released host is the usual one).
    // The view takes the largest score over the k released hosts, so k hosts are k chances to fail
    // a healthy batch. Each host's bands come from the largest value each statistic took over every
    // host's history windows (judged against its own few, a fleet's batch failed on whichever host's
    // noise was the most uneven that hour), and the shift's and spread's parametric bands (standard
    // errors) are raised to the one-sided level k comparisons share, Šidák's (at one comparison's
    // 4, a healthy fleet of 40 failed on its largest chance shift once in a hundred deployments).
    const k = metric.released.length;
    const shared = (band: number) => (k > 1 ? -qnorm(pnormUpper(band) / k) : band);
    const peers = { ...policy.views.pooled, dispersionBand: 0, shiftBand: shared(policy.views.pooled.shiftBand), spreadBand: shared(policy.views.pooled.spreadBand) };
    if (policy.views.pooled.peers && k >= 2) {
      const released = metric.released.map((x) => x.values);
      const makePeers = (): PeersHistory => peersHistory(released, w.cut, peers, direction, hostNoise, policy.outlierSigma);
      const ph = cache ? cache.get(`peers|${JSON.stringify(peers)}|${metricKey}`, makePeers) : makePeers();
      const found = peersView(released, w.cut, w.length, peers, direction, ph, policy.outlierSigma);
      if (found) {
        best = found.result;
        worst = metric.released[found.host].host;
      }
    }
    // And the released hosts together against their own past (each in units of its noise, pooled;
    // bands from the same statistic over the history's windows): the only per-host view of a
    // change that hits every released host alike.
    const own = metric.released.map((x) => x.values);
    const makeOwn = (): PooledHistory => pooledHistory(own, own.length, w.cut, policy.views.pooled, direction, hostNoise, policy.outlierSigma, period);
    const oh = cache ? cache.get(`own|${JSON.stringify(policy.views.pooled)}|${metricKey}`, makeOwn) : makeOwn();
    const self = pooledView(own, own.length, w.cut, w.length, policy.views.pooled, direction, oh, 0, policy.outlierSigma);
    if (self && (!best || self.score > best.score)) {
      best = self;
      worst = '';
    }
    base.views.pooled = best;
    if (best) consider(best.score, best.direction, worst ? `host ${worst} against the other released hosts (${strongest(best)})` : `released hosts against their own past (${strongest(best)})`);
  }
  // 4. released hosts new with the release (no past of their own): their noise and trend against
  // the unreleased hosts', what hosts of different sizes share closely enough to compare. Only when
  // every released host is new: beside hosts with a past, a new host judged alone failed 7 more of
  // 776 healthy batches for 3 more faults caught of 535 (its noise against a spread of the
  // unreleased hosts that two or three of them measure badly).
  if (allNew && policy.views.pooled.enabled && policy.views.pooled.newHosts && metric.unreleased.length >= 3) {
    const newHostsControl = evenlySpaced(metric.unreleased, policy.views.pooled.maxControlHosts).map((h) => h.values);
    const make = () => newHostsHistory(newHostsControl, w.cut, policy.views.pooled, direction);
    const nh = cache ? cache.get(`new hosts|${JSON.stringify(policy.views.pooled)}|${metricKey}`, make) : make();
    const found = newHostsView(metric.released.map((h) => h.values), newHostsControl, w.cut, w.length, policy.views.pooled, direction, nh);
    base.views.newHosts = found;
    if (found) consider(found.score * environment, found.direction, found.direction === 'none' ? `released hosts without a past against the unreleased hosts: ${found.ratio.toFixed(2)}× as rough (${found.form})` : `released hosts without a past against the unreleased hosts: trending ${found.direction} (${found.trend.toFixed(1)} standard errors)`);
  }
  // 5. released hosts without a past, their level against a partner metric (see src/gate/partner.ts):
  // on its own switch, since turning the noise and trend off for hosts that warm up says nothing
  // about their levels. Also the new ones beside hosts with a past, which views 1–4 leave out: a
  // level relative to another metric does not mix them with the others (the part-new v1 set gained
  // 4 faults of 535, the unseen world's 2, for no false positive in either).
  let partnerPlot: (() => PlotSeries[]) | null = null;
  const newOnes = allNew ? metric.released : withPast.length === allHosts.released.length ? [] : withoutHosts(allHosts.released, withPast);
  if (newOnes.length > 0 && policy.views.pooled.enabled && policy.views.pooled.partner && metric.unreleased.length >= 3) {
    const others = c.metrics.filter((m) => m.name !== metric.name);
    const controlHosts = evenlySpaced(metric.unreleased, policy.views.pooled.maxControlHosts);
    // Each metric's levels over these hosts serve every other metric's choice of partner: once
    // per history (a batch of 30 metrics would otherwise compute each 29 times).
    const controlKey = `${c.app}|${c.start}|${c.step}|${w.cut}|${controlHosts.map((h) => h.host).join(',')}`;
    const levelsOf = (m: ParsedMetric) => {
      const make = () => historyLevels(memo.sameHosts(m, controlHosts), w.cut, policy.views.pooled);
      const key = `partner levels|${policy.views.pooled.nullPoints}|${policy.views.pooled.nullWindowPoints}|${m.name}|${controlKey}`;
      return cache ? cache.get(key, make) : memo.once(key, make);
    };
    const makePartner = () => partnerHistory(levelsOf(metric), others.map(levelsOf), policy.views.pooled, direction);
    const ph = cache ? cache.get(`partner|${JSON.stringify(policy.views.pooled)}|${metricKey}|${others.map((m) => m.name).join(',')}`, makePartner) : makePartner();
    const paired = ph ? others[ph.partner] : null;
    const partner = ph && paired ? partnerView(newOnes.map((h) => h.values), memo.sameHosts(paired, newOnes), controlHosts.map((h) => h.values), memo.sameHosts(paired, controlHosts), w.cut, w.length, policy.views.pooled, direction, ph, paired.name) : null;
    base.views.partner = partner;
    if (partner && paired) {
      consider(partner.score * environment, partner.direction, `released hosts without a past against the unreleased hosts: ${partner.ratio.toFixed(2)}× the level against ${partner.partner} (${partner.level.toFixed(1)} standard errors)`);
      partnerPlot = () => {
        const from = plotFrom(w);
        const line = (name: string, hosts: readonly { host: string; values: Float64Array }[], role: PlotSeries['role']): PlotSeries => ({ name: `${name} ÷ ${paired.name}`, start: c.start + from * c.step, step: c.step, values: toJsonValues(ratioSeries(hosts.map((h) => h.values), memo.sameHosts(paired, hosts), from, w.length)), role });
        return [line('released', newOnes, 'observed'), line('unreleased', controlHosts, 'control')];
      };
    }
  }
  const perHost = perHostView(metric, w, policy, direction, history, treatedAfter, controlAfter);
  base.views.perHost = perHost;
  if (perHost && perHost.hosts.length > 0) {
    const worst = perHost.hosts[0];
    consider(perHost.score * environment, worst.excessChange > 0 ? 'up' : 'down', `host ${worst.host} against the unreleased hosts`);
  }

  const judged = ok(base.views.beforeAfter).length + (apart === null ? 0 : ok(base.views.comparison).length) + (perHost ? 1 : 0) + (base.views.pooled ? 1 : 0) + (base.views.newHosts ? 1 : 0) + (base.views.partner ? 1 : 0);
  if (judged === 0) {
    const unanchored = apart === null ? ['released hosts without a past and one unreleased host: the comparison cannot tell the release from the hosts\' own differences'] : [];
    const why = [...unanchored, ...[...base.views.beforeAfter, ...base.views.comparison].map((r) => r.reason)].filter(Boolean);
    return { ...base, status: 'insufficient_data', reason: why[0] ?? (hasControl ? 'no view had enough data' : `no unreleased hosts and fewer than ${policy.minData.historyPoints} history points`), score: 0, anomalous: false, direction: 'none', reasons };
  }
  let final = Math.min(100, fuse(viewScores, policy.agreement) * policy.sensitivity);
  const sparse = sparseSurprise(history, observed);
  if (sparse && sparse.p > policy.sparseAlpha && final >= policy.metricThreshold) {
    // Below the metric threshold, keeping the order of scores among such metrics.
    final = policy.metricThreshold * (0.5 + final / 200) - 1e-9;
    reasons.push(`${sparse.away} of ${sparse.present} points away from the usual ${history.usual}, as likely as not before the release (p ${sparse.p.toPrecision(2)}): not judged anomalous`);
  }
  const anomalous = final >= policy.metricThreshold;
  // The view that decided the score first: people (and the batch's reasons) read the first line.
  if (strongestReason) {
    reasons.splice(reasons.indexOf(strongestReason), 1);
    reasons.unshift(strongestReason);
  }
  const verdict: MetricVerdict = { ...base, status: 'ok', score: final, anomalous, direction: scoreDirection, reasons };
  if (anomalous) verdict.plot = { ...plotFor(c, w, history, observed, controlWindow, base.views.beforeAfter), ...(partnerPlot ? { againstPartner: partnerPlot() } : {}) };
  else if (policy.detectorPlots === 'flagged') {
    const views = verdict.views;
    views.beforeAfter = withoutPlots(views.beforeAfter);
    views.beforeAfterControl = withoutPlots(views.beforeAfterControl);
    views.comparison = withoutPlots(views.comparison);
  }
  return verdict;
}

/** The results without their series (copies; a result may be shared). */
function withoutPlots(results: DetectorResult[]): DetectorResult[] {
  return results.map((r) => {
    if (r.plot === undefined) return r;
    const { plot: _plot, ...rest } = r;
    return rest;
  });
}

/** First point plotted: enough history to see the level before the release, not the whole week. */
const plotFrom = (w: Windows): number => Math.max(0, w.cut - Math.max(60, w.length - w.cut));

function plotFor(c: ParsedCase, w: Windows, history: MetricHistory, treatedWindow: Float64Array, controlWindow: Float64Array | null, beforeAfter: DetectorResult[]): NonNullable<MetricVerdict['plot']> {
  const from = plotFrom(w);
  const start = c.start + from * c.step;
  const observed: PlotSeries = { name: 'released', start, step: c.step, values: toJsonValues(joined(history.treated, treatedWindow, from)), role: 'observed' };
  const control = history.control && controlWindow ? joined(history.control, controlWindow, from) : null;
  const band = ok(beforeAfter)[0]?.plot?.filter((p) => p.role === 'forecast' || p.role === 'lower' || p.role === 'upper') ?? [];
  return {
    beforeAfter: [observed, ...band],
    releasedVsUnreleased: control ? [observed, { name: 'unreleased', start, step: c.step, values: toJsonValues(control), role: 'control' }] : [observed],
    deployedAt: c.release.deployedAt,
  };
}

/**
 * Fuses the views' scores: the largest, raised when other views agree. Each further view scoring
 * above `agreement.floor` closes part of the gap to 100: s ← s + (100 − s) · w · (v − floor) / (100 − floor),
 * w = `agreement.weight`. Views are not independent (they read the same hosts), hence w < 1.
 */
export function fuse(scores: number[], agreement: Policy['agreement']): number {
  if (scores.length === 0) return 0;
  const sorted = [...scores].sort((a, b) => b - a);
  let s = sorted[0];
  for (let i = 1; i < sorted.length; i++) {
    const v = sorted[i];
    if (v <= agreement.floor) break;
    s += (100 - s) * agreement.weight * ((v - agreement.floor) / (100 - agreement.floor));
  }
  return s;
}

/**
 * Released hosts that stopped reporting one metric (`silent`: no point at all) or stopped updating
 * it (`frozen`: the same value over and over), against the unreleased hosts' share (see `stopped`).
 */
interface StoppedHosts {
  metric: string;
  how: 'silent' | 'frozen';
  /** Released hosts that reported the metric before the release (or are new with it) and stopped. */
  released: string[];
  /** How many of them have no point since the release at all (went quiet with it, or new and never reported). */
  silentSinceRelease: number;
  /** Released and unreleased hosts that reported it before the release. */
  releasedReporting: number;
  unreleasedReporting: number;
  /** Unreleased hosts among those that stopped too. */
  unreleasedStopped: number;
}

/**
 * Points of the run of one value that ends the window's present points (NaN points skipped): how
 * long a host has been repeating its last value. O(run).
 */
function endingRun(v: Float64Array, w: Windows): number {
  let last = NaN;
  let run = 0;
  for (let i = w.length - 1; i >= w.cut; i--) {
    const x = v[i];
    if (x !== x) continue;
    if (run === 0) last = x;
    else if (x !== last) break;
    run++;
  }
  return run;
}

/**
 * Whether a host stopped updating a metric: its window ends with at least `frozenPoints` present
 * points of one value, at least twice its longest run of one value over `from`…cut (a quantised
 * or sparse metric that often repeats itself needs a longer run), and that value lies strictly
 * inside its range there — or is 0 or less where the host read only positive values there. A stale
 * exporter or a hung process repeats a recent value, and one that lost the metric reports 0 (or a
 * sentinel such as −1); a saturated metric (CPU at 100 %) or a count gone quiet (0 again) sits at
 * an end of its range, and is the data's own.
 * O(run), and the points before the release for the rare long run.
 */
function frozenAt(v: Float64Array, w: Windows, from: number, frozenPoints: number): boolean {
  const run = endingRun(v, w);
  if (run < frozenPoints) return false;
  let value = NaN;
  for (let i = w.length - 1; i >= w.cut && value !== value; i--) value = v[i];
  let longest = 0;
  let current = 0;
  let previous = NaN;
  let low = Infinity;
  let high = -Infinity;
  for (let i = from; i < w.cut; i++) {
    const x = v[i];
    if (x !== x) continue;
    current = x === previous ? current + 1 : 1;
    previous = x;
    if (current > longest) longest = current;
    if (x < low) low = x;
    if (x > high) high = x;
  }
  return run >= 2 * longest && ((value > low && value < high) || (value <= 0 && low > 0));
}

/**
 * Hosts of `hosts` that have stopped (`silent`: absent from the window's last `silentPoints`;
 * `frozen`: see `frozenAt`) among those that reported before the release — present in at least
 * `reportedFraction` of the `alignmentPoints` before it — or, silent only, that have no point in
 * those points at all (new with the release: expected to report from it on). Returns how many
 * reported, and the indices of those that stopped. O(hosts × silentPoints), plus the points before
 * the release for the (rare) hosts that stopped; for `frozen` with `count`, for every host.
 */
function stoppedAmong(hosts: readonly { values: Float64Array }[], w: Windows, policy: Policy, how: StoppedHosts['how'], count = true): { reporting: number; stopped: number[] } {
  const { silentPoints, reportedFraction, frozenPoints } = policy.minData;
  const from = Math.max(0, w.cut - policy.alignmentPoints);
  const needed = reportedFraction * (w.cut - from);
  const reportedBefore = (v: Float64Array): boolean => w.cut > from && countPresent(v, from, w.cut) >= needed;
  const stopped: number[] = [];
  let reporting = 0;
  hosts.forEach((h, index) => {
    if (how === 'frozen') {
      // Counting the hosts that reported reads every host's past: without `count`, only a frozen one's.
      if (!count) {
        if (frozenAt(h.values, w, from, frozenPoints) && reportedBefore(h.values)) stopped.push(index);
      } else if (reportedBefore(h.values)) {
        reporting++;
        if (frozenAt(h.values, w, from, frozenPoints)) stopped.push(index);
      }
      return;
    }
    let quiet = true;
    for (let i = Math.max(w.cut, w.length - silentPoints); i < w.length && quiet; i++) if (h.values[i] === h.values[i]) quiet = false;
    // A host present at the end certainly reported; only a quiet one needs its past read. A host
    // without a past (new with the release) counts as reporting from the release on: quiet at the
    // end, it stopped, or it never reported at all — a crashed new pod is as bad as a crashed old one.
    if (!quiet) reporting++;
    else if (reportedBefore(h.values) || !anyPresent(h.values, from, w.cut)) {
      reporting++;
      stopped.push(index);
    }
  });
  return { reporting, stopped };
}

/**
 * A metric whose released hosts stopped reporting it — a crashed process, a release that no
 * longer emits it — or stopped updating it (`frozen`: a hung process, a stale exporter), in a
 * larger share than the unreleased hosts did (by more than `maxSilentShare`), or null. Only once
 * the window is `silentPoints` (`frozenPoints`) long. The gate judges the hosts whose data still
 * moves, but such a batch is never a PASS.
 */
function stopped(metric: ParsedMetric, w: Windows, policy: Policy, how: StoppedHosts['how']): StoppedHosts | null {
  const points = how === 'silent' ? policy.minData.silentPoints : policy.minData.frozenPoints;
  if (points === 0 || w.length - w.cut < points || metric.released.length === 0) return null;
  let released = stoppedAmong(metric.released, w, policy, how, how === 'silent');
  if (released.stopped.length === 0) return null;
  if (how === 'frozen') released = stoppedAmong(metric.released, w, policy, how);
  const unreleased = stoppedAmong(metric.unreleased, w, policy, how);
  if (!moreStopped(released, unreleased, policy)) return null;
  const silentSinceRelease = how === 'silent' ? released.stopped.filter((i) => !anyPresent(metric.released[i].values, w.cut, w.length)).length : 0;
  return { metric: metric.name, how, released: released.stopped.map((i) => metric.released[i].host), silentSinceRelease, releasedReporting: released.reporting, unreleasedReporting: unreleased.reporting, unreleasedStopped: unreleased.stopped.length };
}

/**
 * Whether a larger share of the released hosts than of the unreleased hosts stopped (reporting,
 * updating or logging), by more than `minData.maxSilentShare`. A group with no host that reported
 * before has a share of 0.
 */
function moreStopped(released: { reporting: number; stopped: readonly unknown[] }, unreleased: { reporting: number; stopped: readonly unknown[] }, policy: Policy): boolean {
  const share = (g: { reporting: number; stopped: readonly unknown[] }) => (g.reporting === 0 ? 0 : g.stopped.length / g.reporting);
  return share(released) - share(unreleased) > policy.minData.maxSilentShare;
}

/**
 * One line per set of released hosts that stopped reporting (or updating), naming the metrics — and
 * which of the silent ones still logged in those last points: a host that logs is alive, and its
 * silence more likely a gap in the metrics' collection than a crash, which is for the person who
 * decides.
 */
function stoppedReasons(stops: readonly StoppedHosts[], c: ParsedCase, w: Windows, policy: Policy): string[] {
  const points = policy.minData.silentPoints;
  const since = c.start + Math.max(w.cut, w.length - points) * c.step;
  const logging = new Set(c.logs.filter((e) => e.t >= since && e.count > 0).map((e) => e.host));
  const byHosts = new Map<string, StoppedHosts[]>();
  for (const s of stops) {
    const key = `${s.how}\n${s.released.join(', ')}`;
    byHosts.set(key, [...(byHosts.get(key) ?? []), s]);
  }
  return [...byHosts.values()].map((group) => {
    const first = group[0];
    const names = group.map((s) => s.metric);
    const metrics = names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more metrics`;
    const hosts = first.released.length <= 5 ? ` (${first.released.join(', ')})` : ` (${first.released.slice(0, 5).join(', ')}, …)`;
    const control = first.unreleasedReporting > 0 ? `, against ${first.unreleasedStopped} of ${first.unreleasedReporting} unreleased hosts` : '';
    if (first.how === 'frozen') {
      return `${first.released.length} of ${first.releasedReporting} released hosts${hosts} stopped updating ${metrics} (one value, inside their range before the release or 0 or less where they read only positive values, for the window's last ${policy.minData.frozenPoints} points or more${control}): a hung process or a stale exporter`;
    }
    const alive = first.released.filter((h) => logging.has(h));
    const logged = alive.length === 0 ? '' : `; ${alive.length === first.released.length ? (alive.length === 1 ? 'it' : 'all of them') : alive.length <= 3 ? alive.join(', ') : `${alive.length} of them`} still logged in those points`;
    // Hosts with no point since the release (a new host that never came up): saying so tells more
    // than "in the last points".
    const quiet = group.every((s) => s.silentSinceRelease === s.released.length) ? 'nothing since the release' : `nothing in the last ${points} points`;
    return `${first.released.length} of ${first.releasedReporting} released hosts${hosts} stopped reporting ${metrics} (${quiet}${control})${logged}`;
  });
}

/**
 * Exception rates follow the day's traffic, so a rate hours before the release over-states the
 * rate after it by up to this much (the log detector's `driftRatio`).
 */
const LOG_DRIFT = 1.5;

/**
 * The released hosts logged nothing since the release although, at their own rate before it, many
 * events were due: a release that broke its logging (or hosts that stopped) leaves the log view
 * blind, and a blind view is not a PASS. Due = events before × time since the release / log
 * coverage before it (from the earliest event), over `LOG_DRIFT`; the hosts' silence is no chance
 * when P(no event | due) = e^(−due) is below `minData.silentLogsAlpha`. Asked of the released hosts
 * together, then host by host: a host counts as stopped logging at alpha / (hosts that logged
 * before), so that fifty hosts do not give fifty chances, and when a larger share of the released
 * hosts than of the unreleased hosts (by more than `maxSilentShare`) stopped, the batch waits for a
 * person — as with hosts that stopped reporting a metric. Either way only while the unreleased hosts
 * (if any) still log — else the log pipeline stopped for every host, and the log view judges
 * nothing either way. Null otherwise. O(events).
 */
function stoppedLogging(c: ParsedCase, w: Windows, policy: Policy, released: ReadonlySet<string>, unreleased: ReadonlySet<string>): string | null {
  const alpha = policy.minData.silentLogsAlpha;
  if (alpha <= 0 || !policy.views.logs || c.logs.length === 0) return null;
  const deployedAt = c.release.deployedAt;
  const end = c.start + w.length * c.step;
  let first = Infinity;
  // Each host's events before and since the release.
  const byHost = new Map<string, { before: number; after: number }>();
  for (const e of c.logs) {
    if (!(e.count > 0) || !Number.isFinite(e.t) || e.t >= end) continue;
    if (e.t < deployedAt) first = Math.min(first, e.t);
    if (!released.has(e.host) && !unreleased.has(e.host)) continue;
    let host = byHost.get(e.host);
    if (!host) byHost.set(e.host, (host = { before: 0, after: 0 }));
    if (e.t < deployedAt) host.before += e.count;
    else host.after += e.count;
  }
  const total = (group: ReadonlySet<string>, when: 'before' | 'after') => {
    let sum = 0;
    for (const h of group) sum += byHost.get(h)?.[when] ?? 0;
    return sum;
  };
  const before = total(released, 'before');
  const control = total(unreleased, 'after');
  if (before === 0 || !(deployedAt > first) || (unreleased.size > 0 && control === 0)) return null;
  const dueOf = (events: number) => (events * (end - deployedAt)) / (deployedAt - first) / LOG_DRIFT;
  if (total(released, 'after') === 0) {
    const due = dueOf(before);
    if (Math.exp(-due) < alpha) return `the ${released.size} released hosts logged nothing since the release, where their rate before it made about ${Math.round(due)} events due${unreleased.size > 0 ? ` (the unreleased hosts logged ${control})` : ''}: a release that broke its logging, or hosts that stopped`;
  }
  /** The hosts of `group` that logged before the release, and those of them silent since although their own rate made enough events due. */
  const silentAmong = (group: ReadonlySet<string>) => {
    const logged = [...group].flatMap((h) => {
      const host = byHost.get(h);
      return host && host.before > 0 ? [{ name: h, ...host }] : [];
    });
    const stopped = logged.filter((h) => h.after === 0 && Math.exp(-dueOf(h.before)) < alpha / logged.length);
    return { reporting: logged.length, stopped };
  };
  const releasedSilent = silentAmong(released);
  if (releasedSilent.stopped.length === 0) return null;
  const unreleasedSilent = silentAmong(unreleased);
  if (!moreStopped(releasedSilent, unreleasedSilent, policy)) return null;
  const names = releasedSilent.stopped.map((h) => h.name);
  const least = Math.min(...releasedSilent.stopped.map((h) => dueOf(h.before)));
  const hosts = names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')}, …`;
  const against = unreleasedSilent.reporting > 0 ? `, against ${unreleasedSilent.stopped.length} of ${unreleasedSilent.reporting} unreleased hosts` : '';
  return `${names.length} of ${releasedSilent.reporting} released hosts (${hosts}) logged nothing since the release, where their own rate before it made at least ${Math.round(least)} events due on each${against}: their logging broke, or they stopped`;
}

function trafficTooLow(c: ParsedCase, w: Windows, policy: Policy): string | null {
  const pattern = new RegExp(policy.traffic.metricPattern, 'i');
  for (const metric of c.metrics) {
    if (!pattern.test(metric.name)) continue;
    const perHost = aggregateHosts(metric.released.map((h) => h.values), 'mean', w.cut, w.length);
    const m = mean(perHost, 0, perHost.length);
    if (Number.isFinite(m) && m < policy.traffic.minPerHost) return `too little traffic: ${metric.name} averages ${m.toPrecision(3)} per released host (its own unit), below ${policy.traffic.minPerHost}`;
  }
  return null;
}

/**
 * Judges one release batch. `policy` may be partial (defaults fill the rest) or already parsed.
 * Throws only for a bad policy (`SluiceError('invalid_config')` naming the field) or an unknown
 * detector name; bad or missing data gives INCONCLUSIVE with the reason.
 */
export function evaluate(c: ParsedCase, policyInput: PolicyInput | Policy = {}, options: EvaluateOptions = {}): Verdict {
  const policy = parsePolicy(policyInput);
  const resolve = options.resolve ?? resolveDetector;
  const detectors: ResolvedViews = {
    beforeAfter: policy.views.beforeAfter.detectors.map(resolve),
    comparison: policy.views.comparison.map((g) => ({ detectors: g.detectors.map(resolve), combine: g.combine })),
  };
  const logsDetector = policy.views.logs ? resolve(policy.views.logs) : null;
  const w = windowsOf(c);
  // Beyond a few dozen, more unreleased hosts add little precision to their aggregate and cost time
  // linearly: the comparison reads at most `maxControlHosts`, evenly spaced (the same ones every time).
  const capped = (m: ParsedMetric): ParsedMetric => (m.unreleased.length > policy.maxControlHosts ? { ...m, unreleased: evenlySpaced(m.unreleased, policy.maxControlHosts) } : m);
  const cappedMetrics = c.metrics.map(capped);
  const memo = new EvaluationMemo();
  const metrics = cappedMetrics.map((m) => evaluateMetric(c, m, w, policy, detectors, options.cache, memo));
  const stops = (['silent', 'frozen'] as const).flatMap((how) => cappedMetrics.map((m) => stopped(m, w, policy, how))).filter((s): s is StoppedHosts => s !== null);
  // The hosts of each group, over every metric (a host is released or not for the whole batch).
  // Only the log views read the hosts' groups (a wide batch names thousands of hosts per metric).
  const { released: releasedHosts, unreleased: unreleasedHosts } = c.logs.length > 0 ? hostGroups(c.metrics) : { released: new Set<string>(), unreleased: new Set<string>() };
  const silentLogs = stoppedLogging(c, w, policy, releasedHosts, unreleasedHosts);
  const silenceLines = [...(stops.length > 0 ? stoppedReasons(stops, c, w, policy) : []), ...(silentLogs ? [silentLogs] : [])];

  let logs: DetectorResult | null = null;
  if (logsDetector && c.logs.length > 0) {
    const empty = series(c.start + w.cut * c.step, c.step, new Float64Array(Math.max(1, w.length - w.cut)));
    logs = runDetector(logsDetector, { treated: empty, logs: { events: c.logs, treatedHosts: [...releasedHosts], controlHosts: [...unreleasedHosts], deployedAt: c.release.deployedAt } }, null, undefined);
  }

  const reasons: string[] = [];
  const insufficient = metrics.filter((m) => m.status !== 'ok');
  const judged = metrics.filter((m) => m.status === 'ok');
  const weighted = (m: MetricVerdict) => Math.min(100, m.score * (policy.weights[m.category as keyof Policy['weights']] ?? 1));
  const logScore = logs && logs.status === 'ok' ? Math.min(100, logs.score * policy.logsWeight * policy.sensitivity) : 0;
  let score = Math.max(0, ...judged.map(weighted), logScore);
  const anomalousMetrics = judged.filter((m) => m.anomalous);
  const logsAnomalous = logs !== null && logs.status === 'ok' && logScore >= policy.metricThreshold;

  let decision: Decision;
  let basis: Verdict['basis'] = 'score';
  const criticalFail = judged.find((m) => m.critical && m.score >= policy.failThreshold);
  const traffic = trafficTooLow(c, w, policy);
  const criticalMissing = insufficient.find((m) => m.critical);
  if (criticalFail) {
    decision = 'FAIL';
    basis = 'critical';
    score = Math.max(score, criticalFail.score);
    reasons.push(`critical metric ${criticalFail.name} deviates (${criticalFail.score.toFixed(1)})`);
  } else if (judged.length === 0 && !logsAnomalous) {
    decision = 'INCONCLUSIVE';
    basis = 'insufficient_data';
    reasons.push(metrics.length === 0 ? 'no metrics' : `no metric could be judged: ${insufficient[0]?.reason ?? 'no data'}`);
  } else if (traffic && score < policy.failThreshold) {
    decision = 'INCONCLUSIVE';
    basis = 'traffic';
    reasons.push(traffic);
  } else if (criticalMissing && score < policy.failThreshold) {
    decision = 'INCONCLUSIVE';
    basis = 'insufficient_data';
    reasons.push(`critical metric ${criticalMissing.name} has no data: ${criticalMissing.reason}`);
  } else if (silenceLines.length > 0 && score < policy.failThreshold) {
    decision = 'INCONCLUSIVE';
    basis = 'insufficient_data';
    reasons.push(...silenceLines);
  } else if (insufficient.length > policy.minData.maxInsufficientFraction * metrics.length && score < policy.failThreshold) {
    decision = 'INCONCLUSIVE';
    basis = 'insufficient_data';
    reasons.push(`${insufficient.length} of ${metrics.length} metrics have too little data (${insufficient.map((m) => m.name).join(', ')})`);
  } else if (score >= policy.failThreshold) {
    decision = 'FAIL';
  } else if (score >= policy.inconclusiveThreshold) {
    decision = 'INCONCLUSIVE';
    reasons.push(`borderline score ${score.toFixed(1)} (between ${policy.inconclusiveThreshold} and ${policy.failThreshold})`);
  } else {
    decision = 'PASS';
  }
  for (const m of [...anomalousMetrics].sort((a, b) => b.score - a.score)) reasons.push(`${m.name} (${m.category}) deviates ${m.direction}: ${m.score.toFixed(1)} — ${m.reasons[0] ?? ''}`.trim());
  if (logsAnomalous && logs) reasons.push(`logs: ${logs.reason ?? `exception score ${logs.score.toFixed(1)}`}`);
  // A batch that fails on its scores still says which released hosts went quiet: evidence, too.
  if (decision === 'FAIL') reasons.push(...silenceLines);
  if (decision === 'PASS' && insufficient.length > 0) reasons.push(`judged without ${insufficient.map((m) => m.name).join(', ')} (too little data)`);

  const categories = new Map<string, { category: string; score: number; metrics: { name: string; score: number; direction: string }[] }>();
  for (const m of anomalousMetrics) {
    const entry = categories.get(m.category) ?? { category: m.category, score: 0, metrics: [] };
    entry.metrics.push({ name: m.name, score: m.score, direction: m.direction });
    entry.score = Math.max(entry.score, m.score);
    categories.set(m.category, entry);
  }
  if (logsAnomalous && logs) {
    const entry = categories.get('application') ?? { category: 'application', score: 0, metrics: [] };
    entry.metrics.push({ name: 'logs', score: logScore, direction: 'up' });
    entry.score = Math.max(entry.score, logScore);
    categories.set('application', entry);
  }
  const detectorsUsed = new Map<string, string>();
  for (const d of [...detectors.beforeAfter, ...detectors.comparison.flatMap((g) => g.detectors), ...(logsDetector ? [logsDetector] : [])]) detectorsUsed.set(d.module.name, d.module.version);

  return {
    format: 1,
    caseId: c.id,
    app: c.app,
    decision,
    basis,
    score: Math.round(score * 100) / 100,
    anomalous: decision !== 'PASS',
    anomalies: anomalousMetrics.length + (logsAnomalous ? 1 : 0),
    analysis: { from: c.start + w.cut * c.step, to: c.start + w.length * c.step, step: c.step, deployedAt: c.release.deployedAt, historyFrom: c.start },
    release: { ...c.release },
    reasons,
    categories: [...categories.values()].sort((a, b) => b.score - a.score),
    metrics,
    logs,
    detectors: [...detectorsUsed].map(([name, version]) => ({ name, version })),
  };
}
