/**
 * A local stand-in for the Dragonfly manager's job API, for tests and the demo: the same paths,
 * request and response shapes as the real manager (see `dragonfly.ts` for where each comes from),
 * over real HTTP on loopback.
 *
 * Behaviour: personal access tokens checked as the manager's middleware does (exactly
 * `Bearer <token>`, else 401 `{"message":"Unauthorized"}`); a bad body gets 422 `{"errors":…}` like
 * the manager's binding errors; an unknown scheduler cluster or job 404 `{"message":"Not Found"}`.
 * A created job is PENDING; its "seed peer" fetches the URL at once (so an unreachable URL fails
 * the job like a real preheat), and the job turns SUCCESS or FAILURE on the `pollsToFinish`-th GET,
 * with per-peer `success_tasks` / `failure_tasks` naming the configured `peers`.
 * Failure injection: `failNext(n, status)` answers the next n requests with that status (500
 * answers with body `null`, as the manager's unknown-error handler does); `dropNext(n)` closes
 * the next n connections without an answer; `failUrls` fails every job for a URL.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

export interface FakeManagerOptions {
  /** Accepted personal access tokens (default `['test-token']`). */
  tokens?: string[];
  /** Scheduler cluster ids that exist (default `[1]`). */
  schedulerClusterIds?: number[];
  /** Peers a job reports (hostname = ip = the name); default none. */
  peers?: string[];
  /** The job finishes on this GET of it (default 2: one PENDING answer, then the result). */
  pollsToFinish?: number;
  /** Port on 127.0.0.1 (default 0: any free port). */
  port?: number;
}

export interface FakeJobRecord {
  id: number;
  body: Record<string, unknown>;
  polls: number;
  fetch: Promise<string | null>;
  state: 'PENDING' | 'SUCCESS' | 'FAILURE';
  result: Record<string, unknown> | null;
  createdAt: string;
  taskId: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
}

export interface FakeDragonflyManager {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly jobs: Map<number, FakeJobRecord>;
  /** URLs whose jobs fail (the seed peer reports them failed whatever the origin says). */
  readonly failUrls: Set<string>;
  /** Peers named in results; change between tests. */
  peers: string[];
  failNext(count: number, status?: number): void;
  dropNext(count: number): void;
  close(): Promise<void>;
}

/** Starts the fake manager on an ephemeral loopback port. */
export async function startFakeDragonflyManager(options: FakeManagerOptions = {}): Promise<FakeDragonflyManager> {
  const tokens = new Set(options.tokens ?? ['test-token']);
  const clusters = new Set(options.schedulerClusterIds ?? [1]);
  const pollsToFinish = options.pollsToFinish ?? 2;
  const requests: RecordedRequest[] = [];
  const jobs = new Map<number, FakeJobRecord>();
  const failUrls = new Set<string>();
  let failing: { count: number; status: number } = { count: 0, status: 500 };
  let dropping = 0;
  let nextId = 1;

  const state = { peers: options.peers ?? [] };

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body });

    if (dropping > 0) {
      dropping--;
      req.socket.destroy();
      return;
    }
    if (failing.count > 0) {
      failing.count--;
      return send(res, failing.status, failing.status === 500 ? null : { message: statusText(failing.status) });
    }

    const match = /^\/(oapi|api)\/v1\/jobs(?:\/([^/]+))?\/?$/.exec(path);
    if (!match) return send(res, 404, { message: 'Not Found' });
    if (match[1] === 'oapi') {
      // manager/middlewares/personal_access_token.go: two fields, the first exactly "Bearer".
      const fields = (req.headers.authorization ?? '').trim().split(/\s+/);
      if (fields.length !== 2 || fields[0] !== 'Bearer' || !tokens.has(fields[1]!)) return send(res, 401, { message: 'Unauthorized' });
    }
    if (req.method === 'POST' && match[2] === undefined) return create(body, res);
    if (req.method === 'GET' && match[2] !== undefined) {
      if (!/^\d+$/.test(match[2])) return send(res, 422, { errors: `strconv.ParseUint: parsing "${match[2]}": invalid syntax` });
      const job = jobs.get(Number(match[2]));
      if (!job) return send(res, 404, { message: 'Not Found' });
      await poll(job);
      return send(res, 200, record(job));
    }
    return send(res, 404, { message: 'Not Found' });
  }

  function create(text: string, res: ServerResponse): void {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      return send(res, 422, { errors: (error as Error).message });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return send(res, 422, { errors: 'json: cannot unmarshal into Go value of type types.CreateJobRequest' });
    const request = body as Record<string, unknown>;
    if (typeof request.type !== 'string' || request.type === '')
      return send(res, 422, { errors: "Key: 'CreateJobRequest.Type' Error:Field validation for 'Type' failed on the 'required' tag" });
    if (request.type !== 'preheat') return send(res, 422, { errors: 'Unknow type' });
    const args = request.args as Record<string, unknown> | undefined;
    if (!args || (args.type !== 'file' && args.type !== 'image'))
      return send(res, 422, { errors: "Key: 'CreatePreheatJobRequest.Args.Type' Error:Field validation for 'Type' failed on the 'oneof' tag" });
    if (typeof args.url !== 'string' || args.url === '')
      return send(res, 422, { errors: "Key: 'CreatePreheatJobRequest.Args.URL' Error:Field validation for 'URL' failed on the 'required' tag" });
    const ids = request.scheduler_cluster_ids;
    if (ids !== undefined && (!Array.isArray(ids) || ids.some((id) => !Number.isInteger(id) || id < 0)))
      return send(res, 422, { errors: 'json: cannot unmarshal scheduler_cluster_ids into Go struct field of type []uint' });
    // manager/service/job.go: an unknown scheduler cluster is a record-not-found, which the error middleware turns into 404.
    if (Array.isArray(ids) && ids.some((id) => !clusters.has(id as number))) return send(res, 404, { message: 'Not Found' });
    const url = args.url;
    const job: FakeJobRecord = {
      id: nextId++,
      body: request,
      polls: 0,
      fetch: seedPeerFetch(url),
      state: 'PENDING',
      result: null,
      createdAt: new Date().toISOString(),
      taskId: `group_${randomUUID()}`,
    };
    jobs.set(job.id, job);
    send(res, 200, record(job));
  }

  async function seedPeerFetch(url: string): Promise<string | null> {
    if (failUrls.has(url)) return 'download failed: injected failure';
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      return response.ok ? null : `download failed: origin answered ${response.status}`;
    } catch (error) {
      return `download failed: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`;
    }
  }

  async function poll(job: FakeJobRecord): Promise<void> {
    if (job.state !== 'PENDING') return;
    job.polls++;
    if (job.polls < pollsToFinish) return;
    const url = String((job.body.args as Record<string, unknown>).url);
    // A URL marked failing after the job started fails it too.
    const failure = failUrls.has(url) ? 'download failed: injected failure' : await job.fetch;
    const peers = state.peers.map((name) => ({ url, hostname: name, ip: name }));
    job.state = failure === null ? 'SUCCESS' : 'FAILURE';
    const now = new Date().toISOString();
    job.result = {
      group_uuid: job.taskId,
      state: job.state,
      created_at: job.createdAt,
      updated_at: now,
      job_states: [
        {
          task_uuid: `task_${randomUUID()}`,
          task_name: 'preheat',
          state: job.state,
          results:
            failure === null
              ? [{ success_tasks: peers, failure_tasks: [], scheduler_cluster_id: 1 }]
              : [{ success_tasks: [], failure_tasks: peers.map((p) => ({ ...p, description: failure })), scheduler_cluster_id: 1 }],
          error: failure ?? '',
          created_at: job.createdAt,
          ttl: 0,
        },
      ],
    };
  }

  // The manager's models.Job as JSON (BaseModel fields, then the job's own).
  function record(job: FakeJobRecord): Record<string, unknown> {
    const ids = (job.body.scheduler_cluster_ids as number[] | undefined) ?? [...clusters];
    return {
      id: job.id,
      created_at: job.createdAt,
      updated_at: job.createdAt,
      is_del: 0,
      task_id: job.taskId,
      bio: job.body.bio ?? '',
      type: job.body.type,
      state: job.state,
      args: { filtered_query_params: '', headers: null, scope: 'single_seed_peer', tag: '', ...(job.body.args as object) },
      result: job.result,
      user_id: 0,
      seed_peer_clusters: [],
      scheduler_clusters: ids.map((id) => ({ id, name: `cluster-${id}` })),
    };
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, null);
      else res.destroy(error as Error);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    jobs,
    failUrls,
    get peers() {
      return state.peers;
    },
    set peers(value: string[]) {
      state.peers = value;
    },
    failNext(count, status = 500) {
      failing = { count, status };
    },
    dropNext(count) {
      dropping = count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function statusText(status: number): string {
  return ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests' } as Record<number, string>)[status] ?? 'Error';
}

// `npx tsx service/adapters/p2p/dragonfly-fake-manager.ts [port]` runs it on its own, for trying the client by hand.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const manager = await startFakeDragonflyManager({ port: Number(process.argv[2] ?? 65001), peers: ['host-a', 'host-b'] });
  console.log(`fake Dragonfly manager on ${manager.url} (token: test-token, peers: host-a host-b); Ctrl-C stops it`);
  const stop = (): void => void manager.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
