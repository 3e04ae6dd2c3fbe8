/**
 * The metric-source port: where the gate's series come from when a caller sends queries instead
 * of inline values. The library and replay use the types; the service supplies implementations
 * (its own ingest store, InfluxDB) chosen at its composition root.
 */
import type { Aggregate } from '../core/regularize.js';
import type { Series } from '../core/series.js';

export interface MetricQuery {
  /** Metric name, e.g. `cpu.usage_user` (InfluxDB: `measurement.field`). */
  metric: string;
  hosts: string[];
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
  /** Output step in ms; every returned series is on the grid `start + i * step`. */
  step: number;
  /** How raw points inside one step combine (default `mean`). */
  aggregate?: Aggregate;
}

/** One regular series per requested host (all `NaN` where the host had no data). */
export type SeriesByHost = Record<string, Series>;

export interface MetricSource {
  readonly name: string;
  query(query: MetricQuery, signal?: AbortSignal): Promise<SeriesByHost>;
}

/** Number of grid points a query spans. */
export function pointsIn(query: Pick<MetricQuery, 'start' | 'end' | 'step'>): number {
  return Math.max(0, Math.ceil((query.end - query.start) / query.step));
}
