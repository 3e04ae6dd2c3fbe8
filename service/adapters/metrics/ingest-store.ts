/**
 * The embedded metric store behind the service's own ingest: points in one SQLite file
 * (WAL, `synchronous = FULL`), so a write acknowledged to a client is on disk. One row per
 * (metric, host, t); a point re-sent for the same time replaces the earlier one, as in InfluxDB.
 */
import type Database from 'better-sqlite3';
import { regularize } from '../../../src/core/regularize.js';
import { series } from '../../../src/core/series.js';
import type { SeriesByHost, MetricQuery, MetricSource } from '../../../src/sources/metric-source.js';
import { deleteBeforePerKey, openSqlite } from '../store/open-sqlite.js';

export interface IngestPoint {
  metric: string;
  host: string;
  /** Epoch ms. */
  t: number;
  v: number;
}

export class IngestStore implements MetricSource {
  readonly name = 'ingest';
  private readonly db: Database.Database;
  private readonly seriesIds = new Map<string, number>();
  private readonly insertPoint: Database.Statement;
  private readonly insertSeries: Database.Statement;
  private readonly findSeries: Database.Statement;
  private readonly selectRange: Database.Statement;
  private readonly writeMany: (points: readonly IngestPoint[]) => void;

  constructor(file: string) {
    this.db = openSqlite(file);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, metric TEXT NOT NULL, host TEXT NOT NULL, UNIQUE (metric, host));
      CREATE TABLE IF NOT EXISTS points (series INTEGER NOT NULL, t INTEGER NOT NULL, v REAL NOT NULL, PRIMARY KEY (series, t)) WITHOUT ROWID;
    `);
    this.insertPoint = this.db.prepare('INSERT OR REPLACE INTO points (series, t, v) VALUES (?, ?, ?)');
    this.insertSeries = this.db.prepare('INSERT OR IGNORE INTO series (metric, host) VALUES (?, ?)');
    this.findSeries = this.db.prepare('SELECT id FROM series WHERE metric = ? AND host = ?');
    this.selectRange = this.db.prepare('SELECT t, v FROM points WHERE series = ? AND t >= ? AND t < ? ORDER BY t').raw(true);
    this.writeMany = this.db.transaction((points: readonly IngestPoint[]) => {
      for (const p of points) this.insertPoint.run(this.seriesId(p.metric, p.host, true), Math.round(p.t), p.v);
    });
  }

  private seriesId(metric: string, host: string, create: boolean): number | undefined {
    const key = `${metric}\u0000${host}`;
    let id = this.seriesIds.get(key);
    if (id !== undefined) return id;
    if (create) this.insertSeries.run(metric, host);
    const row = this.findSeries.get(metric, host) as { id: number } | undefined;
    id = row?.id;
    if (id !== undefined) this.seriesIds.set(key, id);
    return id;
  }

  /**
   * Writes points in one transaction; when it returns they are durable. Non-finite values are
   * the caller's to reject before this point.
   */
  write(points: readonly IngestPoint[]): number {
    if (points.length > 0) this.writeMany(points);
    return points.length;
  }

  /**
   * Retention: deletes every point before `before` (epoch ms), series by series along the primary
   * key (no scan of the whole table). Returns how many points went.
   */
  prune(before: number): number {
    return deleteBeforePerKey(this.db, 'SELECT id FROM series', 'DELETE FROM points WHERE series = ? AND t < ?', before);
  }

  /** Points stored in all, for metrics and tests. */
  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM points').get() as { n: number }).n;
  }

  async query(query: MetricQuery): Promise<SeriesByHost> {
    const out: SeriesByHost = {};
    const length = Math.max(0, Math.ceil((query.end - query.start) / query.step));
    for (const host of query.hosts) {
      const id = this.seriesId(query.metric, host, false);
      const rows = id === undefined ? [] : (this.selectRange.all(id, query.start, query.end) as [number, number][]);
      if (rows.length === 0) {
        out[host] = series(query.start, query.step, new Float64Array(length).fill(NaN));
        continue;
      }
      const t = new Float64Array(rows.length);
      const v = new Float64Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        t[i] = rows[i][0];
        v[i] = rows[i][1];
      }
      out[host] = regularize({ t, v }, { step: query.step, start: query.start, end: query.start + length * query.step, alignment: 'start', aggregate: query.aggregate ?? 'mean' }).series;
    }
    return out;
  }

  close(): void {
    this.db.close();
  }
}
