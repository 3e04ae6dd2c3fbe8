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
import type { CaseLog } from '../datasets/case.js';
import type { LogQuery, LogSource } from './log-source.js';
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

/**
 * How many of the `length` steps from `query.start` ended by `settledBy` (epoch ms) and lie whole
 * inside the query: a last step cut short by `end` holds only part of its points or events.
 */
function settledPoints(query: { start: number; end: number; step: number }, length: number, settledBy: number): number {
  return Math.max(0, Math.min(wholeSteps(query, length), Math.floor((settledBy - query.start) / query.step)));
}

/**
 * How many of a query's steps lie whole inside it: a cached step may serve only those, since a last
 * step cut short by `end` holds fewer points or events than the whole step the cache remembers.
 */
function wholeSteps(query: { start: number; end: number; step: number }, length: number): number {
  return Math.max(0, Math.min(length, Math.floor((query.end - query.start) / query.step)));
}

/** Hosts by how many steps the cache already holds for them (`prefixOf`): usually all alike, one read. */
function groupByPrefix(hosts: readonly string[], prefixOf: (host: string) => number): Map<number, string[]> {
  const groups = new Map<number, string[]>();
  for (const host of hosts) {
    const from = prefixOf(host);
    const group = groups.get(from);
    if (group) group.push(host);
    else groups.set(from, [host]);
  }
  return groups;
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
      const whole = wholeSteps(query, length);
      const settled = settledPoints(query, length, options.now() - settleMs);
      const keyOf = (host: string) => `${query.metric}\u0000${query.aggregate ?? 'mean'}\u0000${query.step}\u0000${query.start}\u0000${host}`;
      const cached = new Map<string, Float64Array>();
      const byPrefix = groupByPrefix(query.hosts, (host) => {
        const prefix = entries.get(keyOf(host));
        if (!prefix) return 0;
        cached.set(host, prefix);
        return Math.min(prefix.length, whole);
      });
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

export interface LogCacheOptions {
  now: () => number;
  /** Most events held; default 1 000 000 (about 150 MB). */
  maxEvents?: number;
  /** As for `cachingHistory`; default 5 minutes. */
  settleMs?: number;
}

export interface CachingLogSource extends LogSource {
  stats(): { eventsCached: number; eventsRead: number; events: number; entries: number };
}

/**
 * A log source that remembers the settled past, as `cachingHistory` does for metrics: per
 * (start, step, levels, host), the events of the steps that had settled, so that a later query
 * with the same start reads only from where they end. Two days of exception events of 80 hosts
 * are about a second of SQLite reads. Cached events are frozen, since every later answer shares
 * them; the arrays returned are fresh.
 */
export function cachingLogs(source: LogSource, options: LogCacheOptions): CachingLogSource {
  const settleMs = options.settleMs ?? 5 * 60_000;
  const entries = new LruCache<{ events: CaseLog[]; points: number }>(options.maxEvents ?? 1_000_000);
  let eventsCached = 0;
  let eventsRead = 0;
  return {
    name: source.name,
    stats: () => ({ eventsCached, eventsRead, events: entries.bytes, entries: entries.size }),
    async query(query: LogQuery, signal?: AbortSignal): Promise<CaseLog[]> {
      if (!(query.step > 0) || !(query.end > query.start)) return source.query(query, signal);
      const length = pointsIn(query);
      const whole = wholeSteps(query, length);
      const settled = settledPoints(query, length, options.now() - settleMs);
      const levels = query.levels ? [...query.levels].sort().join(',') : '*';
      const keyOf = (host: string) => `${query.start}\u0000${query.step}\u0000${levels}\u0000${host}`;
      const cached = new Map<string, { events: CaseLog[]; points: number }>();
      const fromOf = new Map<string, number>();
      const byPrefix = groupByPrefix(query.hosts, (host) => {
        const entry = entries.get(keyOf(host));
        if (entry) cached.set(host, entry);
        const from = entry ? Math.min(entry.points, whole) : 0;
        fromOf.set(host, from);
        return from;
      });
      const fresh = new Map<string, CaseLog[]>();
      for (const [from, hosts] of byPrefix) {
        for (const host of hosts) fresh.set(host, []);
        if (from >= length) continue;
        for (const e of await source.query({ ...query, hosts, start: query.start + from * query.step }, signal)) fresh.get(e.host)?.push(e);
      }
      const out: CaseLog[] = [];
      for (const host of query.hosts) {
        const from = fromOf.get(host) ?? 0;
        const before = cached.get(host)?.events ?? [];
        const servedEnd = query.start + from * query.step;
        const kept = from < (cached.get(host)?.points ?? 0) ? before.filter((e) => e.t < servedEnd) : before;
        const read = fresh.get(host) ?? [];
        for (const e of kept) out.push(e);
        for (const e of read) out.push(e);
        eventsCached += kept.length;
        eventsRead += read.length;
        if (settled > from) {
          const settledEnd = query.start + settled * query.step;
          const events = [...kept];
          for (const e of read) if (e.t < settledEnd) events.push(Object.freeze(e));
          if (events.length <= entries.maxBytes) entries.set(keyOf(host), { events, points: settled }, events.length);
        }
      }
      return out;
    },
  };
}
