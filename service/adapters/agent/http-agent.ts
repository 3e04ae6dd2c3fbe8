/**
 * The HTTP agent protocol: the service (client, `httpAgent`) talks to a small agent server on each
 * host (`startHttpAgentServer`, in `http-agent-server.ts`) over HTTP with signed requests.
 *
 * Signing (details in `http-signing.ts`). Every request carries
 *   x-sluice-key-id     which shared secret signed it
 *   x-sluice-timestamp  epoch milliseconds; refused outside ±5 minutes of the agent's clock
 *   x-sluice-nonce      16–128 characters of [A-Za-z0-9_-], random; refused when seen before (replay)
 *   x-sluice-signature  hex HMAC-SHA256(secret, canonical)
 * canonical = "SLUICE-HMAC-SHA256\n" + METHOD + "\n" + path?query + "\n" + timestamp + "\n" + nonce + "\n" + hex(sha256(body)).
 * A refused request gets 401 `{error: 'unauthorized', reason}`; signatures are compared in
 * constant time. Every other answer is signed back: `x-sluice-timestamp` and
 * `x-sluice-signature` = hex HMAC-SHA256(secret, "SLUICE-HMAC-SHA256-RESPONSE\n" + status + "\n" +
 * request nonce + "\n" + timestamp + "\n" + hex(sha256(body))); the client drops answers that do not verify.
 *
 * Paths (JSON bodies):
 *   GET  /v1/ping                              → {agent: 'http', agentVersion, host, deployedVersion?}
 *   POST /v1/commands {key, argv, timeoutMs, env?, requester, waitMs ≤ 25000}
 *                                              → {done: true, result: HostResult} | {done: false}
 *        Runs argv (no shell) once per key; a repeated POST of the key joins the run (or gets its
 *        recorded result). `requester` (8–64 of [A-Za-z0-9_-]) identifies one client call, so its own
 *        re-sends are not `replayed`. `done: false` means "still running, ask again".
 *   GET  /v1/commands/<key>?requester=…        → the same answer without starting anything (status)
 *   POST /v1/files {key, path, mode, contentBase64, requester}
 *                                              → {done: true, result}: writes the file (temp + rename) once per key
 *   400 bad body (names the field), 409 key reused for a different argv, 413 body too large.
 *
 * Nonces are remembered in memory for the ±5 minute window. After an agent restart a request
 * captured in the last 5 minutes could be replayed once more; it can only re-send its key, which
 * answers from the record and never runs anything again.
 *
 * Exactly once when the network fails: the client re-sends the same key and requester until it
 * gets an answer or `timeoutMs` + `lostContactGraceMs` (60 s) pass. If it never reached the agent the host is
 * `unreachable`; if contact was lost after the request may have arrived it reports `failed`
 * with "lost contact" — re-sending the key later learns the real result, never runs it twice.
 */
import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import { parseConfig } from '../../../src/core/config.js';
import { SluiceError } from '../../../src/core/errors.js';
import type { Agent, CommandRequest, FileToPush, HostResult } from '../../ports/agent.js';
import { Requesters, Semaphore, abortable, freshRequester, hostNameSchema, parseCommandRequest, parsePush, pingEach, statusOf, unreachableResult } from './common.js';
import { sleep } from '../../clock/sleep.js';
import { MAX_WAIT_MS } from './http-agent-server.js';
import { HEADER_SIGNATURE, HEADER_TIMESTAMP, MAX_CLOCK_SKEW_MS, hmacHex, responseCanonical, signRequest, signaturesEqual } from './http-signing.js';

export { startHttpAgentServer, type HttpAgentServer, type HttpAgentServerOptions } from './http-agent-server.js';

export interface HttpAgentOptions {
  /** Agent base URL by host name, e.g. `{ 'web-1': 'https://web-1.internal:7070' }`. */
  hosts: Record<string, string>;
  keyId: string;
  /** The shared secret for `keyId` (at least 32 characters). Never logged. */
  secret: string;
  /** Hosts talked to at once; default 64. */
  parallelism?: number;
  /** How long one long-poll waits on the agent, ms (≤ 25000); default 20000. */
  waitMs?: number;
  /** How long past a command's timeout the client keeps re-sending after losing contact, ms; default 60000. */
  lostContactGraceMs?: number;
  /** PEM certificate(s) of the private CA that signed the agents' TLS certificates (https URLs). */
  ca?: string;
}

/** The client's options, for a service configuration that embeds them. */
export const httpAgentOptionsSchema = z.object({
  hosts: z.record(hostNameSchema, z.string().url('must be an http(s) URL')).refine((h) => Object.keys(h).length > 0, 'needs at least one host'),
  keyId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1–64 characters of [A-Za-z0-9._-]'),
  secret: z.string().min(32, 'must be at least 32 characters'),
  parallelism: z.number().int().min(1).max(4096).default(64),
  waitMs: z.number().int().min(0).max(MAX_WAIT_MS).default(20_000),
  lostContactGraceMs: z.number().int().min(0).max(3_600_000).default(60_000),
  ca: z.string().includes('-----BEGIN CERTIFICATE-----', 'must be PEM certificates').optional(),
});

const hostResultSchema = z.object({
  host: z.string(),
  status: z.enum(['ok', 'failed', 'timeout', 'unreachable']),
  exitCode: z.number().int().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  startedAt: z.number(),
  finishedAt: z.number(),
  replayed: z.boolean(),
});
const answerSchema = z.object({ done: z.boolean(), result: hostResultSchema.optional() });

/** Connection errors that prove the request never left this machine. */
const NOT_SENT = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT',
  // TLS handshake refusals: the request is only written after the handshake.
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface RawResponse {
  status: number;
  header(name: string): string;
  text: string;
}

/** What went wrong with one HTTP exchange, sorted by what it means for the command. */
type Failure =
  | { kind: 'not-sent'; message: string }
  | { kind: 'refused'; message: string }
  | { kind: 'maybe-sent'; message: string }
  | { kind: 'rejected'; status: number; message: string };

class ExchangeError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

function classify(error: unknown): Failure {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code;
  const message = cause?.message ?? (error as Error).message;
  if (code && NOT_SENT.has(code)) return { kind: 'not-sent', message: `${code}: ${message}` };
  return { kind: 'maybe-sent', message: code ? `${code}: ${message}` : message };
}

/** Builds the client; throws `SluiceError('invalid_config')` naming the field at fault. */
export function httpAgent(options: HttpAgentOptions): Agent {
  const config = parseConfig(httpAgentOptionsSchema, options, 'http agent options');
  const slots = new Semaphore(config.parallelism);
  // Keep-alive connections, and the private CA (if any) that signed the agents' certificates.
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 16, ...(config.ca ? { ca: config.ca } : {}) }),
  };

  /** One HTTP exchange; rejects with the socket error (its `code` says whether anything was sent). */
  function send(url: string, method: string, headers: Record<string, string>, body: string, timeoutMs: number, retried = false): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      const request = (secure ? https : http).request(
        target,
        { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: secure ? agents.https : agents.http },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            clearTimeout(timer);
            const one = (name: string) => {
              const value = response.headers[name];
              return typeof value === 'string' ? value : '';
            };
            resolve({ status: response.statusCode ?? 0, header: one, text: Buffer.concat(chunks).toString('utf8') });
          });
          response.on('error', reject);
        },
      );
      const timer = setTimeout(() => {
        // Still connecting means nothing left this machine.
        const connecting = request.socket?.connecting ?? true;
        request.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: connecting ? 'UND_ERR_CONNECT_TIMEOUT' : 'ETIMEDOUT' }));
      }, timeoutMs);
      request.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // The agent closed an idle keep-alive connection as we reused it: the request never arrived.
        if (request.reusedSocket && error.code === 'ECONNRESET' && !retried) return resolve(send(url, method, headers, body, timeoutMs, true));
        reject(error);
      });
      request.end(body);
    });
  }
  const startedUnreachable = new Map<string, Map<string, HostResult>>();
  // One per (key, host): this client's own re-sends are never "replayed".
  const requesters = new Requesters();

  /** One signed exchange; resolves with the verified JSON answer or throws an `ExchangeError`. */
  async function exchange(host: string, method: 'GET' | 'POST', pathWithQuery: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    const base = config.hosts[host].replace(/\/+$/, '');
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const headers = signRequest(config.keyId, config.secret, method, pathWithQuery, body);
    let response: RawResponse;
    try {
      response = await send(`${base}${pathWithQuery}`, method, { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, body, timeoutMs);
    } catch (error) {
      throw new ExchangeError(classify(error));
    }
    const text = response.text;
    if (response.status === 401) throw new ExchangeError({ kind: 'refused', message: `the agent refused the request: ${text.slice(0, 300)}` });
    const timestamp = response.header(HEADER_TIMESTAMP);
    const signature = response.header(HEADER_SIGNATURE);
    const expected = hmacHex(config.secret, responseCanonical(response.status, headers['x-sluice-nonce'], timestamp, text));
    if (!signaturesEqual(expected, signature) || Math.abs(Date.now() - Number(timestamp)) > MAX_CLOCK_SKEW_MS) {
      throw new ExchangeError({ kind: 'maybe-sent', message: `answer from ${base} is not signed by the agent (status ${response.status})` });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ExchangeError({ kind: 'maybe-sent', message: `answer from ${base} is not JSON` });
    }
    if (response.status >= 500) throw new ExchangeError({ kind: 'maybe-sent', message: `agent error ${response.status}: ${text.slice(0, 300)}` });
    if (response.status !== 200) throw new ExchangeError({ kind: 'rejected', status: response.status, message: (json as { error?: string }).error ?? text.slice(0, 300) });
    return json;
  }

  /**
   * Sends (and re-sends) one keyed request until it has a final answer: a re-sent POST of the key
   * joins the run on the agent, so a long-poll that ends with `done: false` just asks again.
   */
  async function untilDone(host: string, key: string, send: () => Promise<unknown>, budgetMs: number): Promise<HostResult> {
    const deadline = Date.now() + budgetMs;
    let maybeSent = false;
    let backoff = 200;
    let lastError = '';
    for (;;) {
      try {
        const answer = answerSchema.parse(await send());
        maybeSent = true;
        backoff = 200;
        if (answer.done && answer.result) return { ...answer.result, host };
        continue;
      } catch (error) {
        if (error instanceof SluiceError) throw error;
        const failure: Failure = error instanceof ExchangeError ? error.failure : { kind: 'maybe-sent', message: `malformed answer from the agent: ${(error as Error).message}` };
        if (failure.kind === 'refused') return unreachableResult(host, failure.message);
        if (failure.kind === 'rejected') {
          if (failure.status === 409) throw new SluiceError('conflict', 'key', `${host}: ${failure.message}`);
          throw new SluiceError('invalid_input', '', `${host} rejected the request (${failure.status}): ${failure.message}`);
        }
        lastError = failure.message;
        if (failure.kind === 'not-sent' && !maybeSent) return unreachableResult(host, `cannot reach the agent at ${config.hosts[host]}: ${failure.message}`);
        maybeSent = true;
      }
      if (Date.now() + backoff > deadline) {
        const now = Date.now();
        return {
          host,
          status: 'failed',
          exitCode: null,
          stdout: '',
          stderr: `lost contact with the agent at ${config.hosts[host]} after the request may have arrived (${lastError}); the command may have run — send key ${key} again to learn its result (it will not run twice)`,
          startedAt: now,
          finishedAt: now,
          replayed: false,
        };
      }
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 5000);
    }
  }

  async function runOnHost(request: CommandRequest, host: string, waitMs: number, fresh: boolean): Promise<HostResult | null> {
    if (!(host in config.hosts)) return unreachableResult(host, `unknown host ${host}: no agent URL configured`);
    // A fresh requester per call: a second call with the same key is a replay, as on the other adapters.
    const requester = fresh ? freshRequester() : requesters.of(request.key, host);
    const body = { key: request.key, argv: request.argv, timeoutMs: request.timeoutMs, env: request.env, requester, waitMs };
    if (waitMs === 0) {
      // start: one request that registers the run; its answer may already be final.
      try {
        const answer = answerSchema.parse(await exchange(host, 'POST', '/v1/commands', body, 15_000));
        return answer.done && answer.result ? { ...answer.result, host } : null;
      } catch (error) {
        if (error instanceof ExchangeError && error.failure.kind === 'rejected' && error.failure.status === 409) throw new SluiceError('conflict', 'key', `${host}: ${error.failure.message}`);
        if (error instanceof ExchangeError && error.failure.kind !== 'maybe-sent') return unreachableResult(host, error.failure.message);
        // Maybe sent: status will tell; re-sending the key is safe.
        return null;
      }
    }
    return untilDone(host, request.key, () => exchange(host, 'POST', '/v1/commands', body, waitMs + 15_000), request.timeoutMs + config.lostContactGraceMs);
  }

  return {
    name: 'http',

    async run(request, signal) {
      const valid = parseCommandRequest(request);
      const all = Promise.all(valid.hosts.map((host) => slots.use(async () => (await runOnHost(valid, host, config.waitMs, true))!)));
      return abortable(all, signal);
    },

    async start(request) {
      const valid = parseCommandRequest(request);
      const early = new Map<string, HostResult>();
      await Promise.all(
        valid.hosts.map((host) =>
          slots.use(async () => {
            const result = await runOnHost(valid, host, 0, false);
            if (result?.status === 'unreachable') early.set(host, result);
          }),
        ),
      );
      if (early.size > 0) startedUnreachable.set(valid.key, early);
    },

    async status(key, hosts) {
      const known = startedUnreachable.get(key);
      const results = await Promise.all(
        hosts.map((host) =>
          slots.use(async (): Promise<HostResult | null> => {
            const early = known?.get(host);
            if (early) return early;
            if (!(host in config.hosts)) return null;
            try {
              const query = `/v1/commands/${encodeURIComponent(key)}?requester=${requesters.of(key, host)}`;
              const answer = answerSchema.parse(await exchange(host, 'GET', query, undefined, 15_000));
              return answer.done && answer.result ? { ...answer.result, host } : null;
            } catch {
              return null;
            }
          }),
        ),
      );
      return statusOf(key, hosts, results);
    },

    async ping(hosts, timeoutMs) {
      return pingEach(hosts, slots, (host) => host in config.hosts, async (host) => {
        const answer = (await exchange(host, 'GET', '/v1/ping', undefined, timeoutMs)) as Record<string, unknown>;
        return Object.fromEntries(Object.entries(answer).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
      });
    },

    async pushFile(key: string, file: FileToPush, hosts: string[], timeoutMs: number) {
      parsePush(key, file, hosts, timeoutMs);
      const contentBase64 = Buffer.from(file.content).toString('base64');
      return Promise.all(
        hosts.map((host) =>
          slots.use(async () => {
            if (!(host in config.hosts)) return unreachableResult(host, `unknown host ${host}: no agent URL configured`);
            const body = { key, path: file.path, mode: file.mode ?? 0o644, contentBase64, requester: freshRequester() };
            return untilDone(host, key, () => exchange(host, 'POST', '/v1/files', body, timeoutMs), timeoutMs + config.lostContactGraceMs);
          }),
        ),
      );
    },

    async close() {
      startedUnreachable.clear();
      requesters.clear();
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
