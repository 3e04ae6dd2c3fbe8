/**
 * A batch described by flat parameters — what Argo Rollouts templates into a URL query or a JSON
 * body, and what Flagger carries in a webhook's `metadata` (a string → string map) — turned into
 * the gate's query. Every value may be a string; lists are comma-separated (or JSON arrays).
 *
 * | parameter    | meaning                                                                  |
 * | ------------ | ------------------------------------------------------------------------ |
 * | `app`        | application name                                                         |
 * | `released`   | hosts (pods, instances) running the new version                          |
 * | `unreleased` | control hosts still on the old version (optional, strongly advised)      |
 * | `metrics`    | `name[:category[:direction[:critical]]]`, comma-separated, or a JSON array of gate metrics |
 * | `deployedAt` | when the new version started: epoch ms or RFC 3339                       |
 * | `since`      | instead of `deployedAt`: a duration before now (`15m`, `1h`)             |
 * | `history`    | history before `deployedAt` for forecasts (duration; default 2 days)     |
 * | `step`       | series step (duration or ms; default 60 s)                               |
 * | `release`, `version`, `batch` | recorded with the evaluation                            |
 * | `policy`     | gate policy as JSON (partial)                                            |
 */
import { z } from 'zod';
import { metricCategories } from '../../src/datasets/case.js';
import { gateQuerySchema, type GateQuery } from '../gate/judge.js';
import { HttpError } from '../http/errors.js';

const scalar = z.union([z.string(), z.number()]);
const list = z.union([z.string(), z.array(z.string())]);

/** The flat parameters (unknown keys are dropped: Flagger metadata may carry other keys). */
export const batchParamsSchema = z.object({
  app: z.string().min(1),
  released: list,
  unreleased: list.optional(),
  metrics: z.union([z.string().min(1), z.array(z.union([z.string(), z.record(z.string(), z.unknown())])).min(1)]),
  deployedAt: scalar.optional(),
  since: scalar.optional(),
  history: scalar.optional(),
  until: scalar.optional(),
  step: scalar.optional(),
  release: z.string().min(1).optional(),
  version: z.string().min(1).optional(),
  batch: scalar.optional(),
  policy: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
});
export type BatchParams = z.input<typeof batchParamsSchema>;

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `15m`, `2h`, `1d`, `250ms` or a plain number of milliseconds → ms; null when unreadable. */
export function durationMs(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!match) return null;
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']);
}

/** Epoch ms (number or digits) or an RFC 3339 time → epoch ms; null when unreadable. */
export function instantMs(value: string | number): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (/^\s*-?\d+\s*$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  return Number.isFinite(parsed) ? parsed : null;
}

/** A comma/space-separated list or a JSON array of strings; throws on a JSON value that is not an array. */
function splitList(value: string | string[] | undefined): string[] {
  let items: string[];
  if (value === undefined) items = [];
  else if (Array.isArray(value)) items = value;
  else if (value.trim().startsWith('[')) {
    const parsed: unknown = JSON.parse(value);
    if (!Array.isArray(parsed)) throw new Error('expected a JSON array');
    items = parsed.map(String);
  } else items = value.split(/[\s,]+/);
  return items.map((item) => item.trim()).filter((item) => item.length > 0);
}

/** `name[:category[:direction[:critical]]]`; a name alone is an application metric judged both ways. */
function metricFromText(text: string): Record<string, unknown> {
  const [name, category = 'application', direction = 'both', critical] = text.split(':').map((part) => part.trim());
  return { name, category, direction, critical: critical === 'critical' || critical === 'true' };
}

function metricsFrom(value: z.output<typeof batchParamsSchema>['metrics']): unknown[] {
  if (typeof value === 'string') {
    if (value.trim().startsWith('[')) return JSON.parse(value) as unknown[];
    return splitList(value).map(metricFromText);
  }
  return value.map((item) => (typeof item === 'string' ? metricFromText(item) : item));
}

const bad = (field: string, reason: string) => new HttpError(400, 'invalid_input', field, reason);

/** Gate-query paths whose flat parameter has another name. */
const PARAM_OF: Record<string, string> = { 'release.deployedAt': 'deployedAt', 'release.id': 'release', 'release.version': 'version', 'release.batch': 'batch', historyFrom: 'history' };

/** Where a gate-query path comes from among the flat parameters. */
function paramOf(queryPath: string): string {
  if (queryPath.startsWith('hosts.')) return queryPath.split('.')[1];
  return PARAM_OF[queryPath] ?? queryPath;
}

export interface BatchRequest {
  query: GateQuery;
  policy: Record<string, unknown>;
  /** Maps a path inside the gate query to the caller's field, for errors found later. */
  fieldOf: (queryPath: string) => string;
}

/**
 * Turns flat parameters into a gate query and policy. Throws a 400 `HttpError` naming
 * `<prefix>.<parameter>` and the reason. `now` (epoch ms) resolves `since`.
 */
export function batchRequest(input: unknown, now: number, prefix: string): BatchRequest {
  const fieldOf = (queryPath: string) => `${prefix}.${paramOf(queryPath)}`;
  const parsed = batchParamsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw bad([prefix, ...issue.path.map(String)].join('.'), issue.message);
  }
  const p = parsed.data;
  let deployedAt: number | null;
  if (p.deployedAt !== undefined) {
    deployedAt = instantMs(p.deployedAt);
    if (deployedAt === null) throw bad(`${prefix}.deployedAt`, 'must be epoch milliseconds or an RFC 3339 time');
  } else if (p.since !== undefined) {
    const since = durationMs(p.since);
    if (since === null) throw bad(`${prefix}.since`, 'must be a duration such as 90s, 15m or 2h');
    deployedAt = now - since;
  } else {
    throw bad(`${prefix}.deployedAt`, 'is required: give deployedAt (epoch ms or RFC 3339) or since (a duration such as 15m)');
  }
  const optionalDuration = (name: 'history' | 'step', value: string | number | undefined) => {
    if (value === undefined) return undefined;
    const ms = durationMs(value);
    if (ms === null || ms <= 0) throw bad(`${prefix}.${name}`, 'must be a positive duration such as 60s, 15m or 2d');
    return ms;
  };
  const history = optionalDuration('history', p.history);
  const step = optionalDuration('step', p.step);
  const until = p.until === undefined ? undefined : instantMs(p.until);
  if (until === null) throw bad(`${prefix}.until`, 'must be epoch milliseconds or an RFC 3339 time');
  const batch = p.batch === undefined ? undefined : Number(p.batch);
  let metrics: unknown[];
  try {
    metrics = metricsFrom(p.metrics);
  } catch (error) {
    throw bad(`${prefix}.metrics`, `is not valid JSON: ${(error as Error).message}`);
  }
  const hostsOf = (name: 'released' | 'unreleased') => {
    try {
      return splitList(p[name]);
    } catch (error) {
      throw bad(`${prefix}.${name}`, `is not a list of hosts: ${(error as Error).message}`);
    }
  };
  const released = hostsOf('released');
  const unreleased = hostsOf('unreleased');
  const both = unreleased.find((host) => released.includes(host));
  if (both !== undefined) throw bad(`${prefix}.unreleased`, `host "${both}" is also listed as released`);
  let policy: Record<string, unknown> = {};
  if (typeof p.policy === 'string') {
    try {
      const value: unknown = JSON.parse(p.policy);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected a JSON object');
      policy = value as Record<string, unknown>;
    } catch (error) {
      throw bad(`${prefix}.policy`, `is not a JSON object: ${(error as Error).message}`);
    }
  } else if (p.policy) policy = p.policy;

  const candidate = {
    app: p.app,
    release: { id: p.release, version: p.version, batch, deployedAt },
    ...(step !== undefined ? { step } : {}),
    ...(history !== undefined ? { historyFrom: deployedAt - history } : {}),
    ...(until !== undefined ? { until } : {}),
    hosts: { released, unreleased },
    metrics,
  };
  const query = gateQuerySchema.safeParse(candidate);
  if (!query.success) {
    const issue = query.error.issues[0];
    const path = issue.path.map(String).join('.');
    const reason = path.startsWith('metrics.') && path.endsWith('.category') ? `${issue.message} (one of ${metricCategories.join(', ')})` : issue.message;
    throw bad(fieldOf(path), reason);
  }
  return { query: query.data, policy, fieldOf };
}
