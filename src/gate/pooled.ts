/**
 * The pooled per-host view: the released hosts, each measured in units of its own noise, against
 * the unreleased hosts over the same minutes, pooled across the released hosts.
 *
 * Aggregates hide what per-host views show: a change of two noise σ on every released host is
 * diluted in a mean with the unreleased hosts' noise, quantised rates near 100 % sit under any
 * level-relative floor, and a doubled noise disappears in the average of a few hosts. Here each
 * host h is taken relative to its own mean B_h over the `beforePoints` before the window, in two
 * forms — standardised (x − B_h) / σ_h (σ_h: its noise from first differences, see `hostNoise`), in
 * which an event that adds a multiple of each host's noise to every host cancels, and relative
 * (x − B_h) / B_h, in which an event that scales every host (a traffic peak) cancels. At each
 * minute the unreleased hosts' median is subtracted (difference in differences, point by point),
 * and the released hosts' residuals are pooled:
 *
 * - shift: the released hosts' mean residual over the window, in standard errors
 *   √((1/n + 1/P)(1/k + 1.1/m)) for n window points, P points before, k released and m unreleased hosts;
 * - burst: per minute, what the released hosts' residuals agree on (one host's value, the smaller
 *   of two, the median of more), second largest over the window (so one stray outlier is not
 *   enough), in the same units per point — spikes that hit every released host at once;
 * - spread: the released hosts' log ratio of mean absolute first difference (window over before;
 *   a lone outlier's two differences left out of the window, every isolated spike's of the before)
 *   minus the unreleased hosts' median log ratio — a noise increase, whatever the metric's direction;
 * - dispersion: the same question asked of levels rather than differences — each host's log ratio
 *   of its mean absolute deviation around its own least-squares line (Levene, a lone slow
 *   request left out), window over the `noisePoints` before. A 12-point window has 12 levels but
 *   only 11 overlapping differences, so on one to three released hosts it sees a noise increase
 *   the roughness misses by a little (and the roughness sees some it misses: the view takes both).
 *   The line absorbs a ramp's drift within the window. Off in the peers comparison (no unreleased hosts).
 * - noise: the spread and the dispersion together, (spread + dispersion) / √(2 + 2ρ) in standard
 *   errors — two measures of one noise ratio whose errors are partly independent, so their sum is
 *   sharper than either (ρ = NOISE_CORRELATION). Scored against the dispersion's band.
 *
 * Without unreleased hosts (all hosts released) the view judges the released hosts against their
 * own past: the centre is 0, no control variance is added, the burst is measured above the
 * window's own median (the points carry the level's drift), the spread and the dispersion take
 * the smaller of two forms, as is and less the log ratio of the host's mean level (window over
 * the points the reference was measured on: where noise is a share of the level, a traffic rise
 * roughens every host by its own ratio and no control cancels it), and with a `period` the history
 * windows around the same time the day before join the bands (how far the level usually moves in
 * this hour).
 *
 * Each minute counts with the hosts that reported in it: a minute with a released host missing (a
 * gap) has variance 1/k' + 1.1/m' for the k' and m' hosts present, in the shift's standard error
 * and the burst's per-point units. Likewise each released host's spread and dispersion count with
 * the differences and points it has in the window (a host that crashed part-way varies more).
 *
 * A change must be unexplained in both forms: each statistic takes the form with the smaller
 * value. Each band is the larger of a parametric one and `nullFactor` × the largest value the same
 * statistic took over windows of the same length slid across the history right before the release
 * (the hosts' own seasonality, quantisation and common events widen the band by themselves).
 *
 * Cost: O(hosts × (window + nullPoints × (1 + noisePoints / nullWindowPoints))) for the first
 * evaluation (each history window's dispersion before it), O(hosts × window) afterwards
 * (the history part is cached by the caller).
 */
import type { Direction } from '../core/detector.js';
import { deviationScore } from '../core/score.js';
import { countPresent } from '../core/series.js';
import { isolatedSpike, lowerBound, medianInPlace, medianOf, noneFarFromMedian } from '../core/window-stats.js';
import type { Policy } from './policy.js';

export type PooledConfig = Policy['views']['pooled'];

/** What the pooled view takes from the history alone, per host (released first, then unreleased). */
export interface PooledHistory {
  /** Mean over the `beforePoints` before the release. */
  before: Float64Array;
  /** Noise σ from first differences over the `noisePoints` before the release. */
  noise: Float64Array;
  /** Mean absolute first difference over the same points. */
  roughness: Float64Array;
  /** Against their own past only (every host released): the levels the roughness and the dispersion were measured at; else null. */
  levels: PastLevels | null;
  /** The statistics' largest values over history windows (NaN when there were none). */
  nullShift: number;
  nullBurst: number;
  nullSpread: number;
  /** Each host's dispersion around its median over the `noisePoints` before the release (see `dispersionOf`). */
  dispersion: Float64Array;
  nullDispersion: number;
  nullNoise: number;
  /** The unreleased hosts' centres at each minute of the window judged so far (see `CentreMemo`). */
  centres: CentreMemo;
}

/**
 * The unreleased hosts' centres (both forms) at each minute judged, by minute index, kept with the
 * history part: a batch judged every minute then finds again only the centres of new minutes (two
 * selections over the unreleased hosts per minute were a fifth of a repeated evaluation). Each entry
 * holds a fingerprint of its minute's values — how many are present, their sum and a sum weighted
 * by host — and is used only while they still match: a late point or a corrected value is seen.
 * Entry: [present, sum, weighted sum, hosts used, centre in the relative form found (1/0), common 0–3].
 */
export type CentreMemo = Map<number, Float64Array>;

export interface PooledResult {
  score: number;
  direction: 'up' | 'down' | 'none';
  shift: number;
  burst: number;
  spread: number;
  /** Log ratio of the released hosts' residual dispersion, window over before, in standard errors (NaN: not judged). */
  dispersion: number;
  /** Spread and dispersion together, in standard errors (NaN when either is missing). */
  noise: number;
  scores: { shift: number; burst: number; spread: number; dispersion: number; noise: number };
  bands: { shift: number; burst: number; spread: number; dispersion: number; noise: number };
}

interface Statistics {
  /** Directed (bad direction positive), in standard errors; the smaller of the two forms. */
  shift: number;
  /** Signed mean residual of the form the shift took, for the direction. */
  signedShift: number;
  burst: number;
  spread: number;
  dispersion: number;
  noise: number;
}

/**
 * Correlation of the spread's and the dispersion's errors under no change: 0.83 over 12 Gaussian
 * points (60 before), 0.68–0.74 with lag-one autocorrelation 0.3–0.6 (simulated, 200,000 windows
 * each). 0.8 lies between them, nearer white noise: a smaller value would understate the sum's
 * standard error there, and the history windows' band takes up what is left.
 */
const NOISE_CORRELATION = 0.8;

/**
 * One point's deviation from its segment's median counts at most this many noise σ toward the
 * dispersion: one slow request (ten σ and more) would otherwise double a 12-point window's.
 */
const DISPERSION_CAP = 8;

/**
 * Dispersion of a[from, to) around its own straight line: the least-squares line through the
 * finite values is removed (a traffic ramp moves a host's level by several σ over an hour), then the
 * mean absolute residual (Levene's form: the line already passes through the values' mean), each
 * capped at `cap`; a lone point more than `cap` from the values' median (one slow request) is left
 * out before the line is fitted — it would tilt the line and so every other residual. NaN with
 * fewer than 5 values. O(n); the median only when the values span more than `cap`.
 */
function dispersionOf(a: Float64Array, from: number, to: number, scratch: Float64Array, cap: number): number {
  let c = 0;
  let low = Infinity;
  let high = -Infinity;
  // The line's sums over every finite value, in the same order as below: without a lone point
  // (the usual case) they are the ones the line needs, bit for bit.
  let si = 0;
  let sx = 0;
  for (let i = from; i < to; i++) {
    const x = a[i];
    if (x === x) {
      scratch[c++] = x;
      si += i - from;
      sx += x;
      if (x < low) low = x;
      if (x > high) high = x;
    }
  }
  if (c < 5) return NaN;
  let lone = -1;
  if (high - low > cap && !noneFarFromMedian(a, from, to, low, high, cap)) {
    const centre = c <= SORT_BELOW ? sortedMedian(scratch, c) : medianInPlace(scratch, c);
    lone = loneOutlier(a, from, to, centre, cap);
  }
  if (lone >= 0) {
    c = 0;
    si = 0;
    sx = 0;
    for (let i = from; i < to; i++) {
      if (a[i] === a[i] && i !== lone) {
        si += i - from;
        sx += a[i];
        c++;
      }
    }
  }
  const mi = si / c;
  const mx = sx / c;
  let sii = 0;
  let six = 0;
  for (let i = from; i < to; i++) {
    if (a[i] === a[i] && i !== lone) {
      const di = i - from - mi;
      sii += di * di;
      six += di * (a[i] - mx);
    }
  }
  const slope = sii > 0 ? six / sii : 0;
  let s = 0;
  for (let i = from; i < to; i++) if (a[i] === a[i] && i !== lone) s += Math.min(cap, Math.abs(a[i] - mx - slope * (i - from - mi)));
  return s / c;
}

/** Index of the only point of a[from, to) more than `limit` from `centre`; −1 when none or several are. */
function loneOutlier(a: Float64Array, from: number, to: number, centre: number, limit: number): number {
  let lone = -1;
  for (let i = from; i < to; i++) {
    if (Math.abs(a[i] - centre) > limit) {
      if (lone >= 0) return -1;
      lone = i;
    }
  }
  return lone;
}

/** f of each host, into a Float64Array (a plain loop: `Float64Array.from` with a map function is slow). */
export function mapHosts(hosts: readonly Float64Array[], f: (values: Float64Array, index: number) => number): Float64Array {
  const out = new Float64Array(hosts.length);
  for (let h = 0; h < hosts.length; h++) out[h] = f(hosts[h], h);
  return out;
}

/** Neighbouring pairs of points both present in v[from, to): the first differences a roughness has there. */
function pairsIn(v: Float64Array, from: number, to: number): number {
  let n = 0;
  for (let i = Math.max(0, from) + 1; i < to; i++) if (v[i] === v[i] && v[i - 1] === v[i - 1]) n++;
  return n;
}

/**
 * Each host's mean over the points its roughness and its dispersion were measured on before a
 * window: against their own past alone, the spread and the dispersion also take the form relative
 * to the level (see `statistics`).
 */
interface PastLevels {
  roughness: Float64Array;
  dispersion: Float64Array;
}

/** Mean of the finite values of v[from, to). */
function meanOf(v: Float64Array, from: number, to: number): number {
  let s = 0;
  let n = 0;
  for (let i = Math.max(0, from); i < to; i++) {
    const x = v[i];
    if (x === x) {
      s += x;
      n++;
    }
  }
  return n === 0 ? NaN : s / n;
}

/**
 * Mean absolute first difference of a window [from, to), leaving out a lone outlier: when exactly
 * one point lies more than `outlierSigma` × `noise` from the window's median, the two differences
 * it makes are skipped. One slow request doubles a window's roughness; a noisier host has many
 * such points (or none that far), and keeps them all. O(window).
 */
function windowRoughness(v: Float64Array, from: number, to: number, noise: number, outlierSigma: number, scratch: Float64Array): number {
  let c = 0;
  for (let i = from; i < to; i++) if (v[i] === v[i]) scratch[c++] = v[i];
  let lone = -1;
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < c; i++) {
    if (scratch[i] < low) low = scratch[i];
    if (scratch[i] > high) high = scratch[i];
  }
  // No point can be that far from the median when the whole window spans less (the usual case).
  if (c >= 6 && noise > 0 && outlierSigma > 0 && high - low > outlierSigma * noise && !noneFarFromMedian(v, from, to, low, high, outlierSigma * noise)) {
    const median = c <= SORT_BELOW ? sortedMedian(scratch, c) : medianInPlace(scratch, c);
    lone = loneOutlier(v, from, to, median, outlierSigma * noise);
  }
  let s = 0;
  let n = 0;
  for (let i = Math.max(1, from + 1); i < to; i++) {
    if (i === lone || i - 1 === lone) continue;
    const d = Math.abs(v[i] - v[i - 1]);
    if (d === d) {
      s += d;
      n++;
    }
  }
  return n < 2 ? NaN : s / n;
}

/**
 * The roughness a window is measured against: the mean absolute first difference over [from, to)
 * (pairs inside the range only), leaving out the two differences of every isolated spike more
 * than `outlierSigma` × `noise` from both neighbours. Left in, one slow request in the hour before
 * doubles a host's reference roughness and halves what a real noise increase shows; in the
 * history's own windows it swings the statistic both ways and so widens its band. (A window leaves
 * out only a lone far point: several are what a noise increase looks like.) O(range).
 */
function referenceRoughness(v: Float64Array, from: number, to: number, noise: number, outlierSigma: number): number {
  const start = Math.max(0, from);
  const limit = noise > 0 && outlierSigma > 0 ? outlierSigma * noise : Infinity;
  let s = 0;
  let n = 0;
  for (let i = start + 1; i < to; i++) {
    const d = Math.abs(v[i] - v[i - 1]);
    if (!(d === d) || (d > limit && (isolatedSpike(v, i, start, to, limit) || isolatedSpike(v, i - 1, start, to, limit)))) continue;
    s += d;
    n++;
  }
  return n < 2 ? NaN : s / n;
}

/** What n hosts' directed values agree on: the value of one, the smaller of two, the median of more (reorders a). */
function agreed(a: Float64Array, n: number): number {
  if (n === 1) return a[0];
  if (n === 2) return Math.min(a[0], a[1]);
  return n <= SORT_BELOW ? sortedMedian(a, n) : medianInPlace(a, n);
}

/** From this many released hosts on, the burst uses their mean per minute instead of their median. */
const MANY_HOSTS = 8;

/** Below this many values a median is found by insertion sort (faster than selection for a few). */
const SORT_BELOW = 24;

/** Median of a[0, n) (finite values), by insertion sort in place: faster than selection for a few values. */
function sortedMedian(a: Float64Array, n: number): number {
  for (let i = 1; i < n; i++) {
    const x = a[i];
    let j = i - 1;
    while (j >= 0 && a[j] > x) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = x;
  }
  const h = (n - 1) * 0.5;
  const lo = Math.floor(h);
  return h === lo ? a[lo] : a[lo] + (h - lo) * (a[lo + 1] - a[lo]);
}

/**
 * Level of v[from, to): the median plus the mean of the deviations from it clipped at ±4 σ, so a
 * stray outlier (a slow request) before the window does not move the host's level.
 */
function levelOf(v: Float64Array, from: number, to: number, sigma: number, scratch: Float64Array): number {
  let c = 0;
  for (let i = Math.max(0, from); i < to; i++) if (v[i] === v[i]) scratch[c++] = v[i];
  if (c === 0) return NaN;
  if (!(sigma > 0)) return meanOf(v, from, to);
  const median = c <= SORT_BELOW ? sortedMedian(scratch, c) : medianInPlace(scratch, c);
  let s = 0;
  for (let i = 0; i < c; i++) s += Math.max(-4 * sigma, Math.min(4 * sigma, scratch[i] - median));
  return median + s / c;
}

/** Clip of a host's deviation from the unreleased hosts' median when taking their centre, in σ. */
const CLIP = 3;
/** Clip of one minute's pooled residual in the shift statistic, in σ: one stray outlier cannot make a shift. */
const SHIFT_CLIP = 6;
/**
 * The unreleased hosts' dispersion scales the released hosts' residuals only beyond this many times
 * its expected value: estimated from a few hosts it is often 1.3 by chance, and an event that
 * scatters them (an upstream failure) makes it several times larger.
 */
const DISPERSION_SLACK = 1.5;

/** x in the bad direction: as is for `up`, negated for `down`, its size for `both`. */
export const directedValue = (x: number, direction: Direction): number => (direction === 'up' ? x : direction === 'down' ? -x : Math.abs(x));

/**
 * The unreleased hosts' (hosts k…) centre and dispersion at t of (x − B)·scale, written to
 * common[slot] and common[slot + 2]. `unit` converts each host's value into units of its noise
 * (null: already in them). Returns how many hosts it used: 0 with fewer than `minHosts`.
 */
function centreAt(hosts: Float64Array[], k: number, t: number, before: Float64Array, scale: Float64Array, unit: Float64Array | null, values: Float64Array, kept: Float64Array, units: Float64Array, common: Float64Array, slot: number, minHosts: number): number {
  let c = 0;
  for (let u = k; u < hosts.length; u++) {
    const v = (hosts[u][t] - before[u]) * scale[u];
    const f = unit ? unit[u] : 1;
    if (v === v && v !== Infinity && v !== -Infinity && f > 0 && f !== Infinity) {
      values[c] = v;
      kept[c] = v;
      units[c] = f;
      c++;
    }
  }
  if (c < minHosts || c === 0) return 0;
  const median = c <= SORT_BELOW ? sortedMedian(values, c) : medianInPlace(values, c);
  let clipped = 0;
  let absolute = 0;
  for (let i = 0; i < c; i++) {
    const f = units[i];
    const d = Math.max(-CLIP, Math.min(CLIP, (kept[i] - median) * f));
    clipped += d / f;
    absolute += Math.abs(d);
  }
  common[slot] = median + clipped / c;
  // Mean absolute deviation × √(π/2) estimates σ; × √(c/(c−1)) for the centre fitted on the same hosts.
  common[slot + 2] = c === 1 ? 1 : Math.max(1, (absolute / c) * 1.2533 * Math.sqrt(c / (c - 1)) / DISPERSION_SLACK);
  return c;
}

/** Per host: 1/σ, 1/|B| and |B|/σ (a relative change in units of the host's noise), from its level B and noise σ. */
function hostUnits(before: Float64Array, noise: Float64Array): { invNoise: Float64Array; invLevel: Float64Array; unit: Float64Array } {
  const invNoise = new Float64Array(before.length);
  const invLevel = new Float64Array(before.length);
  const unit = new Float64Array(before.length);
  for (let h = 0; h < before.length; h++) {
    invNoise[h] = 1 / noise[h];
    invLevel[h] = 1 / Math.abs(before[h]);
    unit[h] = Math.abs(before[h]) / noise[h];
  }
  return { invNoise, invLevel, unit };
}

/**
 * The statistics for the window [from, to), each host relative to its mean over
 * [from − beforePoints, from) (given in `before`), with noise `noise` and roughness `roughness`
 * taken before the window. `hosts` holds the released hosts first (`k` of them). `memo` keeps the
 * unreleased hosts' centres per minute (see `CentreMemo`). With `peer`, `hosts` is one host of a
 * peer group and the group's table gives the other hosts' centres (see `peerTable`).
 */
function statistics(hosts: Float64Array[], k: number, before: Float64Array, noise: Float64Array, roughness: Float64Array, pastLevels: PastLevels | null, from: number, to: number, beforePoints: number, direction: Direction, scratch: Float64Array, minHosts: number, outlierSigma: number, beforeDispersion: Float64Array | null, dispersionPoints: number, memo: CentreMemo | null = null, peer: PeerRow | null = null): Statistics | null {
  const points = new Float64Array(Math.max(0, to - from));
  // A peer row stands for the other hosts of a peer group: `hosts` is then the one host judged.
  const m = peer ? peer.table.hosts - 1 : hosts.length - k;
  const n = to - from;
  let sumZ = 0;
  let sumR = 0;
  let count = 0;
  let sumVariance = 0;
  const pointsZ: number[] = [];
  const pointsR: number[] = [];
  const hostZ = new Float64Array(k);
  const hostR = new Float64Array(k);
  const { invNoise, invLevel, unit } = hostUnits(before, noise);
  const values = scratch.subarray(0, m);
  const kept = scratch.subarray(m, 2 * m);
  const units = scratch.subarray(2 * m, 3 * m);
  const self = m === 0;
  const common = self ? Float64Array.of(0, 0, 1, 1) : new Float64Array(4);
  for (let t = from; t < to; t++) {
    // The unreleased hosts' centre at t in each form (a median, then the mean of the hosts'
    // deviations from it clipped at ±CLIP σ: nearly as efficient as a mean, not moved by one stray
    // outlier) and their dispersion in σ: when an event scatters the unreleased hosts too, the
    // released hosts' residuals are scaled down by it.
    // Judged against their own past alone (no unreleased hosts), the released hosts' residuals
    // stand as they are: centre 0, dispersion 1, no control variance.
    let controls = Infinity;
    let hasR = true;
    if (peer) {
      const j = (t - from) * peer.table.hosts + peer.host;
      controls = peer.table.zCount[j];
      if (controls > 0) {
        common[0] = peer.table.zCentre[j];
        common[2] = peer.table.zDispersion[j];
        hasR = peer.table.rCount[j] > 0;
        if (hasR) {
          common[1] = peer.table.rCentre[j];
          common[3] = peer.table.rDispersion[j];
        }
      }
    } else if (!self) {
      let present = 0;
      let sum = 0;
      let weighted = 0;
      if (memo) {
        for (let u = k; u < hosts.length; u++) {
          const x = hosts[u][t];
          if (x === x && x !== Infinity && x !== -Infinity) {
            present++;
            sum += x;
            weighted += (u - k + 1) * x;
          }
        }
      }
      const known = memo?.get(t);
      if (known && known[0] === present && known[1] === sum && known[2] === weighted) {
        controls = known[3];
        hasR = known[4] === 1;
        // Four copies, not a view of the entry per minute (one object each, a repeated evaluation's most).
        common[0] = known[5];
        common[1] = known[6];
        common[2] = known[7];
        common[3] = known[8];
      } else {
        controls = centreAt(hosts, k, t, before, invNoise, null, values, kept, units, common, 0, minHosts);
        hasR = controls > 0 && centreAt(hosts, k, t, before, invLevel, unit, values, kept, units, common, 1, minHosts) > 0;
        memo?.set(t, Float64Array.of(present, sum, weighted, controls, hasR ? 1 : 0, common[0], common[1], common[2], common[3]));
      }
    }
    if (controls === 0) continue;
    let pz = 0;
    let pr = 0;
    let hostsHere = 0;
    for (let h = 0; h < k; h++) {
      const d = hosts[h][t] - before[h];
      const z = (d * invNoise[h] - common[0]) / common[2];
      if (!(z === z) || z === Infinity || z === -Infinity) continue;
      const r0 = hasR ? ((d * invLevel[h] - common[1]) * unit[h]) / common[3] : NaN;
      const r = r0 === r0 && r0 !== Infinity && r0 !== -Infinity ? r0 : z;
      pz += z;
      pr += r;
      hostZ[hostsHere] = directedValue(z, direction);
      hostR[hostsHere] = directedValue(r, direction);
      hostsHere++;
    }
    if (hostsHere === 0) continue;
    // This minute's variance in units of one host's noise: fewer hosts reporting (a gap) make it noisier.
    const pointVariance = 1 / hostsHere + (self ? 0 : 1.1 / controls);
    sumVariance += pointVariance;
    pz /= hostsHere;
    pr /= hostsHere;
    sumZ += Math.max(-SHIFT_CLIP, Math.min(SHIFT_CLIP, pz));
    sumR += Math.max(-SHIFT_CLIP, Math.min(SHIFT_CLIP, pr));
    count++;
    // A burst is the release's when the released hosts spike together: per minute, what they
    // agree on (the smaller of two, the median of more), so stray outliers on different hosts in
    // neighbouring minutes do not add up to one.
    // (Among many hosts one stray outlier barely moves their mean, which is then used.)
    // Each minute in its own standard error: a minute with a host missing is noisier.
    const pointSE = Math.sqrt(pointVariance);
    pointsZ.push((hostsHere > MANY_HOSTS ? directedValue(pz, direction) : agreed(hostZ, hostsHere)) / pointSE);
    pointsR.push((hostsHere > MANY_HOSTS ? directedValue(pr, direction) : agreed(hostR, hostsHere)) / pointSE);
  }
  if (count < Math.min(3, n)) return null;
  const perPoint = Math.sqrt(1 / k + (self ? 0 : 1.1 / m));
  // The window's mean over the minutes judged (each with the hosts that reported in it) and the
  // levels before it (every host's).
  const shiftSE = Math.sqrt(sumVariance / (count * count) + (perPoint * perPoint) / beforePoints);
  const meanZ = sumZ / count;
  const meanR = sumR / count;
  const dz = directedValue(meanZ, direction) / shiftSE;
  const dr = directedValue(meanR, direction) / shiftSE;
  const shift = Math.min(dz, dr);
  const secondLargest = (values: number[]): number => {
    let a = -Infinity;
    let b = -Infinity;
    for (const v of values) {
      if (v > a) {
        b = a;
        a = v;
      } else if (v > b) b = v;
    }
    return b === -Infinity ? a : b;
  };
  // Against their own past the points carry the level's drift (a daily ramp moves the last minutes
  // furthest from the level before): a burst is then what stands above the window's own median.
  if (self) {
    for (const points of [pointsZ, pointsR]) {
      const centre = medianOf(points, 0, points.length);
      for (let i = 0; i < points.length; i++) points[i] -= centre;
    }
  }
  const burst = Math.min(secondLargest(pointsZ), secondLargest(pointsR));

  // Spread: log roughness ratios, released minus the unreleased hosts' median.
  let c = 0;
  if (peer) c = peer.table.spreadCount[peer.host];
  else {
    for (let u = k; u < hosts.length; u++) {
      const q = Math.log(windowRoughness(hosts[u], from, to, noise[u], outlierSigma, points) / roughness[u]);
      if (Number.isFinite(q)) scratch[c++] = q;
    }
  }
  let spread = NaN;
  if (self || (c >= minHosts && c > 0)) {
    const common = self ? 0 : peer ? peer.table.spreadCentre[peer.host] : c <= SORT_BELOW ? sortedMedian(scratch, c) : medianInPlace(scratch, c);
    let s = 0;
    // Against their own past, nothing cancels a change of traffic: where noise scales with the level
    // (a share of requests, a latency's jitter), the morning's rise roughens every host by the
    // level's own ratio. The relative form takes that ratio out, and the smaller of the two forms
    // counts, as for the shift: a noise increase of the release's shows in both.
    let sRelative = self && pastLevels ? 0 : NaN;
    let hostsHere = 0;
    // Σ (n − 1) / d_h over the hosts, with d_h the host's differences in the window: a host that
    // stopped part-way (a crash) measures its roughness on fewer and varies more. 1 per full host.
    let units = 0;
    for (let h = 0; h < k; h++) {
      const q = Math.log(windowRoughness(hosts[h], from, to, noise[h], outlierSigma, points) / roughness[h]);
      if (!Number.isFinite(q)) continue;
      s += q - common;
      if (pastLevels) sRelative += q - Math.log(meanOf(hosts[h], from, to) / pastLevels.roughness[h]);
      const d = pairsIn(hosts[h], from, to);
      units += d >= n - 1 ? 1 : (n - 1) / Math.max(1, d);
      hostsHere++;
    }
    const releasedVariance = units / (hostsHere * hostsHere);
    // The log of a mean absolute difference over d differences varies by about 0.8 / √d. The
    // unreleased hosts' median ratio is subtracted only when they got rougher too (an event that
    // roughened every host): a quieter control explains nothing, and subtracting its chance dip
    // would add its variance (π/2c, half again with three hosts) to every judgement. Under no
    // change the statistic's tail is no heavier than with the subtraction always made (when the
    // median is positive, subtracting it only lowers the statistic).
    const perHost = 0.8 / Math.sqrt(Math.max(1, n - 1));
    if (hostsHere > 0) spread = common > 0 ? (s / hostsHere) / (perHost * Math.sqrt(releasedVariance + Math.PI / (2 * c))) : (s / hostsHere + common) / (perHost * Math.sqrt(releasedVariance));
    // A level of 0 or less has no ratio: the absolute form stands alone.
    if (hostsHere > 0 && Number.isFinite(sRelative)) spread = Math.min(spread, sRelative / hostsHere / (perHost * Math.sqrt(releasedVariance)));
  }
  // Dispersion: each host's log ratio of its dispersion around its own line, window over before
  // (a level-based Levene measure: on a short window it uses every point, where the
  // roughness pairs them), the released hosts' mean minus the unreleased hosts' median when they
  // got more dispersed too (a common event), in standard errors. The log of a mean absolute
  // deviation over d Gaussian points varies by about 0.76 / √d.
  let dispersion = NaN;
  if (beforeDispersion) {
    let c = 0;
    for (let u = k; u < hosts.length; u++) {
      const q = Math.log(dispersionOf(hosts[u], from, to, points, DISPERSION_CAP * noise[u]) / beforeDispersion[u]);
      if (Number.isFinite(q)) scratch[c++] = q;
    }
    if (self || (c >= minHosts && c > 0)) {
      const common = self ? 0 : c <= SORT_BELOW ? sortedMedian(scratch, c) : medianInPlace(scratch, c);
      let s = 0;
      // Against their own past, the relative form as for the spread.
      let sRelative = self && pastLevels ? 0 : NaN;
      let hostsHere = 0;
      // As for the spread: a host with points missing in the window counts with the points it has.
      const full = 1 / n + 1 / dispersionPoints;
      let units = 0;
      for (let h = 0; h < k; h++) {
        const q = Math.log(dispersionOf(hosts[h], from, to, points, DISPERSION_CAP * noise[h]) / beforeDispersion[h]);
        if (!Number.isFinite(q)) continue;
        s += q;
        if (pastLevels) sRelative += q - Math.log(meanOf(hosts[h], from, to) / pastLevels.dispersion[h]);
        const present = countPresent(hosts[h], from, to);
        units += present >= n ? 1 : (1 / Math.max(1, present) + 1 / dispersionPoints) / full;
        hostsHere++;
      }
      const releasedVariance = units / (hostsHere * hostsHere);
      const perHost = 0.76 * Math.sqrt(full);
      if (hostsHere > 0) dispersion = common > 0 ? (s / hostsHere - common) / (perHost * Math.sqrt(releasedVariance + Math.PI / (2 * c))) : s / hostsHere / (perHost * Math.sqrt(releasedVariance));
      if (hostsHere > 0 && Number.isFinite(sRelative)) dispersion = Math.min(dispersion, sRelative / hostsHere / (perHost * Math.sqrt(releasedVariance)));
    }
  }
  const together = Number.isFinite(spread) && Number.isFinite(dispersion) ? (spread + dispersion) / Math.sqrt(2 + 2 * NOISE_CORRELATION) : NaN;
  return { shift, signedShift: Math.abs(meanZ) < Math.abs(meanR) ? meanZ : meanR, burst, spread, dispersion, noise: together };
}

/** What each host of a peer group is judged against: see `peerTable`. Per minute at (t − from) × hosts + host; spread per host. */
interface PeerTable {
  hosts: number;
  zCentre: Float64Array;
  zDispersion: Float64Array;
  zCount: Float64Array;
  rCentre: Float64Array;
  rDispersion: Float64Array;
  rCount: Float64Array;
  spreadCentre: Float64Array;
  spreadCount: Float64Array;
}

/** One host's row of a peer table. */
interface PeerRow {
  table: PeerTable;
  host: number;
}

/**
 * Each host of a peer group against all the others, for every host at once: per minute of
 * [from, to), the others' centre and dispersion in both forms (as `centreAt` finds them for the
 * hosts after the first), and the others' median log roughness ratio over the window. One sort
 * per minute serves every host: the others' median is the group's sorted values with the host's
 * own taken out, and their clipped sums are the group's minus the host's own term. Judging each
 * host against the others one by one cost O(hosts²) per minute: a fleet of 200 released at once
 * took 4 s to judge on 5 metrics. O((to − from) × hosts × log hosts).
 */
function peerTable(hosts: Float64Array[], from: number, to: number, before: Float64Array, noise: Float64Array, roughness: Float64Array, minHosts: number, outlierSigma: number): PeerTable {
  const K = hosts.length;
  const n = Math.max(0, to - from);
  const table: PeerTable = {
    hosts: K,
    zCentre: new Float64Array(n * K),
    zDispersion: new Float64Array(n * K),
    zCount: new Float64Array(n * K),
    rCentre: new Float64Array(n * K),
    rDispersion: new Float64Array(n * K),
    rCount: new Float64Array(n * K),
    spreadCentre: new Float64Array(K),
    spreadCount: new Float64Array(K),
  };
  const { invNoise, invLevel, unit } = hostUnits(before, noise);
  const values = new Float64Array(K);
  const sorted = new Float64Array(K);
  for (let t = from; t < to; t++) {
    const at = (t - from) * K;
    for (let h = 0; h < K; h++) {
      const v = (hosts[h][t] - before[h]) * invNoise[h];
      values[h] = v === v && v !== Infinity && v !== -Infinity ? v : NaN;
    }
    leaveOneOut(values, null, minHosts, sorted, table.zCentre, table.zDispersion, table.zCount, at);
    for (let h = 0; h < K; h++) {
      const v = (hosts[h][t] - before[h]) * invLevel[h];
      const f = unit[h];
      values[h] = v === v && v !== Infinity && v !== -Infinity && f > 0 && f !== Infinity ? v : NaN;
    }
    leaveOneOut(values, unit, minHosts, sorted, table.rCentre, table.rDispersion, table.rCount, at);
  }
  const points = new Float64Array(n);
  for (let h = 0; h < K; h++) {
    const q = Math.log(windowRoughness(hosts[h], from, to, noise[h], outlierSigma, points) / roughness[h]);
    values[h] = Number.isFinite(q) ? q : NaN;
  }
  const ignored = new Float64Array(K);
  leaveOneOut(values, null, minHosts, sorted, table.spreadCentre, ignored, table.spreadCount, 0, false);
  return table;
}

/**
 * For each h, the others' (finite `values` but h's own) count and, with at least `minHosts` of
 * them, their median and — with `sums` — their centre and dispersion as `centreAt` computes them
 * (`units`: each host's unit, null for 1), written at `at + h`. A count of 0 marks too few.
 */
function leaveOneOut(values: Float64Array, units: Float64Array | null, minHosts: number, sorted: Float64Array, centre: Float64Array, dispersion: Float64Array, count: Float64Array, at: number, sums = true): void {
  const K = values.length;
  let n = 0;
  for (let h = 0; h < K; h++) if (values[h] === values[h]) sorted[n++] = values[h];
  const present = sorted.subarray(0, n).sort();
  // The others' clipped sums for each median met (one or two, a third for a host without a value).
  const medians: number[] = [];
  const clippedSums: number[] = [];
  const absoluteSums: number[] = [];
  for (let h = 0; h < K; h++) {
    const own = values[h];
    const has = own === own;
    const c = has ? n - 1 : n;
    if (c < minHosts || c === 0) {
      count[at + h] = 0;
      continue;
    }
    // The median of the others: the sorted values with one occurrence of the host's own left out
    // (at p; any occurrence leaves the same values).
    const p = has ? lowerBound(present, n, own) : n;
    const half = (c - 1) * 0.5;
    const lo = Math.floor(half);
    const low = present[lo < p ? lo : lo + 1];
    const median = half === lo ? low : low + (half - lo) * (present[lo + 1 < p ? lo + 1 : lo + 2] - low);
    count[at + h] = c;
    if (!sums) {
      centre[at + h] = median;
      continue;
    }
    let which = medians.indexOf(median);
    if (which < 0) {
      let clipped = 0;
      let absolute = 0;
      for (let u = 0; u < K; u++) {
        const v = values[u];
        if (v !== v) continue;
        const f = units ? units[u] : 1;
        const d = Math.max(-CLIP, Math.min(CLIP, (v - median) * f));
        clipped += d / f;
        absolute += Math.abs(d);
      }
      which = medians.push(median) - 1;
      clippedSums.push(clipped);
      absoluteSums.push(absolute);
    }
    let clipped = clippedSums[which];
    let absolute = absoluteSums[which];
    if (has) {
      const f = units ? units[h] : 1;
      const d = Math.max(-CLIP, Math.min(CLIP, (own - median) * f));
      clipped -= d / f;
      absolute -= Math.abs(d);
    }
    centre[at + h] = median + clipped / c;
    dispersion[at + h] = c === 1 ? 1 : Math.max(1, ((Math.max(0, absolute) / c) * 1.2533 * Math.sqrt(c / (c - 1))) / DISPERSION_SLACK);
  }
}

/** History part of the peers view (see `peersHistory`): each host's level, noise and roughness, and the statistics' largest values over every host's history windows. */
export type PeersHistory = Omit<PooledHistory, 'dispersion' | 'centres' | 'levels'>;

/**
 * History part of the peers view over `hosts` (every one released, none unreleased) and a release
 * at `cut`: each host against all the others over the history windows (as `pooledHistory` with that
 * host first), the bands' nulls the largest value any host's statistic took (the family's).
 * The dispersion is off in this view. O(hosts × log hosts × nullPoints + hosts × noisePoints).
 */
export function peersHistory(hosts: Float64Array[], cut: number, cfg: PooledConfig, direction: Direction, hostNoise: (v: Float64Array, from: number, to: number) => number, outlierSigma = 8): PeersHistory {
  const own = ownFigures(hosts, cut, cfg, hostNoise, outlierSigma);
  const nulls = new LargestNulls();
  const minHosts = Math.min(2, hosts.length - 1);
  const scratch = new Float64Array(3 * hosts.length);
  for (const end of nullWindowEnds(cut, cfg, 0)) {
    const from = end - cfg.nullWindowPoints;
    const { b, r } = referencesBefore(hosts, from, cfg, own, outlierSigma);
    const table = peerTable(hosts, from, end, b, own.noise, r, minHosts, outlierSigma);
    for (let h = 0; h < hosts.length; h++) {
      nulls.add(statistics([hosts[h]], 1, b.subarray(h, h + 1), own.noise.subarray(h, h + 1), r.subarray(h, h + 1), null, from, end, cfg.beforePoints, direction, scratch, minHosts, outlierSigma, null, cfg.noisePoints, null, { table, host: h }));
    }
  }
  return { before: own.before, noise: own.noise, roughness: own.roughness, ...nulls.found() };
}

/**
 * The peers view: each of `hosts` (all released) against all the others over the window
 * [cut, length), with the family's bands from `history`. The highest-scoring host's result and
 * index, or null when no host could be judged. O(window × hosts × log hosts).
 */
export function peersView(hosts: Float64Array[], cut: number, length: number, cfg: PooledConfig, direction: Direction, history: PeersHistory, outlierSigma = 8): { result: PooledResult; host: number } | null {
  if (!cfg.enabled || hosts.length < 2 || cut < cfg.beforePoints) return null;
  const minHosts = Math.min(2, hosts.length - 1);
  const table = peerTable(hosts, cut, length, history.before, history.noise, history.roughness, minHosts, outlierSigma);
  const scratch = new Float64Array(3 * hosts.length);
  let best: { result: PooledResult; host: number } | null = null;
  for (let h = 0; h < hosts.length; h++) {
    const s = statistics([hosts[h]], 1, history.before.subarray(h, h + 1), history.noise.subarray(h, h + 1), history.roughness.subarray(h, h + 1), null, cut, length, cfg.beforePoints, direction, scratch, minHosts, outlierSigma, null, cfg.noisePoints, null, { table, host: h });
    if (!s) continue;
    const result = scored(s, cfg, history);
    if (!best || result.score > best.result.score) best = { result, host: h };
  }
  return best;
}

/**
 * History part of the view for hosts `hosts` (released first, `k` of them) and a release at `cut`.
 * O(hosts × (noisePoints + nullPoints)).
 */
export function pooledHistory(hosts: Float64Array[], k: number, cut: number, cfg: PooledConfig, direction: Direction, hostNoise: (v: Float64Array, from: number, to: number) => number, outlierSigma = 8, period = 0): PooledHistory {
  const own = ownFigures(hosts, cut, cfg, hostNoise, outlierSigma);
  const nulls = new LargestNulls();
  const scratch = new Float64Array(3 * hosts.length);
  const minHosts = Math.min(2, hosts.length - k);
  const self = k === hosts.length;
  const D = cfg.noisePoints;
  const segment = new Float64Array(Math.max(D, 1));
  /** Every host's dispersion over [a, b) (null when the statistic is off or the range starts before the series). */
  const dispersionBefore = (a: number, b: number): Float64Array | null =>
    cfg.dispersionBand > 0 && a >= 0 ? mapHosts(hosts, (v, h) => dispersionOf(v, a, b, segment, DISPERSION_CAP * own.noise[h])) : null;
  for (const end of nullWindowEnds(cut, cfg, period)) {
    const from = end - cfg.nullWindowPoints;
    const { b, r } = referencesBefore(hosts, from, cfg, own, outlierSigma);
    const levels = self ? { roughness: mapHosts(hosts, (v) => meanOf(v, from - cfg.beforePoints, from)), dispersion: mapHosts(hosts, (v) => meanOf(v, from - D, from)) } : null;
    nulls.add(statistics(hosts, k, b, own.noise, r, levels, from, end, cfg.beforePoints, direction, scratch, minHosts, outlierSigma, dispersionBefore(from - D, from), D));
  }
  const dispersion = dispersionBefore(cut - D, cut) ?? new Float64Array(hosts.length).fill(NaN);
  // The roughness and the dispersion before the release are both over the `noisePoints` before it.
  const level = self ? mapHosts(hosts, (v) => meanOf(v, cut - D, cut)) : null;
  return { before: own.before, noise: own.noise, roughness: own.roughness, levels: level && { roughness: level, dispersion: level }, ...nulls.found(), dispersion, centres: new Map() };
}

/** Each host's noise, level and roughness over the points before the release at `cut` (and a scratch for levels). */
function ownFigures(hosts: Float64Array[], cut: number, cfg: PooledConfig, hostNoise: (v: Float64Array, from: number, to: number) => number, outlierSigma: number): { noise: Float64Array; before: Float64Array; roughness: Float64Array; levels: Float64Array } {
  const noiseFrom = Math.max(0, cut - cfg.noisePoints);
  const noise = mapHosts(hosts, (v) => hostNoise(v, noiseFrom, cut));
  const levels = new Float64Array(Math.max(cfg.beforePoints, 1));
  const before = mapHosts(hosts, (v, h) => levelOf(v, cut - cfg.beforePoints, cut, noise[h], levels));
  const roughness = mapHosts(hosts, (v, h) => referenceRoughness(v, noiseFrom, cut, noise[h], outlierSigma));
  return { noise, before, roughness, levels };
}

/**
 * Ends of the history windows the bands are measured on: non-overlapping windows ending at the
 * release, back over `nullPoints`; then, given a `period`, the windows around the same time of day
 * on the day before (how far the level usually moves in this hour: the daily rise and fall of traffic).
 */
function nullWindowEnds(cut: number, cfg: PooledConfig, period: number): number[] {
  const n = cfg.nullWindowPoints;
  const ends: number[] = [];
  for (let end = cut; end - n - cfg.beforePoints - 1 >= Math.max(0, cut - cfg.nullPoints); end -= n) ends.push(end);
  if (period > 0) for (const offset of [-n, 0, n]) {
    const end = cut - period + n + offset;
    if (end - n - cfg.beforePoints - 1 >= 0 && end <= cut - cfg.nullPoints) ends.push(end);
  }
  return ends;
}

/** Each host's level (`b`) and roughness (`r`) over the `beforePoints` before a history window starting at `from`. */
function referencesBefore(hosts: Float64Array[], from: number, cfg: PooledConfig, own: { noise: Float64Array; levels: Float64Array }, outlierSigma: number): { b: Float64Array; r: Float64Array } {
  const b = mapHosts(hosts, (v, h) => levelOf(v, from - cfg.beforePoints, from, own.noise[h], own.levels));
  const r = mapHosts(hosts, (v, h) => referenceRoughness(v, from - cfg.beforePoints, from, own.noise[h], outlierSigma));
  return { b, r };
}

/** The largest value each statistic took over the history windows (NaN for one that never had a value). */
class LargestNulls {
  private shift = -Infinity;
  private burst = -Infinity;
  private spread = -Infinity;
  private dispersion = -Infinity;
  private noise = -Infinity;

  add(s: Statistics | null): void {
    if (!s) return;
    if (Number.isFinite(s.dispersion)) this.dispersion = Math.max(this.dispersion, s.dispersion);
    if (Number.isFinite(s.noise)) this.noise = Math.max(this.noise, s.noise);
    if (Number.isFinite(s.shift)) this.shift = Math.max(this.shift, s.shift);
    if (Number.isFinite(s.burst)) this.burst = Math.max(this.burst, s.burst);
    if (Number.isFinite(s.spread)) this.spread = Math.max(this.spread, s.spread);
  }

  found(): Pick<PooledHistory, 'nullShift' | 'nullBurst' | 'nullSpread' | 'nullDispersion' | 'nullNoise'> {
    const finite = (x: number) => (Number.isFinite(x) ? x : NaN);
    return { nullShift: finite(this.shift), nullBurst: finite(this.burst), nullSpread: finite(this.spread), nullDispersion: finite(this.dispersion), nullNoise: finite(this.noise) };
  }
}

/**
 * Judges the window [cut, length) of `hosts` (released first, `k` of them) with the history part
 * `history`. Null when fewer than `minControlHosts` unreleased hosts or too few points; with
 * `minControlHosts` 0 and every host released (`k` = hosts), the released hosts against their own past.
 */
export function pooledView(hosts: Float64Array[], k: number, cut: number, length: number, cfg: PooledConfig, direction: Direction, history: PooledHistory, minControlHosts = cfg.minControlHosts, outlierSigma = 8): PooledResult | null {
  if (!cfg.enabled || k === 0 || hosts.length - k < Math.min(cfg.minControlHosts, minControlHosts) || cut < cfg.beforePoints) return null;
  const s = statistics(hosts, k, history.before, history.noise, history.roughness, history.levels, cut, length, cfg.beforePoints, direction, new Float64Array(3 * hosts.length), Math.min(2, hosts.length - k), outlierSigma, cfg.dispersionBand > 0 ? history.dispersion : null, cfg.noisePoints, history.centres);
  if (!s) return null;
  return scored(s, cfg, history);
}

/** A window's statistics scored against the bands: each the larger of its parametric band and `nullFactor` × its largest value over the history windows. */
function scored(s: Statistics, cfg: PooledConfig, history: Pick<PooledHistory, 'nullShift' | 'nullBurst' | 'nullSpread' | 'nullDispersion' | 'nullNoise'>): PooledResult {
  const band = (parametric: number, nullMax: number) => Math.max(parametric, Number.isFinite(nullMax) ? cfg.nullFactor * nullMax : 0);
  const bands = { shift: band(cfg.shiftBand, history.nullShift), burst: band(cfg.burstBand, history.nullBurst), spread: band(cfg.spreadBand, history.nullSpread), dispersion: band(cfg.dispersionBand, history.nullDispersion), noise: band(cfg.dispersionBand, history.nullNoise) };
  const scores = {
    shift: s.shift > 0 ? deviationScore(s.shift, bands.shift, 'up') : 0,
    burst: s.burst > 0 ? deviationScore(s.burst, bands.burst, 'up') : 0,
    spread: Number.isFinite(s.spread) && s.spread > 0 ? deviationScore(s.spread, bands.spread, 'up') : 0,
    dispersion: Number.isFinite(s.dispersion) && s.dispersion > 0 ? deviationScore(s.dispersion, bands.dispersion, 'up') : 0,
    noise: Number.isFinite(s.noise) && s.noise > 0 ? deviationScore(s.noise, bands.noise, 'up') : 0,
  };
  const score = Math.max(scores.shift, scores.burst, scores.spread, scores.dispersion, scores.noise);
  const dir: PooledResult['direction'] = (scores.spread === score || scores.dispersion === score || scores.noise === score) && score > 0 && scores.shift < score ? 'none' : s.signedShift > 0 ? 'up' : s.signedShift < 0 ? 'down' : 'none';
  return { score, direction: dir, shift: s.shift, burst: s.burst, spread: s.spread, dispersion: s.dispersion, noise: s.noise, scores, bands };
}
