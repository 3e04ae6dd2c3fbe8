/**
 * Released hosts without a past, judged on their level against a partner metric: all of them when
 * every released host is new, else the new ones beside those with a past (which the other views
 * leave out of the released aggregate).
 *
 * A new host's level alone is no evidence: hosts differ by size (a host with twice the traffic has
 * twice the queries and more CPU) and by speed (a slower machine is slower at every call). Those
 * differences are shared between a host's metrics, though: its queries per second against its
 * order count, or one latency against another, agree across hosts much more closely than either
 * level does. So for a metric M, each host gets the figure log(median M) − log(median P) per window
 * for a partner metric P, and the released hosts' mean figure is compared with the unreleased
 * hosts', in standard errors of the unreleased hosts' spread of the figure.
 *
 * The partner is chosen from the history alone, on every other window of `nullWindowPoints` before
 * the release (back over `nullPoints`): the metric whose figure spreads least across the unreleased
 * hosts, kept only when that spread is at most `partnerShare` of the spread of M's own log level
 * (it explains most of the hosts' differences). With a few unreleased hosts and a dozen candidates,
 * one of them agrees closely by chance, so the spread is measured again on the other windows, which
 * the choice never saw. That spread has two parts: each host's own offset, the same in every
 * window (known from the m hosts alone, m − 1 degrees of freedom), and the window's noise (many
 * more). Their sum's degrees of freedom (Welch–Satterthwaite) widen the band as Student's t widens
 * the normal's 0.999 quantile, so a spread that rests on three hosts' offsets gets a wide band.
 * The band is the larger of that and `nullFactor` × the largest value the statistic took over the
 * held-out windows with each unreleased host in turn standing for the released ones.
 *
 * A fault on the partner itself moves the figure too: the batch is still flagged, on a metric next
 * to the one that moved. An event on every host (a traffic peak) moves both groups alike. Metrics
 * with a level of 0 or below have no log level and no figure.
 *
 * Cost: O(candidates × unreleased hosts × nullPoints) for the history part (cached by the caller),
 * O(hosts × window) afterwards.
 */
import type { Direction } from '../core/detector.js';
import { deviationScore } from '../core/score.js';
import { tOverNormal999 } from '../core/stats.js';
import { medianOf } from '../core/window-stats.js';
import { MIN_CONTROL, meanWithout } from './new-hosts.js';
import { directedValue, type PooledConfig } from './pooled.js';

/** What the view takes from the unreleased hosts' history. */
export interface PartnerHistory {
  /** Index of the partner among the candidates. */
  partner: number;
  /** The partner's spread of the figure over the choosing windows, over M's own spread of log levels there (0–`partnerShare`). */
  share: number;
  /** The unreleased hosts' spread of the figure around each window's mean, over the held-out windows (log units, at least 0.01). */
  spread: number;
  /** Degrees of freedom of that spread (Welch–Satterthwaite over hosts' offsets and window noise). */
  freedom: number;
  /** Largest leave-one-out statistic over the held-out windows, directed (NaN when there was none). */
  nullMax: number;
}

export interface PartnerResult {
  /** 0–100 in the metric's bad direction. */
  score: number;
  direction: 'up' | 'down' | 'none';
  /** The partner metric's name. */
  partner: string;
  /** The released hosts' mean figure minus the unreleased hosts', in standard errors. */
  level: number;
  /** exp of that difference: 1.3 reads "30 % higher against the partner than the unreleased hosts". */
  ratio: number;
  band: number;
}

/** A floor for hosts that happen to agree closely: 1 % in log levels. */
const MIN_SPREAD = 0.01;

/** log of the median of v[from, to), NaN when absent, empty or not positive. */
function logLevel(v: Float64Array | undefined, from: number, to: number, scratch: Float64Array): number {
  if (!v) return NaN;
  const level = medianOf(v, from, Math.min(to, v.length), scratch);
  return level > 0 ? Math.log(level) : NaN;
}

/**
 * Pooled spread, around each row's mean, of the finite values of rows[k] − minus[k] (minus
 * omitted: of rows[k]) over the rows k with `k % 2 === parity`; NaN with fewer than 4 degrees of
 * freedom. Rows with fewer than 3 values do not count.
 */
function pooledSpread(rows: readonly Float64Array[], parity: number, minus?: readonly Float64Array[]): number {
  let squares = 0;
  let freedom = 0;
  for (let k = parity; k < rows.length; k += 2) {
    const row = rows[k];
    const other = minus?.[k];
    let sum = 0;
    let sumSquares = 0;
    let count = 0;
    for (let u = 0; u < row.length; u++) {
      const v = other ? row[u] - other[u] : row[u];
      if (v === v) {
        sum += v;
        sumSquares += v * v;
        count++;
      }
    }
    if (count < MIN_CONTROL) continue;
    // Log levels are a few dozen at most: the one-pass sum of squares loses nothing that matters here.
    squares += Math.max(0, sumSquares - (sum * sum) / count);
    freedom += count - 1;
  }
  return freedom >= 2 * (MIN_CONTROL - 1) ? Math.sqrt(squares / freedom) : NaN;
}

/** Row-wise difference a − b (NaN where either is). */
const minus = (a: Float64Array, b: Float64Array | undefined): Float64Array => a.map((v, i) => v - (b ? b[i] : NaN));

/**
 * Spread of a new window's figure around the window's mean, from the rows with every host present:
 * each host's own offset (its mean deviation over the rows, m − 1 degrees of freedom) plus the
 * window's noise ((rows − 1)(m − 1)); null with fewer than two such rows or three hosts.
 */
function offsetAndNoise(rows: readonly Float64Array[]): { spread: number; freedom: number } | null {
  const full = rows.filter((row) => row.every((v) => v === v));
  const m = full[0]?.length ?? 0;
  const w = full.length;
  if (w < 2 || m < MIN_CONTROL) return null;
  const deviations = full.map((row) => {
    const mean = row.reduce((a, b) => a + b, 0) / m;
    return row.map((v) => v - mean);
  });
  const offsets = new Float64Array(m);
  for (const d of deviations) for (let u = 0; u < m; u++) offsets[u] += d[u] / w;
  let between = 0;
  for (const o of offsets) between += o * o;
  between /= m - 1;
  let within = 0;
  for (const d of deviations) for (let u = 0; u < m; u++) within += (d[u] - offsets[u]) ** 2;
  within /= (w - 1) * (m - 1);
  // The offsets' variance holds a 1/w share of the noise's: a new window has all of it.
  const noise = within * (1 - 1 / w);
  const total = between + noise;
  if (!(total > 0)) return { spread: MIN_SPREAD, freedom: m - 1 };
  const freedom = (total * total) / ((between * between) / (m - 1) + (noise * noise) / ((w - 1) * (m - 1)));
  return { spread: Math.max(MIN_SPREAD, Math.sqrt(total)), freedom: Math.max(1, freedom) };
}

/**
 * Log levels of `hosts` (undefined where a host lacks the metric) in the history windows of
 * `nullWindowPoints` ending at the release `cut`, back over `nullPoints`: one row per window,
 * latest first. What `partnerHistory` reads, computed once per metric and history.
 * O(hosts × nullPoints).
 */
export function historyLevels(hosts: readonly (Float64Array | undefined)[], cut: number, cfg: PooledConfig): Float64Array[] {
  const n = cfg.nullWindowPoints;
  const scratch = new Float64Array(n);
  const rows: Float64Array[] = [];
  for (let end = cut; end - n >= Math.max(0, cut - cfg.nullPoints); end -= n) rows.push(Float64Array.from(hosts, (v) => logLevel(v, end - n, end, scratch)));
  return rows;
}

/**
 * History part from the unreleased hosts' `historyLevels` of the metric (`own`) and of each
 * candidate metric over the same hosts (`candidates`). Null when no candidate explains at least
 * 1 − `partnerShare` of the hosts' spread of log levels. O(candidates × hosts × windows).
 */
export function partnerHistory(own: readonly Float64Array[], candidates: readonly (readonly Float64Array[])[], cfg: PooledConfig, direction: Direction): PartnerHistory | null {
  if ((own[0]?.length ?? 0) < MIN_CONTROL) return null;
  // Alternate windows: even ones choose the partner, odd ones measure it.
  const alone = pooledSpread(own, 0);
  if (!(alone > 0)) return null;
  let best = -1;
  let bestSpread = Infinity;
  for (let c = 0; c < candidates.length; c++) {
    const s = pooledSpread(own, 0, candidates[c]);
    if (s < bestSpread) {
      best = c;
      bestSpread = s;
    }
  }
  if (best < 0 || !(bestSpread <= cfg.partnerShare * alone)) return null;
  const held = own.map((row, k) => minus(row, candidates[best][k])).filter((_, k) => k % 2 === 1);
  const measured = offsetAndNoise(held);
  if (!measured) return null;
  let nullMax = -Infinity;
  for (const row of held) {
    for (let u = 0; u < row.length; u++) {
      if (!(row[u] === row[u])) continue;
      const others = meanWithout(row, u);
      if (others.count < MIN_CONTROL - 1) continue;
      const z = directedValue((row[u] - others.mean) / (measured.spread * Math.sqrt(1 + 1 / others.count)), direction);
      if (z > nullMax) nullMax = z;
    }
  }
  return { partner: best, share: bestSpread / alone, spread: measured.spread, freedom: measured.freedom, nullMax: Number.isFinite(nullMax) ? nullMax : NaN };
}

/**
 * The released hosts' level against the partner over [cut, length), against the unreleased hosts'
 * (`releasedPartner` and `unreleasedPartner`: the same hosts' series of the partner metric). Null
 * when no released host or fewer than 3 unreleased hosts have a figure.
 */
export function partnerView(released: readonly Float64Array[], releasedPartner: readonly (Float64Array | undefined)[], unreleased: readonly Float64Array[], unreleasedPartner: readonly (Float64Array | undefined)[], cut: number, length: number, cfg: PooledConfig, direction: Direction, history: PartnerHistory, partner: string): PartnerResult | null {
  const scratch = new Float64Array(Math.max(0, length - cut));
  const figures = (hosts: readonly Float64Array[], partners: readonly (Float64Array | undefined)[]) => Float64Array.from(hosts, (v, h) => logLevel(v, cut, length, scratch) - logLevel(partners[h], cut, length, scratch));
  const treated = meanWithout(figures(released, releasedPartner), -1);
  const control = meanWithout(figures(unreleased, unreleasedPartner), -1);
  if (treated.count === 0 || control.count < MIN_CONTROL) return null;
  const difference = treated.mean - control.mean;
  const level = difference / (history.spread * Math.sqrt(1 / treated.count + 1 / control.count));
  const band = Math.max(cfg.shiftBand * tOverNormal999(history.freedom), Number.isFinite(history.nullMax) ? cfg.nullFactor * history.nullMax : 0);
  const score = deviationScore(level, band, direction);
  return { score, direction: level > 0 ? 'up' : level < 0 ? 'down' : 'none', partner, level, ratio: Math.exp(difference), band };
}

/**
 * Per point of [from, to), the hosts' geometric mean of value over partner value (points where both
 * are positive; NaN where no host has such a point): the view's figure over time, for a person to
 * see. O(hosts × (to − from)).
 */
export function ratioSeries(hosts: readonly Float64Array[], partners: readonly (Float64Array | undefined)[], from: number, to: number): Float64Array {
  const sums = new Float64Array(Math.max(0, to - from));
  const counts = new Int32Array(sums.length);
  hosts.forEach((v, h) => {
    const p = partners[h];
    if (!p) return;
    for (let i = from; i < to; i++) {
      if (v[i] > 0 && p[i] > 0) {
        sums[i - from] += Math.log(v[i] / p[i]);
        counts[i - from]++;
      }
    }
  });
  return sums.map((sum, i) => (counts[i] > 0 ? Math.exp(sum / counts[i]) : NaN));
}
