/**
 * InfluxDB 1.x as a metric source, through the `influx` client. A metric name is
 * `measurement.field` (split at the last dot, as the ingest names line-protocol fields); the host is
 * the `host` tag. One query per metric asks for every requested host at once, grouped by host and
 * by the step, and the answer is laid on the exact grid the caller asked for.
 */
import { escape, InfluxDB } from 'influx';
import type { Aggregate } from '../../../src/core/regularize.js';
import { regularize } from '../../../src/core/regularize.js';
import { series } from '../../../src/core/series.js';
import type { SeriesByHost, MetricQuery, MetricSource } from '../../../src/sources/metric-source.js';

export interface InfluxSourceOptions {
  host: string;
  port: number;
  database: string;
  username?: string;
  password?: string;
  /** Tag that names the host (default `host`). */
  hostTag?: string;
  /** Per-request timeout in ms (default 10 s). */
  timeoutMs?: number;
}

const SELECTORS: Record<Aggregate, (field: string) => string> = {
  mean: (f) => `MEAN(${f})`,
  sum: (f) => `SUM(${f})`,
  min: (f) => `MIN(${f})`,
  max: (f) => `MAX(${f})`,
  p95: (f) => `PERCENTILE(${f}, 95)`,
  count: (f) => `COUNT(${f})`,
  last: (f) => `LAST(${f})`,
};

/** Splits `cpu.usage_user` into measurement `cpu` and field `usage_user`. */
export function splitMetric(metric: string): { measurement: string; field: string } {
  const dot = metric.lastIndexOf('.');
  if (dot <= 0 || dot === metric.length - 1) throw new RangeError(`metric '${metric}' must be 'measurement.field'`);
  return { measurement: metric.slice(0, dot), field: metric.slice(dot + 1) };
}

const regexEscape = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

export class InfluxSource implements MetricSource {
  readonly name = 'influxdb';
  readonly client: InfluxDB;
  private readonly hostTag: string;

  constructor(readonly options: InfluxSourceOptions) {
    this.hostTag = options.hostTag ?? 'host';
    this.client = new InfluxDB({
      host: options.host,
      port: options.port,
      database: options.database,
      username: options.username,
      password: options.password,
      pool: { requestTimeout: options.timeoutMs ?? 10_000, maxRetries: 0 },
    });
  }

  /** The InfluxQL text for a query; public so tests and logs can show it. */
  queryText(query: MetricQuery): string {
    const { measurement, field } = splitMetric(query.metric);
    const hosts = query.hosts.map(regexEscape).join('|');
    const select = SELECTORS[query.aggregate ?? 'mean'](escape.quoted(field));
    const from = escape.quoted(measurement);
    const tag = escape.quoted(this.hostTag);
    // GROUP BY time() buckets align to the epoch plus an offset; the offset puts them on the caller's grid.
    const offset = ((query.start % query.step) + query.step) % query.step;
    return `SELECT ${select} AS v FROM ${from} WHERE ${tag} =~ /^(${hosts})$/ AND time >= ${query.start}ms AND time < ${query.end}ms GROUP BY time(${query.step}ms, ${offset}ms), ${tag} fill(none)`;
  }

  async query(query: MetricQuery): Promise<SeriesByHost> {
    const length = Math.max(0, Math.ceil((query.end - query.start) / query.step));
    const out: SeriesByHost = {};
    for (const host of query.hosts) out[host] = series(query.start, query.step, new Float64Array(length).fill(NaN));
    if (query.hosts.length === 0 || length === 0) return out;
    const groups = await this.client.queryRaw(this.queryText(query), { precision: 'ms' });
    const resultSeries = (groups as { results?: { series?: { tags?: Record<string, string>; values?: [number, number | null][] }[]; error?: string }[] }).results?.[0];
    if (resultSeries?.error) throw new Error(`influxdb: ${resultSeries.error}`);
    for (const s of resultSeries?.series ?? []) {
      const host = s.tags?.[this.hostTag];
      if (!host || !(host in out)) continue;
      const rows = s.values ?? [];
      const t = rows.map((r) => Number(r[0]));
      const v = rows.map((r) => (r[1] === null ? NaN : Number(r[1])));
      out[host] = regularize({ t, v }, { step: query.step, start: query.start, end: query.start + length * query.step, alignment: 'start' }).series;
    }
    return out;
  }
}
