/**
 * The fleet's own record of what it reported: one growing Float64Array per (metric, host), one
 * slot per minute from `origin`. It answers metric queries like the ingest store does (same grid,
 * same aggregation through `regularize`), but from memory: judging a batch of a 200-host fleet
 * reads two days of six metrics for every host each minute, which the demo's accelerated clock
 * asks for several times a second.
 */
import { regularize } from '../../src/core/regularize.js';
import { series } from '../../src/core/series.js';
import type { MetricQuery, MetricSource, SeriesByHost } from '../../src/sources/metric-source.js';
import { MINUTE } from './model.js';

export class MinuteStore implements MetricSource {
  readonly name = 'fleet';
  private readonly columns = new Map<string, Map<string, Float64Array>>();
  /** Minutes written so far (slot `length - 1` is the last). */
  private length = 0;

  /** `origin`: epoch ms of slot 0, a whole minute. */
  constructor(readonly origin: number, private capacity = 4096) {
    if (origin % MINUTE !== 0) throw new RangeError(`MinuteStore: origin must be a whole minute, got ${origin}`);
  }

  /** Epoch ms of the last minute written (origin − 1 minute when empty). */
  get until(): number {
    return this.origin + (this.length - 1) * MINUTE;
  }

  /** Writes one minute of `host` into `slot`: `values[k]` of `metrics[k]`. */
  put(metrics: readonly string[], host: string, slot: number, values: readonly number[]): void {
    if (slot >= this.capacity) this.grow(slot + 1);
    for (let k = 0; k < metrics.length; k++) this.column(metrics[k], host)[slot] = values[k];
  }

  /** Marks slots up to `slot` as written (queries see them from now on). */
  commit(slot: number): void {
    this.length = Math.max(this.length, slot + 1);
  }

  /** The value of `metric` on `host` in `slot` (NaN when never written). */
  value(metric: string, host: string, slot: number): number {
    return slot < this.length ? (this.columns.get(metric)?.get(host)?.[slot] ?? NaN) : NaN;
  }

  /** Slots written so far. */
  get slots(): number {
    return this.length;
  }

  async query(query: MetricQuery): Promise<SeriesByHost> {
    const out: SeriesByHost = {};
    const n = Math.max(0, Math.ceil((query.end - query.start) / query.step));
    const byHost = this.columns.get(query.metric);
    const aligned = query.step === MINUTE && (query.start - this.origin) % MINUTE === 0 && (query.aggregate ?? 'mean') !== 'count';
    for (const host of query.hosts) {
      const column = byHost?.get(host);
      const values = new Float64Array(n).fill(NaN);
      if (!column) {
        out[host] = series(query.start, query.step, values);
        continue;
      }
      if (aligned) {
        // One value per minute already: copy the overlapping slots.
        const first = (query.start - this.origin) / MINUTE;
        for (let i = Math.max(0, -first); i < n && first + i < this.length; i++) values[i] = column[first + i];
        out[host] = { start: query.start, step: query.step, values };
        continue;
      }
      const from = Math.max(0, Math.ceil((query.start - this.origin) / MINUTE));
      const to = Math.min(this.length, Math.ceil((query.start + n * query.step - this.origin) / MINUTE));
      // Only minutes with a value, as the ingest store keeps only points it was sent.
      let present = 0;
      for (let slot = from; slot < to; slot++) if (!Number.isNaN(column[slot])) present++;
      if (present === 0) {
        out[host] = series(query.start, query.step, values);
        continue;
      }
      const t = new Float64Array(present);
      const v = new Float64Array(present);
      for (let slot = from, i = 0; slot < to; slot++) {
        if (Number.isNaN(column[slot])) continue;
        t[i] = this.origin + slot * MINUTE;
        v[i++] = column[slot];
      }
      out[host] = regularize({ t, v }, { step: query.step, start: query.start, end: query.start + n * query.step, alignment: 'start', aggregate: query.aggregate ?? 'mean' }).series;
    }
    return out;
  }

  private column(metric: string, host: string): Float64Array {
    let byHost = this.columns.get(metric);
    if (!byHost) this.columns.set(metric, (byHost = new Map()));
    let column = byHost.get(host);
    if (!column) byHost.set(host, (column = new Float64Array(this.capacity).fill(NaN)));
    return column;
  }

  private grow(needed: number): void {
    let capacity = this.capacity;
    while (capacity < needed) capacity *= 2;
    for (const byHost of this.columns.values()) {
      for (const [host, column] of byHost) {
        const larger = new Float64Array(capacity).fill(NaN);
        larger.set(column);
        byHost.set(host, larger);
      }
    }
    this.capacity = capacity;
  }
}
