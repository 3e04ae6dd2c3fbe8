/**
 * Log ingest: exception events as JSON lines (one object per line) or one JSON array, at
 * `/v1/logs/write`. Events are on disk before the answer goes out; a bad line is named (line
 * number and field) and skipped, never the whole body lost. The gate reads them back through the
 * log-source port as signature counts per host and minute.
 */
import { z } from 'zod';
import type { IngestLogs, LogEvent } from '../../adapters/logs/ingest-logs.js';
import { logLevels } from '../../../src/sources/log-source.js';
import { HttpError } from '../errors.js';
import type { ServiceMetrics } from '../metrics.js';
import { route, type RouteSpec } from '../route.js';

const MAX_REPORTED_ERRORS = 100;
const MAX_EVENTS = 1_000_000;

export const logEventSchema = z.object({
  host: z.string().min(1).max(512),
  at: z.number().int('must be an integer epoch ms').nonnegative(),
  signature: z.string().min(1).max(2_048),
  level: z.enum(logLevels),
  message: z.string().max(100_000).optional(),
  count: z.number().int().positive().max(1_000_000_000).optional(),
});

export interface LineError {
  /** 1-based line (JSON lines) or element number (array). */
  line: number;
  field: string;
  reason: string;
}

/**
 * Parses a body of JSON lines or one JSON array into events and per-line errors. A body that
 * starts with `[` but is not valid JSON is one error on line 1; blank lines are skipped.
 */
export function parseLogBody(text: string): { events: LogEvent[]; errors: LineError[] } {
  const events: LogEvent[] = [];
  const errors: LineError[] = [];
  const check = (value: unknown, line: number) => {
    const parsed = logEventSchema.safeParse(value);
    if (parsed.success) {
      events.push(parsed.data);
      return;
    }
    const issue = parsed.error.issues[0];
    errors.push({ line, field: ['body', 'line', String(line), ...issue.path.map(String)].join('.'), reason: issue.message });
  };
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    let items: unknown;
    try {
      items = JSON.parse(trimmed);
    } catch (error) {
      errors.push({ line: 1, field: 'body', reason: `not valid JSON: ${(error as Error).message}` });
      return { events, errors };
    }
    (items as unknown[]).forEach((item, i) => check(item, i + 1));
    return { events, errors };
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      errors.push({ line: i + 1, field: `body.line.${i + 1}`, reason: `not valid JSON: ${(error as Error).message}` });
      continue;
    }
    check(value, i + 1);
  }
  return { events, errors };
}

export function logRoutes(logs: IngestLogs, metrics: ServiceMetrics): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/v1/logs/write', summary: 'Ingest exception events (JSON lines or a JSON array); bad lines are reported by number and field and skipped', tag: 'logs', scope: 'gate', audit: 'logs.ingest', rawBody: true,
      handler: ({ body }) => {
        const { events, errors } = parseLogBody(typeof body === 'string' ? body : '');
        if (events.length + errors.length > MAX_EVENTS) throw new HttpError(413, 'body_too_large', 'body', `at most ${MAX_EVENTS} events per request`);
        if (events.length === 0 && errors.length > 0) {
          const first = errors[0];
          throw new HttpError(400, 'invalid_log_events', first.field, first.reason, errors.slice(0, MAX_REPORTED_ERRORS).map((e) => ({ field: e.field, reason: e.reason })));
        }
        const accepted = logs.write(events);
        metrics.count('sluice_ingest_log_events_total', accepted);
        metrics.count('sluice_ingest_rejected_log_lines_total', errors.length);
        return { body: { accepted, rejectedLines: errors.length, errors: errors.slice(0, MAX_REPORTED_ERRORS) }, target: 'logs' };
      },
    }),
  ];
}
