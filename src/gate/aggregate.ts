/**
 * Combining hosts into one series, per time step, by the metric's kind:
 *
 * - `mean` for rates and latencies (the default): the typical host;
 * - `sum` for counts and throughput: the whole group's traffic;
 *
 *   for both, a host missing at a step must not move the aggregate (hosts differ in size, and a big
 *   host dropping out would look like a change). So each host is first expressed relative to its own
 *   level (its median over `levelFrom..levelTo`, the history): the aggregate at a step is the mean
 *   of the present hosts' ratios to their levels times the mean (or sum) of all hosts' levels —
 *   or, when some level is not positive, their mean offset from their levels plus the mean (sum)
 *   of the levels. With every host present and no level given this is the plain mean or sum;
 * - `p95` or `max` where tails matter: one bad host moves them;
 * - `median`: robust to one broken host.
 *
 * A step where no host has data is `NaN`. Cost: O(hosts × points), plus a sort per step for
 * `p95`/`median`. The levels depend only on history, so `planAggregation` fixes them once and
 * `aggregateWith` then aggregates any span (the history once, each new window after).
 */
import { quantileSorted } from '../core/stats.js';
import { medianOf } from '../core/window-stats.js';
import type { HostAggregation, Policy } from './policy.js';

/** Steps aggregated together across all hosts, so the running sums stay in the L1 cache. */
const BLOCK = 4096;

/**
 * How a group's hosts combine, fixed by their history: the aggregation and, for `mean`/`sum` with
 * a level range, each host's level. Computing it once lets a repeated evaluation aggregate only
 * the new window (`aggregateWith`) and get exactly what `aggregateHosts` gives over the whole span.
 */
export interface AggregationPlan {
  how: HostAggregation;
  /** Hosts' levels (median over the level range), or null for the plain aggregation. */
  levels: Float64Array | null;
  /** Levels all positive: hosts combine by ratio to their level, else by offset from it. */
  ratio: boolean;
  /** Mean (for `mean`) or sum (for `sum`) of the levels. */
  total: number;
}

/** The plan `aggregateHosts` follows for these hosts; O(hosts × level range). */
export function planAggregation(hosts: readonly Float64Array[], how: HostAggregation, levelRange?: { from: number; to: number }): AggregationPlan {
  if ((how === 'mean' || how === 'sum') && hosts.length > 0 && levelRange && levelRange.to > levelRange.from) {
    const levels = new Float64Array(hosts.length);
    const scratch = new Float64Array(levelRange.to - levelRange.from);
    let finite = true;
    for (let h = 0; h < hosts.length && finite; h++) {
      levels[h] = medianOf(hosts[h], levelRange.from, Math.min(levelRange.to, hosts[h].length), scratch);
      finite = Number.isFinite(levels[h]);
    }
    if (finite) {
      let levelSum = 0;
      let ratio = true;
      for (let h = 0; h < levels.length; h++) {
        levelSum += levels[h];
        if (!(levels[h] > 0)) ratio = false;
      }
      return { how, levels, ratio, total: how === 'mean' ? levelSum / hosts.length : levelSum };
    }
  }
  return { how, levels: null, ratio: false, total: 0 };
}

/**
 * Aggregates `hosts` over [from, to) by a plan from `planAggregation`. O(hosts × (to − from)).
 * With `hostMeans` (one slot per host) it also stores each host's mean over the span (`NaN` when
 * it has no point there) in the same pass: reading many hosts' windows is bound by memory
 * latency, so the per-host view should not read them again.
 */
export function aggregateWith(hosts: readonly Float64Array[], plan: AggregationPlan, from: number, to: number, hostMeans?: Float64Array): Float64Array {
  const length = Math.max(0, to - from);
  const out = new Float64Array(length);
  const count = hosts.length;
  if (count === 0) return out.fill(NaN);
  const how = plan.how;
  if (hostMeans && (how === 'mean' || how === 'sum')) return aggregateWithMeans(hosts, plan, from, length, out, hostMeans);
  if (hostMeans) for (let h = 0; h < count; h++) hostMeans[h] = spanMean(hosts[h], from, to);
  if (how === 'mean' || how === 'sum') {
    // Counting the missing values (rare) instead of the present ones saves a store per point.
    const missing = new Int32Array(Math.min(BLOCK, length));
    for (let block = 0; block < length; block += BLOCK) {
      const end = Math.min(length, block + BLOCK);
      missing.fill(0);
      if (plan.levels === null) accumulateValues(hosts, from, block, end, out, missing);
      else if (plan.ratio) accumulateRatios(hosts, plan.levels, from, block, end, out, missing);
      else accumulateOffsets(hosts, plan.levels, from, block, end, out, missing);
      if (plan.levels) {
        const hostsFactor = how === 'mean' ? 1 : count;
        for (let i = block; i < end; i++) {
          const p = count - missing[i - block];
          if (p === 0) out[i] = NaN;
          else if (plan.ratio) out[i] = (out[i] / p) * plan.total;
          else out[i] = (out[i] / p) * hostsFactor + plan.total;
        }
      } else {
        for (let i = block; i < end; i++) {
          const p = count - missing[i - block];
          out[i] = p === 0 ? NaN : how === 'mean' ? out[i] / p : (out[i] / p) * count;
        }
      }
    }
    return out;
  }
  if (how === 'max') {
    out.fill(-Infinity);
    for (const h of hosts) for (let i = 0; i < length; i++) if (h[from + i] > out[i]) out[i] = h[from + i];
    for (let i = 0; i < length; i++) if (out[i] === -Infinity) out[i] = NaN;
    return out;
  }
  const p = how === 'p95' ? 0.95 : 0.5;
  const column = new Float64Array(count);
  for (let i = 0; i < length; i++) {
    let n = 0;
    for (const h of hosts) {
      const v = h[from + i];
      if (v === v) column[n++] = v;
    }
    out[i] = n === 0 ? NaN : quantileSorted(column.subarray(0, n).sort(), p);
  }
  return out;
}

/** Mean of the present values of [from, to), added in index order; `NaN` when none. */
function spanMean(values: Float64Array, from: number, to: number): number {
  let sum = 0;
  let n = 0;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (v === v) {
      sum += v;
      n++;
    }
  }
  return n === 0 ? NaN : sum / n;
}

/**
 * `aggregateWith` for `mean`/`sum` with each host's mean gathered in the same pass. Four hosts at a
 * time, as in accumulateRatios: same sums, and four hosts' windows are fetched from memory at once.
 */
function aggregateWithMeans(hosts: readonly Float64Array[], plan: AggregationPlan, from: number, length: number, out: Float64Array, hostMeans: Float64Array): Float64Array {
  const count = hosts.length;
  const missing = new Int32Array(length);
  const levels = plan.levels;
  const mode = levels === null ? 2 : plan.ratio ? 0 : 1;
  // By ratio, each host's level enters as its reciprocal (see accumulateRatios).
  const term = (v: number, level: number) => (mode === 0 ? v * level : mode === 1 ? v - level : v);
  const levelAt = (h: number) => (levels === null ? 0 : mode === 0 ? 1 / levels[h] : levels[h]);
  let h = 0;
  for (; h + 4 <= count; h += 4) {
    const a0 = hosts[h], a1 = hosts[h + 1], a2 = hosts[h + 2], a3 = hosts[h + 3];
    const l0 = levelAt(h), l1 = levelAt(h + 1), l2 = levelAt(h + 2), l3 = levelAt(h + 3);
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, n0 = 0, n1 = 0, n2 = 0, n3 = 0;
    for (let i = 0; i < length; i++) {
      const k = from + i;
      let o = out[i];
      let m = 0;
      const v0 = a0[k];
      if (v0 === v0) {
        o += term(v0, l0);
        s0 += v0;
        n0++;
      } else m++;
      const v1 = a1[k];
      if (v1 === v1) {
        o += term(v1, l1);
        s1 += v1;
        n1++;
      } else m++;
      const v2 = a2[k];
      if (v2 === v2) {
        o += term(v2, l2);
        s2 += v2;
        n2++;
      } else m++;
      const v3 = a3[k];
      if (v3 === v3) {
        o += term(v3, l3);
        s3 += v3;
        n3++;
      } else m++;
      out[i] = o;
      if (m !== 0) missing[i] += m;
    }
    hostMeans[h] = n0 === 0 ? NaN : s0 / n0;
    hostMeans[h + 1] = n1 === 0 ? NaN : s1 / n1;
    hostMeans[h + 2] = n2 === 0 ? NaN : s2 / n2;
    hostMeans[h + 3] = n3 === 0 ? NaN : s3 / n3;
  }
  for (; h < count; h++) {
    const values = hosts[h];
    const level = levelAt(h);
    let sum = 0;
    let n = 0;
    for (let i = 0; i < length; i++) {
      const v = values[from + i];
      if (v === v) {
        out[i] += term(v, level);
        sum += v;
        n++;
      } else missing[i]++;
    }
    hostMeans[h] = n === 0 ? NaN : sum / n;
  }
  const hostsFactor = plan.how === 'mean' ? 1 : count;
  for (let i = 0; i < length; i++) {
    const p = count - missing[i];
    if (p === 0) out[i] = NaN;
    else if (levels === null) out[i] = plan.how === 'mean' ? out[i] / p : (out[i] / p) * count;
    else if (plan.ratio) out[i] = (out[i] / p) * plan.total;
    else out[i] = (out[i] / p) * hostsFactor + plan.total;
  }
  return out;
}

/**
 * Adds each present value's ratio to its host's level to `out`, host after host, and counts the
 * missing ones. Four hosts go through each step together: the additions at a step happen in the
 * same host order as one host at a time (so the sums are bit for bit the same), with a quarter of
 * the loads and stores of `out`. accumulateOffsets and accumulateValues are the same loop. The
 * ratio is the value times the level's reciprocal: a division per point bounded the loop (a
 * week of minutes for 114 hosts × 30 metrics took 57 ms of a first evaluation); the product
 * differs from the quotient by at most one unit in the last place.
 */
function accumulateRatios(hosts: readonly Float64Array[], levels: Float64Array, from: number, block: number, end: number, out: Float64Array, missing: Int32Array): void {
  let h = 0;
  for (; h + 4 <= hosts.length; h += 4) {
    const a0 = hosts[h], a1 = hosts[h + 1], a2 = hosts[h + 2], a3 = hosts[h + 3];
    const l0 = 1 / levels[h], l1 = 1 / levels[h + 1], l2 = 1 / levels[h + 2], l3 = 1 / levels[h + 3];
    for (let i = block; i < end; i++) {
      const k = from + i;
      let o = out[i];
      let m = 0;
      const v0 = a0[k];
      if (v0 === v0) o += v0 * l0;
      else m++;
      const v1 = a1[k];
      if (v1 === v1) o += v1 * l1;
      else m++;
      const v2 = a2[k];
      if (v2 === v2) o += v2 * l2;
      else m++;
      const v3 = a3[k];
      if (v3 === v3) o += v3 * l3;
      else m++;
      out[i] = o;
      if (m !== 0) missing[i - block] += m;
    }
  }
  for (; h < hosts.length; h++) {
    const values = hosts[h];
    const inverse = 1 / levels[h];
    for (let i = block; i < end; i++) {
      const v = values[from + i];
      if (v === v) out[i] += v * inverse;
      else missing[i - block]++;
    }
  }
}

/** As accumulateRatios, with offsets from the levels. */
function accumulateOffsets(hosts: readonly Float64Array[], levels: Float64Array, from: number, block: number, end: number, out: Float64Array, missing: Int32Array): void {
  let h = 0;
  for (; h + 4 <= hosts.length; h += 4) {
    const a0 = hosts[h], a1 = hosts[h + 1], a2 = hosts[h + 2], a3 = hosts[h + 3];
    const l0 = levels[h], l1 = levels[h + 1], l2 = levels[h + 2], l3 = levels[h + 3];
    for (let i = block; i < end; i++) {
      const k = from + i;
      let o = out[i];
      let m = 0;
      const v0 = a0[k];
      if (v0 === v0) o += v0 - l0;
      else m++;
      const v1 = a1[k];
      if (v1 === v1) o += v1 - l1;
      else m++;
      const v2 = a2[k];
      if (v2 === v2) o += v2 - l2;
      else m++;
      const v3 = a3[k];
      if (v3 === v3) o += v3 - l3;
      else m++;
      out[i] = o;
      if (m !== 0) missing[i - block] += m;
    }
  }
  for (; h < hosts.length; h++) {
    const values = hosts[h];
    const level = levels[h];
    for (let i = block; i < end; i++) {
      const v = values[from + i];
      if (v === v) out[i] += v - level;
      else missing[i - block]++;
    }
  }
}

/** As accumulateRatios, with the values themselves. */
function accumulateValues(hosts: readonly Float64Array[], from: number, block: number, end: number, out: Float64Array, missing: Int32Array): void {
  let h = 0;
  for (; h + 4 <= hosts.length; h += 4) {
    const a0 = hosts[h], a1 = hosts[h + 1], a2 = hosts[h + 2], a3 = hosts[h + 3];
    for (let i = block; i < end; i++) {
      const k = from + i;
      let o = out[i];
      let m = 0;
      const v0 = a0[k];
      if (v0 === v0) o += v0;
      else m++;
      const v1 = a1[k];
      if (v1 === v1) o += v1;
      else m++;
      const v2 = a2[k];
      if (v2 === v2) o += v2;
      else m++;
      const v3 = a3[k];
      if (v3 === v3) o += v3;
      else m++;
      out[i] = o;
      if (m !== 0) missing[i - block] += m;
    }
  }
  for (; h < hosts.length; h++) {
    const values = hosts[h];
    for (let i = block; i < end; i++) {
      const v = values[from + i];
      if (v === v) out[i] += v;
      else missing[i - block]++;
    }
  }
}

/** Combines hosts into one series over [from, to); see the module comment. */
export function aggregateHosts(hosts: readonly Float64Array[], how: HostAggregation, from = 0, to = hosts[0]?.length ?? 0, levelRange?: { from: number; to: number }): Float64Array {
  return aggregateWith(hosts, planAggregation(hosts, how, levelRange), from, to);
}

/** The aggregation the policy gives a metric name (first matching pattern; `mean` otherwise). */
export function aggregationFor(metric: string, policy: Policy): HostAggregation {
  for (const rule of policy.aggregation) if (new RegExp(rule.pattern, 'i').test(metric)) return rule.aggregate;
  return 'mean';
}
