/**
 * Prometheus as a metric source, through its HTTP API (`/api/v1/query_range`).
 *
 * Grid. The caller's bucket i is `[start + i·step, start + (i+1)·step)`. Prometheus evaluates a
 * range query at `start' + k·step'`, so this source evaluates at each bucket's last millisecond
 * (`start + (i+1)·step − 1`) with a range selector that covers exactly the bucket: `[step − 1ms]`
 * on Prometheus 2.x, whose ranges are closed `[t − r, t]`, and `[step]` on 3.x, whose ranges are
 * left-open `(t − r, t]`. A sample on a bucket boundary belongs to the later bucket, as in the
 * ingest store and InfluxDB.
 *
 * Staleness. An instant selector (`rpc_rt{…}`) returns the last sample up to five minutes old, so
 * a target that went away would look like a flat line for five minutes. Every query here reads
 * samples through a `*_over_time` function over the bucket's own range instead: a bucket without
 * a sample of its own is `NaN` (a gap), whatever came before it. A configured template should do
 * the same with `{{range}}` (e.g. `rate(x[{{range}}])`).
 *
 * Metrics. A metric name becomes a Prometheus name by replacing what PromQL does not allow with
 * `_` (`rpc.rt` → `rpc_rt`), unless `metrics` maps it to a selector (`http_rt{job="api"}`), or
 * `queries` gives a whole PromQL template for it. The host matcher
 * (`instance=~"web-1|web\\.2"`, regex-escaped) joins the selector, so one request serves many
 * hosts; a long host list is split into several requests, and so is a range longer than the
 * server's 11 000 points per series.
 *
 * Aggregates within a step: mean, sum, min, max and count combine every series of a host
 * (`sum by (instance) (sum_over_time(…)) / sum by (instance) (count_over_time(…))` for the mean);
 * last and p95 cannot be combined across series, so a host with several series is an error that
 * names them. `count` is 0 in a bucket without samples (as `regularize` counts).
 */
import { z } from 'zod';
import type { Aggregate } from '../../../src/core/regularize.js';
import { series } from '../../../src/core/series.js';
import type { MetricQuery, MetricSource, SeriesByHost } from '../../../src/sources/metric-source.js';

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name');
const selectorText = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?$/s, 'must be a metric name, optionally with matchers: name or name{label="value"}');
const templateText = z.string().refine((t) => t.includes('{{selector}}'), 'must contain {{selector}} (where the host matcher goes)');

export const prometheusOptionsSchema = z.object({
  /** Base URL of the Prometheus HTTP API, e.g. `http://prometheus:9090` (a path prefix is kept). */
  url: z.url(),
  /** Label that names the host (default `instance`; often `host` after relabelling). */
  hostLabel: labelName.default('instance'),
  /** Our metric name → a Prometheus selector (`name` or `name{matchers}`); the aggregate applies. */
  metrics: z.record(z.string(), selectorText).default({}),
  /**
   * Our metric name → a PromQL template evaluated at each bucket's end, with `{{selector}}` (the
   * host matcher, to put inside braces) and `{{range}}` (the bucket's range, e.g. `59999ms`). It
   * must return one series per host carrying the host label; the aggregate does not apply.
   * Example: `sum by (instance) (rate(http_requests_total{job="api",{{selector}}}[{{range}}]))`.
   */
  queries: z.record(z.string(), templateText).default({}),
  /** Sent as `Authorization: Bearer …`; never logged. */
  bearerToken: z.string().min(1).optional(),
  /** Sent as HTTP basic auth; never logged. */
  basicAuth: z.object({ username: z.string(), password: z.string() }).optional(),
  /** Extra request headers (e.g. `X-Scope-OrgID` for a multi-tenant backend); never logged. */
  headers: z.record(z.string(), z.string()).default({}),
  /** Hosts per request at most (default 200); more hosts make more requests. */
  maxHostsPerQuery: z.number().int().min(1).default(200),
  /** Points per series and request at most (default 11 000, Prometheus' own limit). */
  maxPointsPerQuery: z.number().int().min(1).max(11_000).default(11_000),
  /** Requests in flight at once for one query (default 4). */
  concurrency: z.number().int().min(1).max(64).default(4),
  /** Per-request time limit in ms (default 10 s). */
  timeoutMs: z.number().int().positive().default(10_000),
  /**
   * How the server bounds a range: `closed` `[t − r, t]` (Prometheus 2.x), `left-open`
   * `(t − r, t]` (3.x), or `auto` (default): asks `/api/v1/status/buildinfo` once, and assumes
   * `closed` when the server does not say.
   */
  rangeSemantics: z.enum(['auto', 'closed', 'left-open']).default('auto'),
}).strict().refine((o) => !(o.bearerToken && o.basicAuth), { message: 'give bearerToken or basicAuth, not both', path: ['basicAuth'] });
export type PrometheusOptions = z.input<typeof prometheusOptionsSchema>;
type Options = z.output<typeof prometheusOptionsSchema>;
type RangeSemantics = 'closed' | 'left-open';

/** A failed request, with Prometheus' own reason when it gave one. */
export class PrometheusError extends Error {
  constructor(message: string, readonly status?: number, readonly errorType?: string) {
    super(message);
    this.name = 'PrometheusError';
  }
}

const responseSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.object({
      resultType: z.literal('matrix'),
      result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(z.tuple([z.number(), z.string()])) })),
    }),
    warnings: z.array(z.string()).optional(),
  }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);
type Matrix = Extract<z.output<typeof responseSchema>, { status: 'success' }>['data']['result'];

/** `rpc.rt` → `rpc_rt`: the characters a PromQL metric name does not allow become `_`. */
export function prometheusName(metric: string): string {
  const name = metric.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** Escapes RE2 metacharacters, so a host name matches only itself inside `=~`. */
export const regexEscape = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
/** Quotes a string as a PromQL double-quoted literal. */
export const promString = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/** The matcher selecting exactly `hosts` on `label` (Prometheus anchors regex matchers). */
export function hostMatcher(label: string, hosts: string[]): string {
  return `${label}=~${promString(hosts.map(regexEscape).join('|'))}`;
}

/** Adds `matcher` to a selector `name` or `name{…}`. */
function withMatcher(selector: string, matcher: string): string {
  if (!selector.endsWith('}')) return `${selector}{${matcher}}`;
  const inner = selector.slice(selector.indexOf('{') + 1, -1).trim();
  return `${selector.slice(0, selector.indexOf('{'))}{${inner ? `${inner},` : ''}${matcher}}`;
}

const COMBINED: Record<Exclude<Aggregate, 'last' | 'p95'>, (s: string, by: string) => string> = {
  mean: (s, by) => `sum by (${by}) (sum_over_time(${s})) / sum by (${by}) (count_over_time(${s}))`,
  sum: (s, by) => `sum by (${by}) (sum_over_time(${s}))`,
  min: (s, by) => `min by (${by}) (min_over_time(${s}))`,
  max: (s, by) => `max by (${by}) (max_over_time(${s}))`,
  count: (s, by) => `sum by (${by}) (count_over_time(${s}))`,
};

/** One request: a host group over a run of buckets `[from, to)`, each `width` ms wide. */
interface Piece {
  hosts: string[];
  from: number;
  to: number;
  width: number;
}

export class PrometheusSource implements MetricSource {
  readonly name = 'prometheus';
  readonly options: Options;
  private semantics?: Promise<RangeSemantics>;

  constructor(options: PrometheusOptions) {
    this.options = prometheusOptionsSchema.parse(options);
  }

  /**
   * The PromQL text for `metric` and `hosts` with buckets `width` ms wide (the step, or less for a
   * last bucket cut by the query's end); public so tests and logs can show it. Evaluated at each
   * bucket's last millisecond.
   */
  queryText(metric: string, hosts: string[], width: number, aggregate: Aggregate = 'mean', semantics: RangeSemantics = 'closed'): string {
    const range = `${semantics === 'closed' ? width - 1 : width}ms`;
    const matcher = hostMatcher(this.options.hostLabel, hosts);
    const template = this.options.queries[metric];
    if (template !== undefined) return template.replaceAll('{{selector}}', matcher).replaceAll('{{range}}', range);
    const selector = `${withMatcher(this.options.metrics[metric] ?? prometheusName(metric), matcher)}[${range}]`;
    if (aggregate === 'last') return `last_over_time(${selector})`;
    if (aggregate === 'p95') return `quantile_over_time(0.95, ${selector})`;
    return COMBINED[aggregate](selector, this.options.hostLabel);
  }

  async query(query: MetricQuery, signal?: AbortSignal): Promise<SeriesByHost> {
    const length = Math.max(0, Math.ceil((query.end - query.start) / query.step));
    const aggregate = query.aggregate ?? 'mean';
    const fill = aggregate === 'count' && !(query.metric in this.options.queries) ? 0 : NaN;
    const out: SeriesByHost = {};
    for (const host of query.hosts) out[host] = series(query.start, query.step, new Float64Array(length).fill(fill));
    if (query.hosts.length === 0 || length === 0) return out;
    // A bucket under 2 ms would make the closed range empty; Prometheus' own resolution is 1 ms.
    if (query.step < 2) throw new RangeError(`prometheus: step must be at least 2 ms, got ${query.step}`);
    const semantics = await this.rangeSemantics(signal);

    // An end inside the last bucket cuts it (`end` is exclusive): that bucket gets its own, shorter range.
    const lastWidth = query.end - (query.start + (length - 1) * query.step);
    const whole = lastWidth < query.step ? length - 1 : length;
    const pieces: Piece[] = [];
    const hosts = [...new Set(query.hosts)];
    for (let h = 0; h < hosts.length; h += this.options.maxHostsPerQuery) {
      const group = hosts.slice(h, h + this.options.maxHostsPerQuery);
      for (let from = 0; from < whole; from += this.options.maxPointsPerQuery) {
        pieces.push({ hosts: group, from, to: Math.min(whole, from + this.options.maxPointsPerQuery), width: query.step });
      }
      if (whole < length && lastWidth >= 2) pieces.push({ hosts: group, from: whole, to: length, width: lastWidth });
    }
    let next = 0;
    const worker = async () => {
      while (next < pieces.length) {
        const piece = pieces[next++];
        const promql = this.queryText(query.metric, piece.hosts, piece.width, aggregate, semantics);
        const firstEval = query.start + piece.from * query.step + piece.width - 1;
        const result = await this.queryRange(promql, firstEval, firstEval + (piece.to - piece.from - 1) * query.step, query.step, signal);
        this.place(result, query, aggregate, new Set(piece.hosts), out);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, pieces.length) }, worker));
    return out;
  }

  /** Lays one answer on the caller's grid. */
  private place(result: Matrix, query: MetricQuery, aggregate: Aggregate, wanted: Set<string>, out: SeriesByHost): void {
    const label = this.options.hostLabel;
    const seen = new Map<string, Record<string, string>>();
    for (const s of result) {
      const host = s.metric[label];
      if (host === undefined) {
        throw new PrometheusError(`prometheus: a series for '${query.metric}' has no '${label}' label (${describe(s.metric)}); keep it in the query (e.g. sum by (${label}) (…))`);
      }
      if (!wanted.has(host)) continue;
      const earlier = seen.get(host);
      if (earlier) {
        throw new PrometheusError(`prometheus: '${query.metric}' has several series for ${label} '${host}' (${describe(earlier)} and ${describe(s.metric)}); ${aggregate} cannot combine them: narrow the selector in 'metrics' or write a template in 'queries'`);
      }
      seen.set(host, s.metric);
      const values = out[host].values;
      for (const [t, v] of s.values) {
        // Evaluation at a bucket's last millisecond: the bucket index is where that instant falls.
        const i = Math.floor((Math.round(t * 1000) - query.start) / query.step);
        if (i < 0 || i >= values.length) continue;
        const value = Number(v);
        values[i] = Number.isFinite(value) ? value : NaN;
      }
    }
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { ...this.options.headers, accept: 'application/json' };
    if (this.options.bearerToken) headers.authorization = `Bearer ${this.options.bearerToken}`;
    if (this.options.basicAuth) headers.authorization = `Basic ${Buffer.from(`${this.options.basicAuth.username}:${this.options.basicAuth.password}`).toString('base64')}`;
    return headers;
  }

  private endpoint(path: string): string {
    return `${this.options.url.replace(/\/+$/, '')}${path}`;
  }

  /** One `query_range` request; evaluation times in epoch ms, step in ms. */
  private async queryRange(promql: string, start: number, end: number, step: number, signal?: AbortSignal): Promise<Matrix> {
    // RFC 3339 times and a `ms` duration say the milliseconds exactly; float seconds would round.
    const body = new URLSearchParams({ query: promql, start: new Date(start).toISOString(), end: new Date(end).toISOString(), step: `${step}ms` });
    const text = await this.request('/api/v1/query_range', { method: 'POST', body, headers: { ...this.headers(), 'content-type': 'application/x-www-form-urlencoded' } }, signal);
    const answer = this.parse(text.body, text.status);
    if (answer.status === 'error') {
      throw new PrometheusError(`prometheus: ${answer.errorType}: ${answer.error} (HTTP ${text.status}; query ${shorten(promql)})`, text.status, answer.errorType);
    }
    return answer.data.result;
  }

  private parse(body: string, status: number): z.output<typeof responseSchema> {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new PrometheusError(`prometheus: HTTP ${status} with a body that is not JSON: ${shorten(body)}`, status);
    }
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new PrometheusError(`prometheus: HTTP ${status} with an unexpected answer: ${issue.path.join('.') || '(root)'}: ${issue.message}`, status);
    }
    return parsed.data;
  }

  private async request(path: string, init: RequestInit, signal?: AbortSignal): Promise<{ status: number; body: string }> {
    const signals = [AbortSignal.timeout(this.options.timeoutMs), ...(signal ? [signal] : [])];
    let response: Response;
    try {
      response = await fetch(this.endpoint(path), { ...init, signal: AbortSignal.any(signals) });
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
      throw new PrometheusError(`prometheus: cannot reach ${this.endpoint(path)}: ${cause}`);
    }
    const body = await response.text();
    if (response.status === 401 || response.status === 403) {
      throw new PrometheusError(`prometheus: HTTP ${response.status} from ${this.endpoint(path)}: credentials missing or refused (check bearerToken, basicAuth, headers)`, response.status);
    }
    return { status: response.status, body };
  }

  private rangeSemantics(signal?: AbortSignal): Promise<RangeSemantics> {
    if (this.options.rangeSemantics !== 'auto') return Promise.resolve(this.options.rangeSemantics);
    this.semantics ??= this.request('/api/v1/status/buildinfo', { headers: this.headers() }, signal).then(
      ({ body }) => {
        let version: unknown;
        try {
          version = (JSON.parse(body) as { data?: { version?: unknown } }).data?.version;
        } catch {
          version = undefined; // a backend without build info: assume the 2.x ranges
        }
        const major = typeof version === 'string' ? Number.parseInt(version, 10) : NaN;
        return major >= 3 ? 'left-open' : 'closed';
      },
      (error: unknown) => {
        this.semantics = undefined; // unreachable now: ask again next time
        throw error;
      },
    );
    return this.semantics;
  }
}

const describe = (labels: Record<string, string>): string => `{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
const shorten = (text: string): string => (text.length > 300 ? `${text.slice(0, 300)}…` : text);
