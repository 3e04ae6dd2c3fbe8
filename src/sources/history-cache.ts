/**
 * A metric source that remembers the settled past. The gate judges a batch every minute of its
 * observation window, and each time its query spans the same history (two days before the
 * release) plus the minutes since: read whole, that is every point of the history again each
 * minute — over a second on the service's own thread for 6 metrics × 80 hosts from the built-in
 * SQLite ingest. Here each (metric, aggregate, step, start, host) keeps the points of its query
 * that had settled, and a later query with the same start reads only from where that ends.
 *
 * A point counts as settled once its whole step lies `settleMs` before `now()`: agents report late
 * and the last minutes before a release may still be arriving when it is first judged. A point
 * that arrives later than that is not seen until the entry is evicted — the same assumption the
 * gate's cache of fitted history makes, and the one query caches in front of time-series
 * databases make.
 *
 * Returned series are always fresh arrays (callers may hand them to a worker and detach them);
 * the cache holds its own copies, at most `maxBytes` of them, least recently used evicted first.
 */
import { LruCache } from '../core/lru.js';
import { series } from '../core/series.js';
import { pointsIn, type MetricQuery, type MetricSource, type SeriesByHost } from './metric-source.js';

export interface HistoryCacheOptions {
  /** Epoch ms now, on the clock the points are stamped with. */
  now: () => number;
  /** Most bytes of cached points (8 a point); default 256 MiB. */
  maxBytes?: number;
  /** How long before `now()` a step must have ended to be cached, ms; default 5 minutes. */
  settleMs?: number;
}

export interface HistoryCacheStats {
  /** Points served from the cache, and read from the source (since the start). */
  pointsCached: number;
  pointsRead: number;
  /** Bytes and entries (one per metric, aggregate, step, start and host) held now. */
  bytes: number;
  entries: number;
}

export interface CachingSource extends MetricSource {
  stats(): HistoryCacheStats;
}

/** `source` with its settled past remembered (see the module comment). */
export function cachingHistory(source: MetricSource, options: HistoryCacheOptions): CachingSource {
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  const settleMs = options.settleMs ?? 5 * 60_000;
  const entries = new LruCache<Float64Array>(maxBytes);
  let pointsCached = 0;
  let pointsRead = 0;
  const remember = (key: string, values: Float64Array): void => {
    if (values.byteLength <= maxBytes) entries.set(key, values, values.byteLength);
  };

  return {
    name: source.name,
    stats: () => ({ pointsCached, pointsRead, bytes: entries.bytes, entries: entries.size }),
    async query(query: MetricQuery, signal?: AbortSignal): Promise<SeriesByHost> {
      const length = pointsIn(query);
      const settled = Math.max(0, Math.min(length, Math.floor((options.now() - settleMs - query.start) / query.step)));
      const keyOf = (host: string) => `${query.metric}\u0000${query.aggregate ?? 'mean'}\u0000${query.step}\u0000${query.start}\u0000${host}`;
      // Hosts by how many points the cache already has for them (usually all alike).
      const byPrefix = new Map<number, string[]>();
      const cached = new Map<string, Float64Array>();
      for (const host of query.hosts) {
        const prefix = entries.get(keyOf(host));
        let from = 0;
        if (prefix) {
          from = Math.min(prefix.length, length);
          cached.set(host, prefix);
        }
        const group = byPrefix.get(from);
        if (group) group.push(host);
        else byPrefix.set(from, [host]);
      }
      const out: SeriesByHost = {};
      for (const [from, hosts] of byPrefix) {
        const read = from < length ? await source.query({ ...query, hosts, start: query.start + from * query.step }, signal) : {};
        for (const host of hosts) {
          const values = new Float64Array(length).fill(NaN);
          const prefix = cached.get(host);
          if (prefix && from > 0) values.set(prefix.subarray(0, from));
          const fresh = read[host]?.values;
          if (fresh) values.set(fresh.subarray(0, length - from), from);
          pointsCached += from;
          pointsRead += length - from;
          if (settled > from) remember(keyOf(host), values.slice(0, settled));
          out[host] = series(query.start, query.step, values);
        }
      }
      return out;
    },
  };
}
