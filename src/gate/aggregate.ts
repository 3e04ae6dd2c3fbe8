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
 * `p95`/`median`.
 */
import { nanMedian, quantileSorted } from '../core/stats.js';
import type { HostAggregation, Policy } from './policy.js';

export function aggregateHosts(hosts: readonly Float64Array[], how: HostAggregation, from = 0, to = hosts[0]?.length ?? 0, levelRange?: { from: number; to: number }): Float64Array {
  const length = Math.max(0, to - from);
  const out = new Float64Array(length);
  const count = hosts.length;
  if (count === 0) return out.fill(NaN);
  if ((how === 'mean' || how === 'sum') && levelRange && levelRange.to > levelRange.from) {
    const levels = hosts.map((h) => nanMedian(h.subarray(levelRange.from, levelRange.to)));
    if (levels.every((l) => Number.isFinite(l))) return levelAdjusted(hosts, levels, how, from, length);
  }
  if (how === 'mean' || how === 'sum') {
    const present = new Float64Array(length);
    for (const h of hosts) {
      for (let i = 0; i < length; i++) {
        const v = h[from + i];
        if (v === v) {
          out[i] += v;
          present[i]++;
        }
      }
    }
    for (let i = 0; i < length; i++) out[i] = present[i] === 0 ? NaN : how === 'mean' ? out[i] / present[i] : (out[i] / present[i]) * count;
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

function levelAdjusted(hosts: readonly Float64Array[], levels: number[], how: 'mean' | 'sum', from: number, length: number): Float64Array {
  const out = new Float64Array(length);
  const present = new Float64Array(length);
  const ratio = levels.every((l) => l > 0);
  for (let h = 0; h < hosts.length; h++) {
    const values = hosts[h];
    const level = levels[h];
    for (let i = 0; i < length; i++) {
      const v = values[from + i];
      if (v === v) {
        out[i] += ratio ? v / level : v - level;
        present[i]++;
      }
    }
  }
  const levelSum = levels.reduce((a, b) => a + b, 0);
  const total = how === 'mean' ? levelSum / hosts.length : levelSum;
  const hostsFactor = how === 'mean' ? 1 : hosts.length;
  for (let i = 0; i < length; i++) {
    if (present[i] === 0) out[i] = NaN;
    else if (ratio) out[i] = (out[i] / present[i]) * total;
    else out[i] = (out[i] / present[i]) * hostsFactor + total;
  }
  return out;
}

/** The aggregation the policy gives a metric name (first matching pattern; `mean` otherwise). */
export function aggregationFor(metric: string, policy: Policy): HostAggregation {
  for (const rule of policy.aggregation) if (new RegExp(rule.pattern, 'i').test(metric)) return rule.aggregate;
  return 'mean';
}
