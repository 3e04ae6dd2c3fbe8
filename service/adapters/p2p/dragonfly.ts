/**
 * Dragonfly (d7y.io) preheat through the manager's Open API: one preheat job per release, so that
 * the P2P network holds the artifact before batch 1 and each host's dfdaemon fetches it from its
 * peers instead of the origin.
 *
 * The API, as the manager documents and implements it (d7y.io "Preheat" reference, v2.1;
 * dragonflyoss/dragonfly `manager/router/router.go`, `manager/handlers/job.go`,
 * `manager/types/job.go`, `internal/job/job.go` and `internal/job/types.go`):
 *
 * - `POST /oapi/v1/jobs`, `Authorization: Bearer <personal access token>` (scope `job`), body
 *   `{"type":"preheat","args":{"type":"file","url":…,"tag":…,"filtered_query_params":…,"headers":…,
 *   "scope":…},"scheduler_cluster_ids":[…]}` → 200 and the job record `{"id":…,"state":"PENDING",…}`.
 *   The legacy `/api/v1/jobs` is the same without the token.
 * - `GET /oapi/v1/jobs/:id` → the job record; `state` is PENDING until the manager's poller writes
 *   SUCCESS or FAILURE, and `result.job_states[].results[]` then lists `success_tasks` and
 *   `failure_tasks` (each `{url, hostname, ip}`, failures with a `description`) per scheduler cluster.
 * - Errors: 401 `{"message":"Unauthorized"}`; 422 `{"errors":"<binding error>"}` for a bad body;
 *   404 `{"message":"Not Found"}` for an unknown job or scheduler cluster; 500 on anything else.
 *
 * What this client adds: retries with exponential backoff on 5xx, 429 and network errors (never on other 4xx);
 * idempotency per key through a `PreheatJobStore` (Dragonfly has no idempotency key, so the key → job
 * id map is ours; a POST retried after a lost answer can still create a second job for the same URL
 * and tag, which costs one more preheat of content the peers already hold); a job that stays
 * unfinished past `jobTimeoutMs` is reported failed. The token goes into the Authorization header
 * and nowhere else: not into errors, messages or the adapter's enumerable fields.
 *
 * Per-host verification is not something Dragonfly offers (the artifact lives in each peer's own
 * storage, not at a path). `verify` delegates to the `verifier` option when one is given (e.g.
 * `agentVerifier`, sha256 of a file on each host through the agent port); without one it answers
 * ok for every host with the reason "not verifiable".
 */
import { z } from 'zod';
import { parseConfig } from '../../../src/core/config.js';
import { systemClock, type Clock } from '../../ports/clock.js';
import type { Artifact, P2P, PreheatProgress, PreheatState, VerifyResult } from '../../ports/p2p.js';
import { failureMessage, memoryJobStore, parsePreheat, parseVerify, type PreheatJobStore } from './common.js';

export const dragonflyConfigSchema = z
  .object({
    /** Manager address, e.g. `http://dragonfly-manager:8080`. */
    baseUrl: z
      .string()
      .url('must be an absolute URL')
      .refine((u) => /^https?:\/\//i.test(u), 'must be http:// or https://')
      // Addresses appear in error messages; credentials belong in `token`.
      .refine((u) => !URL.canParse(u) || (new URL(u).username === '' && new URL(u).password === ''), 'must not carry credentials (use token)'),
    /** Personal access token with the `job` scope; required for the Open API. */
    token: z.string().min(1, 'must not be empty').optional(),
    /** `oapi`: `/oapi/v1` with the token (Dragonfly ≥ 2.1); `api`: the legacy `/api/v1` without one. */
    api: z.enum(['oapi', 'api']).default('oapi'),
    /** Scheduler clusters to preheat in; empty = all clusters. */
    schedulerClusterIds: z.array(z.number().int().positive('must be a positive integer')).default([]),
    /** Which peers download: every peer (what a release wants) or only seed peers. */
    scope: z.enum(['single_seed_peer', 'all_seed_peers', 'all_peers']).default('all_peers'),
    /** Task tag; hosts must download with the same tag to hit the preheated task. */
    tag: z.string().max(256).optional(),
    /** Query parameters left out of the task id (`&`-separated), e.g. signed-URL parameters. */
    filteredQueryParams: z.string().max(1024).optional(),
    /** Headers the seed peers send to the origin (e.g. its credentials). */
    headers: z.record(z.string(), z.string()).optional(),
    /** How often callers should poll `progress`, in ms. */
    pollIntervalMs: z.number().int().min(10).max(600_000).default(2_000),
    /** Each HTTP request's timeout, in ms. */
    requestTimeoutMs: z.number().int().min(10).max(600_000).default(10_000),
    /** A job still unfinished this long after it was created is reported failed, in ms. */
    jobTimeoutMs: z.number().int().min(100).max(86_400_000).default(30 * 60_000),
    /** Retries after a 5xx answer or a network error (0 = try once). */
    retries: z.number().int().min(0).max(10).default(3),
    /** First backoff, doubled each retry up to `retryMaxMs`, in ms. */
    retryBaseMs: z.number().int().min(0).max(60_000).default(250),
    retryMaxMs: z.number().int().min(0).max(300_000).default(5_000),
  })
  .refine((c) => c.api === 'api' || c.token !== undefined, { message: 'is required for the Open API (api: oapi)', path: ['token'] });

export type DragonflyConfigInput = z.input<typeof dragonflyConfigSchema>;

export interface DragonflyOptions {
  /** Key → job id; pass one backed by durable state so a restart finds its jobs. */
  jobs?: PreheatJobStore;
  clock?: Clock;
  /** Per-host check for `verify` (e.g. `agentVerifier`); without it every host is "not verifiable". */
  verifier?: (artifact: Artifact, hosts: string[]) => Promise<VerifyResult[]>;
}

/** An HTTP or protocol failure talking to the manager; `status` is null for network errors. */
export class DragonflyError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DragonflyError';
  }
}

// The parts of the manager's job record this client reads; everything else passes through.
const hostTaskSchema = z.looseObject({ hostname: z.string().optional(), ip: z.string().optional(), description: z.string().optional() });
const clusterResultSchema = z.looseObject({
  success_tasks: z.array(hostTaskSchema).nullish(),
  failure_tasks: z.array(hostTaskSchema).nullish(),
});
const jobStateSchema = z.looseObject({ state: z.string().optional(), error: z.string().nullish(), results: z.array(z.unknown()).nullish() });
const jobSchema = z.looseObject({
  id: z.number().int(),
  state: z.string(),
  result: z.looseObject({ job_states: z.array(jobStateSchema).nullish() }).nullish(),
});
type DragonflyJob = z.infer<typeof jobSchema>;

const STATES: Record<string, PreheatState> = {
  PENDING: 'pending',
  RECEIVED: 'running',
  STARTED: 'running',
  RETRY: 'running',
  SUCCESS: 'succeeded',
  FAILURE: 'failed',
};

export interface DragonflyP2P extends P2P {
  /** How often callers should poll `progress`, in ms (from the config). */
  readonly pollIntervalMs: number;
}

/** Builds the Dragonfly preheat client; throws `SluiceError('invalid_config')` naming the field at fault. */
export function dragonflyP2P(input: DragonflyConfigInput, options: DragonflyOptions = {}): DragonflyP2P {
  const config = parseConfig(dragonflyConfigSchema, input, 'dragonfly config');
  const token = config.token;
  const clock = options.clock ?? systemClock;
  const jobs = options.jobs ?? memoryJobStore();
  const base = `${config.baseUrl.replace(/\/+$/, '')}/${config.api}/v1/jobs`;
  // Hosts and first-seen times per job id: Dragonfly's job does not know which of our hosts it serves.
  const hostsOf = new Map<string, string[]>();
  const firstSeen = new Map<string, number>();
  const inflight = new Map<string, Promise<PreheatProgress>>();

  async function call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<unknown> {
    let lastError: DragonflyError | undefined;
    for (let attempt = 0; attempt <= config.retries; attempt++) {
      if (attempt > 0) await clock.sleep(Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** (attempt - 1)));
      try {
        return await once(method, url, body);
      } catch (error) {
        if (!(error instanceof DragonflyError) || !error.retryable) throw error;
        lastError = error;
      }
    }
    throw new DragonflyError(`${lastError!.message} (after ${config.retries + 1} attempts)`, lastError!.status, false);
  }

  async function once(method: 'GET' | 'POST', url: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined && config.api === 'oapi') headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(config.requestTimeoutMs),
      });
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
      throw new DragonflyError(`Dragonfly manager ${method} ${url}: ${cause}`, null, true);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new DragonflyError(`Dragonfly manager ${method} ${url}: the answer broke off (${(error as Error).message})`, response.status, true);
    }
    // 429: the manager rate-limits job creation (middlewares.CreateJobRateLimiter).
    if (response.status >= 500 || response.status === 429) throw new DragonflyError(`Dragonfly manager ${method} ${url} answered ${response.status}`, response.status, true);
    if (!response.ok) throw new DragonflyError(`Dragonfly manager ${method} ${url} answered ${response.status}: ${errorText(text)}`, response.status, false);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new DragonflyError(`Dragonfly manager ${method} ${url} answered ${response.status} with a body that is not JSON`, response.status, false);
    }
  }

  function parseJob(value: unknown, where: string): DragonflyJob {
    const parsed = jobSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new DragonflyError(`${where}: job record field '${issue.path.join('.') || '(root)'}' ${issue.message}`, 200, false);
    }
    return parsed.data;
  }

  function toProgress(job: DragonflyJob): PreheatProgress {
    const jobId = String(job.id);
    const hosts = hostsOf.get(jobId) ?? [];
    const succeeded = new Set<string>();
    const failed = new Map<string, string>();
    const errors: string[] = [];
    for (const jobState of job.result?.job_states ?? []) {
      if (jobState.error) errors.push(jobState.error);
      for (const raw of jobState.results ?? []) {
        const cluster = clusterResultSchema.safeParse(raw);
        if (!cluster.success) continue;
        for (const task of cluster.data.success_tasks ?? []) for (const name of [task.hostname, task.ip]) if (name) succeeded.add(name);
        for (const task of cluster.data.failure_tasks ?? [])
          for (const name of [task.hostname, task.ip]) if (name) failed.set(name, task.description || 'preheat failed');
      }
    }
    let state = STATES[job.state] ?? 'running';
    const failedHosts = hosts.filter((h) => failed.has(h));
    let hostsDone = hosts.filter((h) => succeeded.has(h) && !failed.has(h)).length;
    let message: string | undefined;
    if (state === 'succeeded') {
      // A finished job means the P2P network holds the artifact for every peer it did not name as failed.
      hostsDone = hosts.length - failedHosts.length;
      if (failedHosts.length > 0) {
        state = 'failed';
        message = failureMessage(failedHosts.map((h) => [h, failed.get(h)!]));
      }
    } else if (state === 'failed') {
      const named = failedHosts.map((h) => [h, failed.get(h)!] as const);
      message = [`Dragonfly job ${jobId} failed`, ...errors, ...(named.length > 0 ? [failureMessage(named)] : [])].join(': ');
    } else {
      // Measured on our clock from when this process first saw the job (the manager's created_at is
      // on another clock, and an accelerated test clock would make it meaningless).
      const started = firstSeen.get(jobId) ?? clock.now();
      if (!firstSeen.has(jobId)) firstSeen.set(jobId, started);
      const waited = clock.now() - started;
      if (waited > config.jobTimeoutMs) {
        state = 'failed';
        message = `Dragonfly job ${jobId} still ${job.state} ${Math.round(waited / 1000)} s after it was started (timeout ${config.jobTimeoutMs / 1000} s)`;
      } else if (!(job.state in STATES)) message = `Dragonfly reports an unknown job state '${job.state}'`;
    }
    const progress: PreheatProgress = { jobId, state, hostsTotal: hosts.length, hostsDone, failedHosts };
    if (message !== undefined) progress.message = message;
    return progress;
  }

  async function progress(jobId: string): Promise<PreheatProgress> {
    if (!/^\d+$/.test(jobId)) throw new DragonflyError(`progress: job id '${jobId}' is not a Dragonfly job id (digits)`, null, false);
    return toProgress(parseJob(await call('GET', `${base}/${jobId}`), `GET job ${jobId}`));
  }

  async function start(key: string, artifact: Artifact, hosts: string[]): Promise<PreheatProgress> {
    const known = await jobs.get(key);
    if (known !== undefined) {
      hostsOf.set(known, hosts);
      return progress(known);
    }
    const args: Record<string, unknown> = { type: 'file', url: artifact.url, scope: config.scope };
    if (config.tag !== undefined) args.tag = config.tag;
    if (config.filteredQueryParams !== undefined) args.filtered_query_params = config.filteredQueryParams;
    if (config.headers !== undefined) args.headers = config.headers;
    const body: Record<string, unknown> = { type: 'preheat', bio: `sluice preheat ${key} ${artifact.digest}`, args };
    if (config.schedulerClusterIds.length > 0) body.scheduler_cluster_ids = config.schedulerClusterIds;
    const job = parseJob(await call('POST', base, body), 'POST job');
    const jobId = String(job.id);
    await jobs.set(key, jobId);
    hostsOf.set(jobId, hosts);
    firstSeen.set(jobId, clock.now());
    return toProgress(job);
  }

  return {
    name: 'dragonfly',
    pollIntervalMs: config.pollIntervalMs,
    async preheat(key, artifact, hosts) {
      const request = parsePreheat(key, artifact, hosts, 'dragonfly preheat');
      // Two concurrent calls under one key share one POST.
      const running = inflight.get(request.key);
      if (running) return running;
      const promise = start(request.key, request.artifact, request.hosts).finally(() => inflight.delete(request.key));
      inflight.set(request.key, promise);
      return promise;
    },
    progress,
    async verify(artifact, hosts) {
      const request = parseVerify(artifact, hosts, 'dragonfly verify');
      if (options.verifier) return options.verifier(request.artifact, request.hosts);
      return request.hosts.map((host) => ({
        host,
        ok: true,
        reason: 'not verifiable: Dragonfly keeps the artifact in each peer’s own storage and has no per-host check; configure a verifier to check hosts',
      }));
    },
  };
}

/** The manager's error text: `message` or `errors` of its JSON body, else the body's first 200 characters. */
function errorText(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; errors?: unknown } | null;
    if (body && typeof body.errors === 'string') return body.errors;
    if (body && typeof body.message === 'string') return body.message;
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 200) || '(empty body)';
}
