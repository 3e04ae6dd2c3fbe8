/**
 * Released hosts without a past — new with the release, as the pods of a rolling update are —
 * judged on their noise against the unreleased hosts over the same minutes.
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
 * Cost: O(unreleased hosts × nullPoints) for the history part (cached by the caller), O(hosts ×
 * window) afterwards.
 */
import { deviationScore } from '../core/score.js';
import { medianOf } from '../core/window-stats.js';
import type { PooledConfig } from './pooled.js';

/** What the view takes from the unreleased hosts' history, per form (absolute, relative). */
export interface NewHostsHistory {
  /** The unreleased hosts' pooled spread of log roughness around each window's mean (NaN: too few windows). */
  spread: [number, number];
  /** Largest leave-one-out statistic over the history windows (NaN when there was none). */
  nullMax: [number, number];
}

export interface NewHostsResult {
  /** 0–100. */
  score: number;
  /** The statistic in standard errors (positive: released hosts rougher). */
  noise: number;
  band: number;
  form: 'absolute' | 'relative';
  /** exp of the released hosts' mean log roughness minus the unreleased hosts', in the form judged: 2 reads "twice as rough". */
  ratio: number;
}

/** Fewest first differences that give a window a roughness (two are left out). */
const MIN_DIFFERENCES = 6;
/** Fewest unreleased hosts with a roughness in a window: a spread needs at least two others around a mean. */
const MIN_CONTROL = 3;

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

/**
 * Each host's log roughness over [from, to) in both forms, into `absolute` and `relative` (NaN where a
 * host has too few points, a roughness of 0, or — relative — a window median that is not positive).
 */
function logRoughness(hosts: readonly Float64Array[], from: number, to: number, absolute: Float64Array, relative: Float64Array, scratch: Float64Array): void {
  for (let h = 0; h < hosts.length; h++) {
    const r = trimmedRoughness(hosts[h], from, to);
    const a = r > 0 ? Math.log(r) : NaN;
    absolute[h] = a;
    const level = a === a ? medianOf(hosts[h], from, to, scratch) : NaN;
    relative[h] = level > 0 ? a - Math.log(level) : NaN;
  }
}

/** Mean and count of the finite values of x, leaving out index `skip` (−1: none). */
function meanWithout(x: Float64Array, skip: number): { mean: number; count: number } {
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
export function newHostsHistory(unreleased: readonly Float64Array[], cut: number, cfg: PooledConfig): NewHostsHistory {
  const n = cfg.nullWindowPoints;
  const m = unreleased.length;
  const forms = [new Float64Array(m), new Float64Array(m)] as const;
  const scratch = new Float64Array(n);
  const windows: [Float64Array, Float64Array][] = [];
  const squares = [0, 0];
  const freedom = [0, 0];
  for (let end = cut; end - n >= Math.max(0, cut - cfg.nullPoints); end -= n) {
    logRoughness(unreleased, end - n, end, forms[0], forms[1], scratch);
    for (let f = 0; f < 2; f++) {
      const { mean, count } = meanWithout(forms[f], -1);
      if (count < MIN_CONTROL) continue;
      for (const x of forms[f]) if (x === x) squares[f] += (x - mean) ** 2;
      freedom[f] += count - 1;
    }
    windows.push([forms[0].slice(), forms[1].slice()]);
  }
  const spread: [number, number] = [0, 1].map((f) => (freedom[f] >= 2 * (MIN_CONTROL - 1) ? Math.sqrt(squares[f] / freedom[f]) : NaN)) as [number, number];
  const nullMax: [number, number] = [-Infinity, -Infinity];
  for (const pair of windows) {
    for (let f = 0; f < 2; f++) {
      const x = pair[f];
      for (let u = 0; u < m; u++) {
        if (!(x[u] === x[u])) continue;
        const others = meanWithout(x, u);
        if (others.count < MIN_CONTROL - 1) continue;
        const z = (x[u] - others.mean) / (spread[f] * Math.sqrt(1 + 1 / others.count));
        if (z > nullMax[f]) nullMax[f] = z;
      }
    }
  }
  return { spread, nullMax: nullMax.map((x) => (Number.isFinite(x) ? x : NaN)) as [number, number] };
}

/**
 * The released hosts' (`released`, none with a past) noise over [cut, length) against the
 * unreleased hosts' (`unreleased`), with the history part `history`. Null when fewer than 3
 * unreleased hosts or no released host has a roughness, or the history gave no spread.
 */
export function newHostsView(released: readonly Float64Array[], unreleased: readonly Float64Array[], cut: number, length: number, cfg: PooledConfig, history: NewHostsHistory): NewHostsResult | null {
  const [absolute, relative] = history.spread;
  const f = relative < absolute || (!(absolute > 0) && relative > 0) ? 1 : 0;
  const s = history.spread[f];
  if (!(s > 0)) return null;
  const scratch = new Float64Array(Math.max(0, length - cut));
  const r = [new Float64Array(released.length), new Float64Array(released.length)] as const;
  const u = [new Float64Array(unreleased.length), new Float64Array(unreleased.length)] as const;
  logRoughness(released, cut, length, r[0], r[1], scratch);
  logRoughness(unreleased, cut, length, u[0], u[1], scratch);
  const treated = meanWithout(r[f], -1);
  const control = meanWithout(u[f], -1);
  if (treated.count === 0 || control.count < MIN_CONTROL) return null;
  const difference = treated.mean - control.mean;
  const noise = difference / (s * Math.sqrt(1 / treated.count + 1 / control.count));
  const band = Math.max(cfg.spreadBand, Number.isFinite(history.nullMax[f]) ? cfg.nullFactor * history.nullMax[f] : 0);
  return { score: deviationScore(noise, band, 'up'), noise, band, form: f === 0 ? 'absolute' : 'relative', ratio: Math.exp(difference) };
}
