/**
 * The embedded log store behind the service's own log ingest: exception events in one SQLite
 * file in the data dir (WAL, `synchronous = FULL`, like the metric ingest), so an event
 * acknowledged to a client is on disk. One row per (host, signature, at); an event re-sent for
 * the same host, signature and millisecond replaces the earlier one, so a retried write does not
 * count twice (several occurrences in one millisecond are sent as one event with `count`).
 * Hosts and signatures are stored once each and referred to by number: a signature is tens of
 * bytes and a fleet logs the same few over and over.
 */
import type Database from 'better-sqlite3';
import type { CaseLog } from '../../../src/datasets/case.js';
import { logLevels, type LogLevel, type LogQuery, type LogSource } from '../../../src/sources/log-source.js';
import { deleteBeforePerKey, openSqlite } from '../store/open-sqlite.js';

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
  private readonly hostIds = new Map<string, number>();
  private readonly signatureIds = new Map<string, number>();
  private readonly insertName: Record<'hosts' | 'signatures', Database.Statement>;
  private readonly findName: Record<'hosts' | 'signatures', Database.Statement>;
  private readonly writeMany: (events: readonly LogEvent[]) => void;

  constructor(file: string) {
    this.db = openSqlite(file);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS hosts (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      CREATE TABLE IF NOT EXISTS signatures (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      CREATE TABLE IF NOT EXISTS events (
        host INTEGER NOT NULL, at INTEGER NOT NULL, signature INTEGER NOT NULL, level INTEGER NOT NULL,
        count INTEGER NOT NULL, message TEXT, PRIMARY KEY (host, at, signature)) WITHOUT ROWID;
    `);
    this.insert = this.db.prepare('INSERT OR REPLACE INTO events (host, at, signature, level, count, message) VALUES (?, ?, ?, ?, ?, ?)');
    this.insertName = { hosts: this.db.prepare('INSERT OR IGNORE INTO hosts (name) VALUES (?)'), signatures: this.db.prepare('INSERT OR IGNORE INTO signatures (name) VALUES (?)') };
    this.findName = { hosts: this.db.prepare('SELECT id FROM hosts WHERE name = ?'), signatures: this.db.prepare('SELECT id FROM signatures WHERE name = ?') };
    // Buckets by integer division of the row's offset from the query start (at >= start, so never
    // negative); JS numbers bind as REAL, hence the casts.
    this.selectAll = this.db.prepare(
      `SELECT (e.at - CAST($start AS INTEGER)) / CAST($step AS INTEGER) AS bucket, s.name, e.level, SUM(e.count) AS n
       FROM events e JOIN signatures s ON s.id = e.signature
       WHERE e.host = $host AND e.at >= $start AND e.at < $end GROUP BY bucket, s.name, e.level ORDER BY bucket, s.name`,
    ).raw(true);
    this.writeMany = this.db.transaction((events: readonly LogEvent[]) => {
      for (const e of events) {
        const host = this.idOf('hosts', e.host, true)!;
        const signature = this.idOf('signatures', e.signature, true)!;
        this.insert.run(host, Math.round(e.at), signature, logLevels.indexOf(e.level), e.count ?? 1, e.message?.slice(0, MAX_MESSAGE) ?? null);
      }
    });
  }

  /** The number standing for a host or signature name (created when `create`; undefined if unknown). */
  private idOf(table: 'hosts' | 'signatures', name: string, create: boolean): number | undefined {
    const cache = table === 'hosts' ? this.hostIds : this.signatureIds;
    let id = cache.get(name);
    if (id !== undefined) return id;
    if (create) this.insertName[table].run(name);
    id = (this.findName[table].get(name) as { id: number } | undefined)?.id;
    if (id !== undefined) cache.set(name, id);
    return id;
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

  /**
   * Retention: deletes every event before `before` (epoch ms), host by host along the primary key.
   * Returns how many events (rows) went.
   */
  prune(before: number): number {
    return deleteBeforePerKey(this.db, 'SELECT id FROM hosts', 'DELETE FROM events WHERE host = ? AND at < ?', before);
  }

  /** Occurrences stored in all (sum of counts), for metrics and tests. */
  count(): number {
    return (this.db.prepare('SELECT COALESCE(SUM(count), 0) AS n FROM events').get() as { n: number }).n;
  }

  async query(query: LogQuery): Promise<CaseLog[]> {
    if (!(query.step > 0) || !(query.end > query.start)) return [];
    const levels = query.levels ? new Set<number>(query.levels.map((l) => logLevels.indexOf(l))) : null;
    const out: CaseLog[] = [];
    for (const host of query.hosts) {
      const id = this.idOf('hosts', host, false);
      if (id === undefined) continue;
      const rows = this.selectAll.all({ host: id, start: Math.round(query.start), end: Math.round(query.end), step: Math.round(query.step) }) as [number, string, number, number][];
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
