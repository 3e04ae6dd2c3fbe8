/**
 * The gate's cache of fitted models: a batch is judged every minute of its observation window,
 * and its history does not change between those evaluations, so each detector's `prepare` runs
 * once per (metric, group, history window, detector, config), and the gate's own history work
 * (hosts' levels, the groups' aggregates before the release, per-host means and noise) once per
 * (metric, hosts, history window, aggregation). A repeated evaluation then reads only the new
 * window. Keys name the history window, not its values: points arriving late for minutes before
 * the release are not seen until the window moves. What is kept of the observation window's own
 * minutes (the pooled view's per-minute centres, see `CentreMemo`) is checked against each
 * minute's values, so late points there are seen. Least recently used entries go first once
 * `capacity` entries (about five per metric) or `maxBytes` (the typed arrays they hold, see
 * `approximateBytes`) is exceeded; a week of minutes for one metric is about 240 KB, so a
 * service judging many wide batches at once is bounded by memory, not by a count.
 */
import { LruCache } from '../core/lru.js';

export class GateCache {
  // Boxed, so that a model that is `undefined` is a hit like any other.
  private readonly entries: LruCache<{ value: unknown }>;
  hits = 0;
  misses = 0;

  constructor(
    readonly capacity = 10_000,
    readonly maxBytes = 512 * 2 ** 20,
  ) {
    this.entries = new LruCache(maxBytes, capacity);
  }

  get<T>(key: string, make: () => T): T {
    const found = this.entries.get(key);
    if (found) {
      this.hits++;
      return found.value as T;
    }
    this.misses++;
    const value = make();
    this.entries.set(key, { value }, approximateBytes(value));
    return value;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Approximate bytes held by the entries. */
  get bytes(): number {
    return this.entries.bytes;
  }
}

/**
 * Approximate bytes a value keeps alive: the whole buffer behind each typed array (a view keeps
 * its buffer), counted once per buffer, 8 per number, 2 per string character, 16 per object or
 * array slot, through arrays, maps and plain objects to `depth` levels. O(size of the value).
 */
export function approximateBytes(value: unknown, depth = 6, seen: Set<unknown> = new Set()): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return 8;
  if (typeof value === 'string') return 2 * value.length;
  if (typeof value !== 'object' || seen.has(value)) return 0;
  seen.add(value);
  if (ArrayBuffer.isView(value)) {
    if (seen.has(value.buffer)) return 0;
    seen.add(value.buffer);
    return value.buffer.byteLength;
  }
  if (depth === 0) return 16;
  let bytes = 16;
  const values = value instanceof Map ? value.values() : Array.isArray(value) ? value : Object.values(value);
  for (const v of values) bytes += 16 + approximateBytes(v, depth - 1, seen);
  return bytes;
}
