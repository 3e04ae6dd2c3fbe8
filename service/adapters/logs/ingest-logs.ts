/**
 * The embedded log store behind the service's own log ingest: exception events in one SQLite
 * file in the data dir (WAL, `synchronous = FULL`, like the metric ingest), so an event
 * acknowledged to a client is on disk. One row per (host, signature, at); an event re-sent for
 * the same host, signature and millisecond replaces the earlier one, so a retried write does not
 * count twice (several occurrences in one millisecond are sent as one event with `count`).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CaseLog } from '../../../src/datasets/case.js';
import type { LogLevel, LogQuery, LogSource } from '../../../src/sources/log-source.js';

export interface LogEvent {
  host: string;
  /** Epoch ms. */
  at: number;
  /** Exception signature, e.g. `java.lang.NullPointerException at Cart.total`. */
  signature: string;
  level: LogLevel;
  message?: string;
  /** Occurrences this event stands for (default 1). */
  count?: number;
}

/** Longest message kept; the gate reads signatures, the message is for people. */
const MAX_MESSAGE = 2_000;

export class IngestLogs implements LogSource {
  readonly name = 'ingest-logs';
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly selectAll: Database.Statement;
  private readonly writeMany: (events: readonly LogEvent[]) => void;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS log_events (
        host TEXT NOT NULL, at INTEGER NOT NULL, signature TEXT NOT NULL, level TEXT NOT NULL,
        count INTEGER NOT NULL, message TEXT, PRIMARY KEY (host, at, signature)) WITHOUT ROWID;
    `);
    this.insert = this.db.prepare('INSERT OR REPLACE INTO log_events (host, at, signature, level, count, message) VALUES (?, ?, ?, ?, ?, ?)');
    // Buckets by integer division of the row's offset from the query start (at >= start, so never
    // negative); JS numbers bind as REAL, hence the casts.
    this.selectAll = this.db.prepare(
      `SELECT (at - CAST($start AS INTEGER)) / CAST($step AS INTEGER) AS bucket, signature, level, SUM(count) AS n FROM log_events
       WHERE host = $host AND at >= $start AND at < $end GROUP BY bucket, signature, level ORDER BY bucket, signature`,
    ).raw(true);
    this.writeMany = this.db.transaction((events: readonly LogEvent[]) => {
      for (const e of events) this.insert.run(e.host, Math.round(e.at), e.signature, e.level, e.count ?? 1, e.message?.slice(0, MAX_MESSAGE) ?? null);
    });
  }

  /**
   * Writes events in one transaction; when it returns they are durable. Events of one call with
   * the same host, signature and millisecond add up. Returns how many events were accepted.
   */
  write(events: readonly LogEvent[]): number {
    if (events.length === 0) return 0;
    const merged = new Map<string, LogEvent>();
    for (const e of events) {
      const key = `${e.host}\u0000${Math.round(e.at)}\u0000${e.signature}`;
      const known = merged.get(key);
      merged.set(key, known ? { ...e, count: (known.count ?? 1) + (e.count ?? 1) } : e);
    }
    this.writeMany([...merged.values()]);
    return events.length;
  }

  /** Occurrences stored in all (sum of counts), for metrics and tests. */
  count(): number {
    return (this.db.prepare('SELECT COALESCE(SUM(count), 0) AS n FROM log_events').get() as { n: number }).n;
  }

  async query(query: LogQuery): Promise<CaseLog[]> {
    if (!(query.step > 0) || !(query.end > query.start)) return [];
    const levels = query.levels ? new Set<string>(query.levels) : null;
    const out: CaseLog[] = [];
    for (const host of query.hosts) {
      const rows = this.selectAll.all({ host, start: Math.round(query.start), end: Math.round(query.end), step: Math.round(query.step) }) as [number, string, string, number][];
      let last: CaseLog | null = null;
      for (const [bucket, signature, level, n] of rows) {
        if (levels && !levels.has(level)) continue;
        const t = query.start + bucket * query.step;
        // The same signature logged at two levels in one step is one event of the case.
        if (last && last.t === t && last.signature === signature) last.count += n;
        else out.push((last = { host, t, signature, count: n }));
      }
    }
    return out;
  }

  close(): void {
    this.db.close();
  }
}
