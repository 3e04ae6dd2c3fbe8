/**
 * Batch planning: which hosts go in which batch. Pure and deterministic (same order, same plan).
 * Every mode deals hosts round-robin from a list sorted by datacenter (or group) and name, so
 * batch sizes differ by at most one and each datacenter (group) is spread evenly over the
 * batches — the seed's 机房均分 / 分组均分 — and a bad batch never hits one datacenter whole.
 */
import type { ParsedOrder } from './order.js';

type Host = ParsedOrder['hosts'][number];
type Batching = ParsedOrder['batching'];

/** Number of batches a batching asks for over `total` hosts (at least 1, at most `total`). */
export function batchCount(batching: Batching, total: number): number {
  if (total === 0) return 0;
  const wanted =
    batching.by === 'datacenter' || batching.by === 'group' ? batching.batches
    : batching.by === 'count' ? Math.ceil(total / batching.size)
    : Math.ceil(total / Math.max(1, Math.ceil((total * batching.percent) / 100)));
  return Math.max(1, Math.min(total, wanted));
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Splits hosts into batches (host names, batch 1 first). O(n log n).
 * `count` batches hold at most `size` hosts; `percentage` at most ceil(percent% of the hosts).
 */
export function planBatches(hosts: readonly Host[], batching: Batching): string[][] {
  const n = batchCount(batching, hosts.length);
  const key = (h: Host) => (batching.by === 'group' ? (h.group ?? '') : h.datacenter);
  const sorted = [...hosts].sort((a, b) => compare(key(a), key(b)) || compare(a.name, b.name));
  const batches: string[][] = Array.from({ length: n }, () => []);
  sorted.forEach((h, i) => batches[i % n].push(h.name));
  return batches;
}
