/**
 * Prometheus as a metric source, through its HTTP API (`/api/v1/query_range`).
 */
import { z } from 'zod';

export const prometheusOptionsSchema = z.object({
  /** Base URL of the Prometheus HTTP API, e.g. `http://prometheus:9090` (a path prefix is kept). */
  url: z.url(),
  /** Label that names the host (default `instance`; `host` for many exporters' relabelled targets). */
  hostLabel: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name').default('instance'),
}).strict();
export type PrometheusOptions = z.input<typeof prometheusOptionsSchema>;

import type { MetricQuery, MetricSource, SeriesByHost } from '../../../src/sources/metric-source.js';

export class PrometheusSource implements MetricSource {
  readonly name = 'prometheus';
  readonly options: z.output<typeof prometheusOptionsSchema>;
  constructor(options: PrometheusOptions) {
    this.options = prometheusOptionsSchema.parse(options);
  }
  async query(query: MetricQuery): Promise<SeriesByHost> {
    throw new Error(`prometheus: not implemented yet (${query.metric})`);
  }
}
