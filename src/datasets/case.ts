/**
 * The release case: one evaluated release batch, as the case interchange format (version 1)
 * describes it. Two shapes live here:
 *
 * - `Case`: the interchange shape, what one JSON file holds once parsed (`null` marks a missing
 *   point; unknown fields are dropped; `critical`, `unreleased` and `logs` get their defaults).
 * - `ParsedCase`: the in-memory shape the gate and replay work on, one `Float64Array` per host
 *   (`NaN` marks a missing point).
 *
 * `parseCase` turns anything into a `ParsedCase` or a list of issues naming the field and the
 * reason; `toCaseJson` goes back without loss.
 */
import { z } from 'zod';
import type { Direction, LogEvent } from '../core/detector.js';
import { type Series, series, slice, toJsonValues } from '../core/series.js';

const epochMs = z.number().int('must be an integer of epoch milliseconds');
const point = z.number().nullable();

/** The five metric categories of the seed deck: system, container, middleware, application, business. */
export const metricCategories = ['system', 'container', 'middleware', 'application', 'business'] as const;
export type MetricCategory = (typeof metricCategories)[number];

export const caseMetricSchema = z.object({
  name: z.string().min(1),
  category: z.enum(metricCategories),
  direction: z.enum(['up', 'down', 'both']),
  critical: z.boolean().default(false),
  released: z.record(z.string().min(1), z.array(point)),
  unreleased: z.record(z.string().min(1), z.array(point)).default({}),
});

export const caseLogSchema = z.object({
  host: z.string().min(1),
  t: epochMs,
  signature: z.string().min(1),
  count: z.number().int().nonnegative(),
});

export const caseLabelSchema = z.object({
  bad: z.boolean(),
  metrics: z.array(z.string()).default([]),
  kind: z.string().min(1).optional(),
});

/** Zod schema of one case file (format version 1). Unknown fields are accepted and dropped. */
export const caseSchema = z.object({
  id: z.string().min(1),
  app: z.string(),
  release: z.object({
    id: z.string().optional(),
    version: z.string().optional(),
    batch: z.number().int().nonnegative().optional(),
    deployedAt: epochMs,
  }),
  step: z.number().int().positive('must be a positive integer of milliseconds'),
  start: epochMs,
  metrics: z.array(caseMetricSchema).min(1, 'needs at least one metric'),
  logs: z.array(caseLogSchema).default([]),
  label: caseLabelSchema.optional(),
});

/** One case in its interchange shape (defaults filled, unknown fields dropped). */
export type Case = z.output<typeof caseSchema>;
export type CaseMetric = z.output<typeof caseMetricSchema>;
export type CaseLabel = z.output<typeof caseLabelSchema>;
export type CaseLog = z.output<typeof caseLogSchema>;

/** One host's values for one metric; `NaN` marks a missing point. */
export interface HostSeries {
  host: string;
  values: Float64Array;
}

export interface ParsedMetric {
  name: string;
  category: MetricCategory;
  direction: Direction;
  critical: boolean;
  /** Hosts in file order. */
  released: HostSeries[];
  unreleased: HostSeries[];
}

/** A case in memory: the interchange fields with typed arrays in place of JSON arrays. */
export interface ParsedCase {
  id: string;
  app: string;
  release: Case['release'];
  /** Milliseconds between points. */
  step: number;
  /** Epoch ms of point 0 of every series. */
  start: number;
  metrics: ParsedMetric[];
  logs: LogEvent[];
  label?: CaseLabel;
}

/** A problem with one case: the dotted path of the field and the reason. */
export interface CaseIssue {
  path: string;
  message: string;
}

export type CaseParse = { ok: true; value: ParsedCase } | { ok: false; issues: CaseIssue[] };

/**
 * Validates anything against the case format and returns the in-memory case, or every issue
 * found (zod's structural issues first; the cross-field checks only once the structure holds).
 * Never throws. Cost: O(points).
 */
export function parseCase(input: unknown): CaseParse {
  const parsed = caseSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.'),
        // zod says "expected string, received undefined" for a missing field; say it plainly.
        message: issue.code === 'invalid_type' && issue.message.endsWith('received undefined') ? `is required (${issue.message.replace(/^Invalid input: /, '').replace(/, received undefined$/, '')})` : issue.message,
      })),
    };
  }
  const value = fromCaseJson(parsed.data);
  const issues = checkCase(value);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value };
}

/**
 * The cross-field rules zod cannot say per field: unique metric names, at least one released host,
 * a host in only one group, equal series lengths within a metric, label metrics that exist,
 * integer timestamps and finite values. Returns an empty list for a valid case. Cost: O(points).
 */
export function checkCase(c: ParsedCase): CaseIssue[] {
  const issues: CaseIssue[] = [];
  if (!Number.isSafeInteger(c.start)) issues.push({ path: 'start', message: 'must be an integer of epoch milliseconds' });
  if (!(Number.isSafeInteger(c.step) && c.step > 0)) issues.push({ path: 'step', message: 'must be a positive integer of milliseconds' });
  if (!Number.isSafeInteger(c.release.deployedAt)) issues.push({ path: 'release.deployedAt', message: 'must be an integer of epoch milliseconds' });
  const seen = new Map<string, number>();
  c.metrics.forEach((metric, m) => {
    const where = `metrics.${m}`;
    const earlier = seen.get(metric.name);
    if (earlier !== undefined) issues.push({ path: `${where}.name`, message: `duplicate metric name "${metric.name}" (also metrics.${earlier}.name)` });
    else seen.set(metric.name, m);
    if (metric.released.length === 0) issues.push({ path: `${where}.released`, message: 'needs at least one released host' });
    const releasedHosts = new Set(metric.released.map((h) => h.host));
    let referenceHost: string | undefined;
    let referenceLength = 0;
    for (const group of ['released', 'unreleased'] as const) {
      for (const { host, values } of metric[group]) {
        const path = `${where}.${group}.${host}`;
        if (group === 'unreleased' && releasedHosts.has(host)) issues.push({ path, message: `host "${host}" is also listed as released` });
        if (referenceHost === undefined) {
          referenceHost = host;
          referenceLength = values.length;
        } else if (values.length !== referenceLength) {
          issues.push({ path, message: `has ${values.length} points but host "${referenceHost}" has ${referenceLength}; all series of a metric must have the same length` });
        }
        const bad = firstInfinite(values);
        if (bad >= 0) issues.push({ path: `${path}.${bad}`, message: 'values must be finite numbers or null' });
      }
    }
  });
  c.logs.forEach((event, i) => {
    if (!Number.isSafeInteger(event.t)) issues.push({ path: `logs.${i}.t`, message: 'must be an integer of epoch milliseconds' });
  });
  c.label?.metrics.forEach((name, i) => {
    if (name !== 'logs' && !seen.has(name)) issues.push({ path: `label.metrics.${i}`, message: `names no metric of this case: "${name}" (expected a metric name or "logs")` });
  });
  return issues;
}

function firstInfinite(values: Float64Array): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v - v !== 0 && v === v) return i;
  }
  return -1;
}

/** The in-memory form of an interchange case (`null` → `NaN`). Does not validate; see `parseCase`. */
export function fromCaseJson(c: Case): ParsedCase {
  const hosts = (record: Record<string, (number | null)[]>): HostSeries[] =>
    Object.entries(record).map(([host, values]) => ({ host, values: series(0, 1, values).values }));
  const out: ParsedCase = {
    id: c.id,
    app: c.app,
    release: { ...c.release },
    step: c.step,
    start: c.start,
    metrics: c.metrics.map((m) => ({
      name: m.name,
      category: m.category,
      direction: m.direction,
      critical: m.critical,
      released: hosts(m.released),
      unreleased: hosts(m.unreleased),
    })),
    logs: c.logs.map((e) => ({ host: e.host, t: e.t, signature: e.signature, count: e.count })),
  };
  if (c.label) out.label = { ...c.label, metrics: [...c.label.metrics] };
  return out;
}

/** The interchange form of an in-memory case (`NaN` → `null`), ready for `JSON.stringify`. */
export function toCaseJson(c: ParsedCase): Case {
  const record = (hosts: HostSeries[]): Record<string, (number | null)[]> => {
    const out: Record<string, (number | null)[]> = {};
    for (const { host, values } of hosts) out[host] = toJsonValues(values);
    return out;
  };
  // Absent optional fields stay absent so that a round trip is deep-equal.
  const release: Partial<Case['release']> = {};
  if (c.release.id !== undefined) release.id = c.release.id;
  if (c.release.version !== undefined) release.version = c.release.version;
  if (c.release.batch !== undefined) release.batch = c.release.batch;
  release.deployedAt = c.release.deployedAt;
  const out: Case = {
    id: c.id,
    app: c.app,
    release: release as Case['release'],
    step: c.step,
    start: c.start,
    metrics: c.metrics.map((m) => ({
      name: m.name,
      category: m.category,
      direction: m.direction,
      critical: m.critical,
      released: record(m.released),
      unreleased: record(m.unreleased),
    })),
    logs: c.logs.map((e) => ({ host: e.host, t: e.t, signature: e.signature, count: e.count })),
  };
  if (c.label) {
    const label: CaseLabel = { bad: c.label.bad, metrics: [...c.label.metrics] };
    if (c.label.kind !== undefined) label.kind = c.label.kind;
    out.label = label;
  }
  return out;
}

/**
 * One case as the text of its JSON file: stable key order, one metric series per line so that
 * files diff well, newline at the end. The same case always gives the same bytes.
 */
export function caseToJsonText(c: ParsedCase | Case): string {
  const json = isParsed(c) ? toCaseJson(c) : c;
  const field = (key: string, value: unknown): string => `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`;
  const group = (record: Record<string, (number | null)[]>): string => {
    const entries = Object.entries(record).map(([host, values]) => `        ${JSON.stringify(host)}: ${JSON.stringify(values)}`);
    return entries.length === 0 ? '{}' : `{\n${entries.join(',\n')}\n      }`;
  };
  const metricText = (m: CaseMetric): string =>
    [
      '    {',
      `      "name": ${JSON.stringify(m.name)}, "category": ${JSON.stringify(m.category)}, "direction": ${JSON.stringify(m.direction)}, "critical": ${JSON.stringify(m.critical)},`,
      `      "released": ${group(m.released)},`,
      `      "unreleased": ${group(m.unreleased)}`,
      '    }',
    ].join('\n');
  const parts = [field('id', json.id), field('app', json.app), field('release', json.release), field('step', json.step), field('start', json.start)];
  parts.push(`  "metrics": [\n${json.metrics.map(metricText).join(',\n')}\n  ]`);
  parts.push(json.logs.length === 0 ? '  "logs": []' : `  "logs": [\n${json.logs.map((e) => `    ${JSON.stringify(e)}`).join(',\n')}\n  ]`);
  if (json.label) parts.push(field('label', json.label));
  return `{\n${parts.join(',\n')}\n}\n`;
}

function isParsed(c: ParsedCase | Case): c is ParsedCase {
  const first = c.metrics[0];
  return first !== undefined && Array.isArray(first.released);
}

/** A host's values as a `Series` on the case's clock. */
export function hostSeries(c: ParsedCase, values: Float64Array): Series {
  return { start: c.start, step: c.step, values };
}

/** Index of the first point at or after `release.deployedAt` for series of `length` points. */
export function deployIndex(c: ParsedCase, length: number): number {
  const i = Math.ceil((c.release.deployedAt - c.start) / c.step);
  return Math.min(Math.max(i, 0), length);
}

/**
 * The case as it stood when its observation window held `points` points (from `deployedAt` on):
 * every series cut there (views, no copy), log events from then on left out. For judging a case
 * minute by minute as its window grows. O(series + log events).
 */
export function caseUpTo(c: ParsedCase, points: number): ParsedCase {
  const end = Math.max(0, Math.ceil((c.release.deployedAt - c.start) / c.step) + points);
  const cut = (hosts: HostSeries[]): HostSeries[] => hosts.map((h) => ({ ...h, values: h.values.subarray(0, end) }));
  const until = c.start + end * c.step;
  return { ...c, metrics: c.metrics.map((m) => ({ ...m, released: cut(m.released), unreleased: cut(m.unreleased) })), logs: c.logs.filter((e) => e.t < until) };
}

/** One host's history (before `deployedAt`) and observation (from `deployedAt` on). */
export interface HostWindows {
  host: string;
  history: Series;
  observation: Series;
}

export interface MetricWindows {
  metric: ParsedMetric;
  /** Index of the first observation point. */
  deployIndex: number;
  released: HostWindows[];
  unreleased: HostWindows[];
}

/**
 * Splits every host of one metric at `release.deployedAt` into history and observation window.
 * `metric` is a metric of the case or its name; `undefined` when the name is unknown.
 * The windows copy the values. Cost: O(points of the metric).
 */
export function splitMetric(c: ParsedCase, metric: ParsedMetric | string): MetricWindows | undefined {
  const found = typeof metric === 'string' ? c.metrics.find((m) => m.name === metric) : metric;
  if (!found) return undefined;
  const length = found.released[0]?.values.length ?? found.unreleased[0]?.values.length ?? 0;
  const at = deployIndex(c, length);
  const split = (hosts: HostSeries[]): HostWindows[] =>
    hosts.map(({ host, values }) => {
      const whole = hostSeries(c, values);
      return { host, history: slice(whole, 0, at), observation: slice(whole, at) };
    });
  return { metric: found, deployIndex: at, released: split(found.released), unreleased: split(found.unreleased) };
}

/** The case's log events before `deployedAt` and from it on, in file order. */
export function splitLogs(c: ParsedCase): { history: LogEvent[]; observation: LogEvent[] } {
  const history: LogEvent[] = [];
  const observation: LogEvent[] = [];
  for (const event of c.logs) (event.t < c.release.deployedAt ? history : observation).push(event);
  return { history, observation };
}

/** Released and unreleased host names over all metrics, each in first-seen order. */
export function caseHosts(c: ParsedCase): { released: string[]; unreleased: string[] } {
  const released = new Set<string>();
  const unreleased = new Set<string>();
  for (const m of c.metrics) {
    for (const h of m.released) released.add(h.host);
    for (const h of m.unreleased) unreleased.add(h.host);
  }
  return { released: [...released], unreleased: [...unreleased] };
}
