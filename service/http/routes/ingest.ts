/**
 * Metric ingest: JSON batches and InfluxDB line protocol, at `/v1/metrics` and at InfluxDB's own
 * `/write` path so Telegraf's `outputs.influxdb` can point at Sluice unchanged. Points are on disk
 * before the answer goes out; bad lines are named and skipped, never the whole body lost.
 */
import { z } from 'zod';
import type { IngestStore } from '../../adapters/metrics/ingest-store.js';
import { parseLineProtocol, type Precision } from '../../ingest/line-protocol.js';
import { HttpError } from '../errors.js';
import type { ServiceMetrics } from '../metrics.js';
import { route, type RouteSpec } from '../route.js';

const MAX_REPORTED_ERRORS = 100;

const pointSchema = z.object({
  metric: z.string().min(1).max(512),
  host: z.string().min(1).max(512),
  t: z.number().int().describe('epoch ms'),
  v: z.number().finite(),
});

const precisionSchema = z.enum(['ns', 'us', 'ms', 's', 'u', 'n']).default('ns').transform((p): Precision => (p === 'u' ? 'us' : p === 'n' ? 'ns' : p));

export function ingestRoutes(ingest: IngestStore, metrics: ServiceMetrics, now: () => number): RouteSpec[] {
  const writeLines = (body: unknown, precision: Precision) => {
    const text = typeof body === 'string' ? body : '';
    const { points, errors } = parseLineProtocol(text, { precision, now: now() });
    const accepted = ingest.write(points);
    metrics.count('sluice_ingest_points_total', accepted);
    metrics.count('sluice_ingest_rejected_lines_total', errors.length);
    return { accepted, rejectedLines: errors.length, errors: errors.slice(0, MAX_REPORTED_ERRORS) };
  };
  return [
    route({
      method: 'post', path: '/v1/metrics', summary: 'Ingest a JSON batch of points', tag: 'metrics', scope: 'gate', audit: 'metrics.ingest',
      body: z.object({ points: z.array(pointSchema).max(1_000_000) }),
      handler: ({ body }) => {
        const accepted = ingest.write(body.points);
        metrics.count('sluice_ingest_points_total', accepted);
        return { body: { accepted }, target: 'metrics' };
      },
    }),
    route({
      method: 'post', path: '/v1/metrics/write', summary: 'Ingest InfluxDB line protocol; bad lines are reported by number and skipped', tag: 'metrics', scope: 'gate', audit: 'metrics.ingest', rawBody: true,
      query: z.object({ precision: precisionSchema }),
      handler: ({ body, query }) => {
        const result = writeLines(body, query.precision);
        if (result.accepted === 0 && result.rejectedLines > 0) {
          throw new HttpError(400, 'invalid_line_protocol', `body.line.${result.errors[0].line}`, result.errors[0].reason, result.errors.map((e) => ({ field: `body.line.${e.line}`, reason: e.reason })));
        }
        return { body: result, target: 'metrics' };
      },
    }),
    route({
      method: 'post', path: '/write', summary: 'InfluxDB 1.x compatible write (for Telegraf): 204 on success, 400 naming bad lines after writing the good ones', tag: 'metrics', scope: 'gate', audit: 'metrics.ingest', rawBody: true,
      query: z.object({ precision: precisionSchema, db: z.string().optional() }),
      handler: ({ body, query }) => {
        const result = writeLines(body, query.precision);
        if (result.rejectedLines > 0) {
          const first = result.errors[0];
          throw new HttpError(400, 'partial_write', `body.line.${first.line}`, `partial write: ${result.accepted} points written, ${result.rejectedLines} lines rejected; line ${first.line}: ${first.reason}`);
        }
        return { status: 204, target: 'metrics' };
      },
    }),
  ];
}
