/**
 * Released hosts without a past — new with the release, as the pods of a rolling update are —
 * judged on their noise and their trend against the unreleased hosts over the same minutes.
 *
 * Every other per-host view measures a released host against its own past. A new host has none, and
 * its level is no evidence either: hosts differ by size (the comparison only counts as far as the
 * released hosts stand apart from the unreleased hosts' spread of levels). How rough a host's series
 * is, though, differs much less between hosts than its level, and a release that makes every request
 * slower at random multiplies it. So each host's window gets a roughness — the mean absolute first
 * difference, the two largest left out (a lone slow request makes two large differences) — in two
 * forms: its log (absolute) and its log over the host's window median (relative: noise in
 * proportion to traffic cancels between hosts of different sizes). The statistic is the released
 * hosts' mean minus the unreleased hosts' mean, in standard errors s·√(1/k + 1/m) for k released and
 * m unreleased hosts, s the unreleased hosts' spread of the same figure around each window's mean,
 * pooled over the history windows before the release (the spread between hosts is a property of the
 * fleet, which one window of a few hosts measures badly).
 *
 * The view judges in the form in which the unreleased hosts agreed more closely over the history
 * (the smaller spread): that is the metric's own noise model — added noise (the same for every host
 * whatever its level: the absolute form) or noise in proportion to the level (the relative form).
 * Chosen from the history alone, so the window cannot pick the form that suits it; and in that
 * form a change of level alone does not move the roughness (in the other it would: a relative
 * roughness rises when the level of a host with added noise falls). The band is the larger of
 * `spreadBand` and `nullFactor` × the largest value the statistic took over the history windows
 * with each unreleased host in turn standing for the released ones (a host that is always the
 * noisiest of the fleet widens the band by itself).
 *
 * The trend: each host's least-squares slope over the window, times √Σ(i − ī)² (its rise on the
 * scale of its standard error, so windows of any length compare), in units of its own roughness
 * (the same whatever the host's size), its points first clipped to 4 roughnesses from the window's
 * median (one slow request at the window's end would tilt the line); the released hosts' mean
 * minus the unreleased hosts', in standard errors of their spread pooled in the same way. It sees
 * a slow leak or a degradation that grows through the window, which a new host's level alone
 * cannot show. It is directed (the metric's bad direction) and banded like the pooled view's shift
 * (`shiftBand`, or `nullFactor` × its largest leave-one-out value over the history windows). The
 * view's score is the larger of the two.
 *
 * Cost: O(unreleased hosts × nullPoints) for the history part (cached by the caller), O(hosts ×
 * window) afterwards.
 */
import type { Direction } from '../core/detector.js';
import { deviationScore } from '../core/score.js';
import { leastSquaresFit, medianOf } from '../core/window-stats.js';
import { directedValue, type PooledConfig } from './pooled.js';

/** The figures each host gets per window: log roughness (absolute, relative to the level) and the trend. */
const ABSOLUTE = 0;
const RELATIVE = 1;
const TREND = 2;
const FIGURES = 3;
type Figures = Float64Array[];
type PerFigure = [number, number, number];

/** What the view takes from the unreleased hosts' history, per figure. */
export interface NewHostsHistory {
  /** The unreleased hosts' pooled spread of each figure around each window's mean (NaN: too few windows). */
  spread: PerFigure;
  /** Largest leave-one-out statistic over the history windows, directed (NaN when there was none). */
  nullMax: PerFigure;
}

export interface NewHostsResult {
  /** 0–100: the larger of the noise's and the trend's scores. */
  score: number;
  /** The trend's sign when it scored higher, else none (a noise increase has no direction). */
  direction: 'up' | 'down' | 'none';
  /** Roughness statistic in standard errors (positive: released hosts rougher). */
  noise: number;
  /** Form the roughness was judged in. */
  form: 'absolute' | 'relative';
  /** exp of the released hosts' mean log roughness minus the unreleased hosts': 2 reads "twice as rough". */
  ratio: number;
  /** Trend statistic in standard errors (positive: the released hosts rise more). */
  trend: number;
  scores: { noise: number; trend: number };
  bands: { noise: number; trend: number };
}

/** Fewest first differences that give a window a roughness (two are left out). */
const MIN_DIFFERENCES = 6;
/** Fewest unreleased hosts with a figure in a window: a spread needs at least two others around a mean. */
export const MIN_CONTROL = 3;

/**
 * Roughness of v[from, to): mean absolute difference of consecutive present values, the two largest
 * left out; NaN with fewer than `MIN_DIFFERENCES` differences. O(window).
 */
export function trimmedRoughness(v: Float64Array, from: number, to: number): number {
  let sum = 0;
  let n = 0;
  let first = 0;
  let second = 0;
  for (let i = Math.max(1, from + 1); i < to; i++) {
    const d = Math.abs(v[i] - v[i - 1]);
    if (!(d === d)) continue;
    sum += d;
    n++;
    if (d > first) {
      second = first;
      first = d;
    } else if (d > second) second = d;
  }
  return n < MIN_DIFFERENCES ? NaN : (sum - first - second) / (n - 2);
}

/** Points further than this many roughnesses from the window's median are clipped for the trend: one slow request at the window's end would tilt the line. */
const TREND_CLIP = 4;

/**
 * Each host's figures over [from, to), into `out` (NaN where a host has too few points or a
 * roughness of 0; relative also where the window median is not positive).
 */
function hostFigures(hosts: readonly Float64Array[], from: number, to: number, out: Figures, scratch: Float64Array, clipped: Float64Array): void {
  for (let h = 0; h < hosts.length; h++) {
    const v = hosts[h];
    const r = trimmedRoughness(v, from, to);
    const a = r > 0 ? Math.log(r) : NaN;
    const level = a === a ? medianOf(v, from, to, scratch) : NaN;
    out[ABSOLUTE][h] = a;
    out[RELATIVE][h] = level > 0 ? a - Math.log(level) : NaN;
    if (a === a) {
      for (let i = from; i < to; i++) clipped[i - from] = Math.max(level - TREND_CLIP * r, Math.min(level + TREND_CLIP * r, v[i]));
      const line = leastSquaresFit(clipped, 0, to - from);
      out[TREND][h] = (line.slope * Math.sqrt(line.sxx)) / r;
    } else out[TREND][h] = NaN;
  }
}

const figures = (hosts: number): Figures => Array.from({ length: FIGURES }, () => new Float64Array(hosts));

/** Mean and count of the finite values of x, leaving out index `skip` (−1: none). */
export function meanWithout(x: Float64Array, skip: number): { mean: number; count: number } {
  let s = 0;
  let c = 0;
  for (let h = 0; h < x.length; h++) {
    if (h === skip || !(x[h] === x[h])) continue;
    s += x[h];
    c++;
  }
  return { mean: c > 0 ? s / c : NaN, count: c };
}

/**
 * History part over the `unreleased` hosts and a release at `cut`: windows of `nullWindowPoints`
 * ending at the release, back over `nullPoints`. O(hosts × nullPoints).
 */
export function newHostsHistory(unreleased: readonly Float64Array[], cut: number, cfg: PooledConfig, direction: Direction): NewHostsHistory {
  const n = cfg.nullWindowPoints;
  const m = unreleased.length;
  const scratch = new Float64Array(n);
  const clipped = new Float64Array(n);
  const windows: Figures[] = [];
  const squares = [0, 0, 0];
  const freedom = [0, 0, 0];
  for (let end = cut; end - n >= Math.max(0, cut - cfg.nullPoints); end -= n) {
    const x = figures(m);
    hostFigures(unreleased, end - n, end, x, scratch, clipped);
    for (let f = 0; f < FIGURES; f++) {
      const { mean, count } = meanWithout(x[f], -1);
      if (count < MIN_CONTROL) continue;
      for (const v of x[f]) if (v === v) squares[f] += (v - mean) ** 2;
      freedom[f] += count - 1;
    }
    windows.push(x);
  }
  const spread = squares.map((q, f) => (freedom[f] >= 2 * (MIN_CONTROL - 1) ? Math.sqrt(q / freedom[f]) : NaN)) as NewHostsHistory['spread'];
  const nullMax = [-Infinity, -Infinity, -Infinity];
  for (const x of windows) {
    for (let f = 0; f < FIGURES; f++) {
      for (let u = 0; u < m; u++) {
        if (!(x[f][u] === x[f][u])) continue;
        const others = meanWithout(x[f], u);
        if (others.count < MIN_CONTROL - 1) continue;
        const z = directedValue((x[f][u] - others.mean) / (spread[f] * Math.sqrt(1 + 1 / others.count)), f === TREND ? direction : 'up');
        if (z > nullMax[f]) nullMax[f] = z;
      }
    }
  }
  return { spread, nullMax: nullMax.map((v) => (Number.isFinite(v) ? v : NaN)) as NewHostsHistory['nullMax'] };
}

/** The released hosts' mean figure f minus the unreleased hosts', in standard errors of the history's spread (NaN when not judged). */
function statistic(r: Figures, u: Figures, f: number, history: NewHostsHistory): { z: number; difference: number } {
  const treated = meanWithout(r[f], -1);
  const control = meanWithout(u[f], -1);
  const s = history.spread[f];
  if (treated.count === 0 || control.count < MIN_CONTROL || !(s > 0)) return { z: NaN, difference: NaN };
  const difference = treated.mean - control.mean;
  return { z: difference / (s * Math.sqrt(1 / treated.count + 1 / control.count)), difference };
}

/**
 * The released hosts' (`released`, none with a past) noise and trend over [cut, length) against
 * the unreleased hosts' (`unreleased`), with the history part `history`. Null when fewer than 3
 * unreleased hosts or no released host has a figure, or the history gave no spread.
 */
export function newHostsView(released: readonly Float64Array[], unreleased: readonly Float64Array[], cut: number, length: number, cfg: PooledConfig, direction: Direction, history: NewHostsHistory): NewHostsResult | null {
  const scratch = new Float64Array(Math.max(0, length - cut));
  const clipped = new Float64Array(Math.max(0, length - cut));
  const r = figures(released.length);
  const u = figures(unreleased.length);
  hostFigures(released, cut, length, r, scratch, clipped);
  hostFigures(unreleased, cut, length, u, scratch, clipped);
  const band = (parametric: number, f: number) => Math.max(parametric, Number.isFinite(history.nullMax[f]) ? cfg.nullFactor * history.nullMax[f] : 0);
  const [absolute, relative] = history.spread;
  const form = relative < absolute || (!(absolute > 0) && relative > 0) ? RELATIVE : ABSOLUTE;
  const noise = statistic(r, u, form, history);
  const trend = statistic(r, u, TREND, history);
  if (!Number.isFinite(noise.z) && !Number.isFinite(trend.z)) return null;
  const bands = { noise: band(cfg.spreadBand, form), trend: band(cfg.shiftBand, TREND) };
  const scores = { noise: deviationScore(noise.z, bands.noise, 'up'), trend: deviationScore(trend.z, bands.trend, direction) };
  const score = Math.max(scores.noise, scores.trend);
  return {
    score,
    direction: scores.trend > scores.noise ? (trend.z > 0 ? 'up' : 'down') : 'none',
    noise: noise.z,
    form: form === ABSOLUTE ? 'absolute' : 'relative',
    ratio: Math.exp(noise.difference),
    trend: trend.z,
    scores,
    bands,
  };
}
