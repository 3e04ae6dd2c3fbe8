/**
 * The host side of the HTTP agent protocol (described in `http-agent.ts`): a small Node HTTP
 * server that runs commands on the machine it runs on, through the same durable journal as the
 * local fleet, after checking each request's HMAC signature, timestamp and nonce.
 *
 * Start it with `startHttpAgentServer({ port: 7070, secrets: { ops: '<32+ chars>' }, dir: '/var/lib/sluice-agent' })`.
 * Give it a TLS key and certificate (`tls`), or bind it to a private network: signatures make
 * requests and answers unforgeable and unreplayable, but do not hide them.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseConfig } from '../../../src/core/config.js';
import { SluiceError } from '../../../src/core/errors.js';
import type { HostResult } from '../../ports/agent.js';
import { MAX_TIMEOUT_MS, commandRequestSchema, fileToPushSchema, keySchema } from './common.js';
import { sleep } from '../../clock/sleep.js';
import { HEADER_SIGNATURE, HEADER_TIMESTAMP, NonceCache, checkHeaders, hmacHex, requestCanonical, responseCanonical, signaturesEqual } from './http-signing.js';
import { HostJournal } from './journal.js';
import { DEPLOYED_VERSION_FILE } from './local.js';

export const HTTP_AGENT_VERSION = '1';

/** Longest a request waits for a command before answering `done: false` (the client asks again). */
export const MAX_WAIT_MS = 25_000;

export interface HttpAgentServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Address to bind; default 127.0.0.1 (set 0.0.0.0 deliberately). */
  bind?: string;
  /** Shared secrets by key id (several allow rotation); each at least 32 characters. */
  secrets: Record<string, string>;
  /** The agent's state directory: journal, pushed-file staging, deployed version; also the commands' working directory. */
  dir: string;
  /** How this host names itself in results; default the OS host name. */
  hostName?: string;
  /** Largest request body, bytes; default 64 MiB (pushed files travel base64 in JSON). */
  maxBodyBytes?: number;
  /** Serve HTTPS with this PEM key and certificate (chain). */
  tls?: { key: string; cert: string };
  /** Records of finished commands are kept this long, ms (then pruned hourly); default 30 days. */
  retentionMs?: number;
  /** Told about every refused request (never with secrets); default a line on stderr. */
  onRefused?: (event: { remote: string; method: string; path: string; reason: string }) => void;
}

const optionsSchema = z.object({
  port: z.number().int().min(0).max(65535),
  bind: z.string().default('127.0.0.1'),
  secrets: z.record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'key ids are 1–64 characters of [A-Za-z0-9._-]'), z.string().min(32, 'must be at least 32 characters')).refine((s) => Object.keys(s).length > 0, 'needs at least one key'),
  dir: z.string().min(1),
  hostName: z.string().min(1).default(() => os.hostname()),
  maxBodyBytes: z.number().int().min(1024).default(64 * 1024 * 1024),
  retentionMs: z.number().int().min(3_600_000).default(30 * 24 * 3600 * 1000),
  tls: z.object({ key: z.string().includes('PRIVATE KEY', 'must be a PEM private key'), cert: z.string().includes('-----BEGIN CERTIFICATE-----', 'must be a PEM certificate') }).optional(),
  onRefused: z.function().optional(),
});

export interface HttpAgentServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const requesterSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8–64 characters of [A-Za-z0-9_-]');
const waitSchema = z.number().int().min(0).max(MAX_WAIT_MS).default(0);

const runBodySchema = z.object({
  key: keySchema,
  argv: commandRequestSchema.shape.argv,
  timeoutMs: z.number().int().min(1).max(MAX_TIMEOUT_MS),
  env: commandRequestSchema.shape.env,
  requester: requesterSchema,
  waitMs: waitSchema,
});

const pushBodySchema = z.object({
  key: keySchema,
  path: fileToPushSchema.shape.path,
  mode: z.number().int().min(0).max(0o7777).default(0o644),
  contentBase64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
  requester: requesterSchema,
});

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new HttpError(400, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
}

function readBody(request: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > limit) return reject(new HttpError(413, `body over ${limit} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, `body over ${limit} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Starts the agent server; resolves once it listens. Throws `SluiceError('invalid_config')` naming a bad option. */
export async function startHttpAgentServer(options: HttpAgentServerOptions): Promise<HttpAgentServer> {
  const config = parseConfig(optionsSchema, options, 'http agent server options');
  const secrets = new Map(Object.entries(config.secrets));
  const dir = path.resolve(config.dir);
  mkdirSync(dir, { recursive: true });
  // Commands start from the agent's environment minus its own configuration.
  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SLUICE_AGENT_')));
  const journal = new HostJournal(config.hostName, dir, baseEnv);
  const nonces = new NonceCache();
  const onRefused =
    options.onRefused ??
    ((event: { remote: string; method: string; path: string; reason: string }) => {
      console.warn(`sluice-agent: refused ${event.method} ${event.path} from ${event.remote}: ${event.reason}`);
    });

  const respond = (response: http.ServerResponse, status: number, payload: unknown, signing?: { secret: string; nonce: string }) => {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
    if (signing) {
      const timestamp = String(Date.now());
      headers[HEADER_TIMESTAMP] = timestamp;
      headers[HEADER_SIGNATURE] = hmacHex(signing.secret, responseCanonical(status, signing.nonce, timestamp, body));
    }
    response.writeHead(status, headers).end(body);
  };

  /** Runs (or joins) the command and waits for it up to `waitMs`. */
  const runCommand = async (body: z.output<typeof runBodySchema>): Promise<{ done: boolean; result?: HostResult }> => {
    const running = journal.run({ key: body.key, argv: body.argv, timeoutMs: body.timeoutMs, env: body.env, requester: body.requester });
    // The command goes on after the answer; its end is recorded in the journal.
    running.catch(() => undefined);
    const outcome = await Promise.race([running.then((result) => ({ done: true, result })), sleep(body.waitMs).then(() => ({ done: false }))]);
    return outcome;
  };

  const route = async (method: string, url: URL, raw: Buffer): Promise<[number, unknown]> => {
    const json = () => {
      try {
        return JSON.parse(raw.toString('utf8')) as unknown;
      } catch {
        throw new HttpError(400, 'body is not JSON');
      }
    };
    if (method === 'GET' && url.pathname === '/v1/ping') {
      const version = await fs.readFile(path.join(dir, DEPLOYED_VERSION_FILE), 'utf8').catch(() => null);
      return [200, { agent: 'http', agentVersion: HTTP_AGENT_VERSION, host: config.hostName, ...(version !== null ? { deployedVersion: version.trim() } : {}) }];
    }
    if (method === 'POST' && url.pathname === '/v1/commands') return [200, await runCommand(parseBody(runBodySchema, json()))];
    const statusMatch = /^\/v1\/commands\/([^/]+)$/.exec(url.pathname);
    if (method === 'GET' && statusMatch) {
      const key = parseBody(keySchema, decodeURIComponent(statusMatch[1]));
      const requester = url.searchParams.get('requester') ?? undefined;
      const result = await journal.result(key, requester);
      return [200, result ? { done: true, result } : { done: false }];
    }
    if (method === 'POST' && url.pathname === '/v1/files') {
      const body = parseBody(pushBodySchema, json());
      const target = path.posix.normalize(body.path);
      const result = await journal.push(body.key, target, body.path, Buffer.from(body.contentBase64, 'base64'), body.mode, body.requester);
      return [200, { done: true, result }];
    }
    throw new HttpError(404, `no route ${method} ${url.pathname}`);
  };

  const handler: http.RequestListener = (request, response) => {
    const method = request.method ?? 'GET';
    const target = request.url ?? '/';
    const remote = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`;
    const refuse = (reason: string) => {
      onRefused({ remote, method, path: target.split('?')[0], reason });
      respond(response, 401, { error: 'unauthorized', reason });
    };
    void (async () => {
      const headers = checkHeaders(request.headers, secrets, Date.now());
      if (!headers.ok) return refuse(headers.reason);
      let raw: Buffer;
      try {
        raw = await readBody(request, config.maxBodyBytes);
      } catch (error) {
        return respond(response, error instanceof HttpError ? error.status : 400, { error: (error as Error).message });
      }
      const secret = secrets.get(headers.keyId)!;
      const expected = hmacHex(secret, requestCanonical(method, target, String(headers.timestamp), headers.nonce, raw));
      if (!signaturesEqual(expected, headers.signature)) return refuse('bad signature');
      // Only a correctly signed request spends its nonce, so junk cannot fill the cache.
      if (!nonces.remember(headers.keyId, headers.nonce, headers.timestamp, Date.now())) return refuse('nonce already used (replay)');
      const signing = { secret, nonce: headers.nonce };
      try {
        const [status, payload] = await route(method, new URL(target, 'http://agent'), raw);
        respond(response, status, payload, signing);
      } catch (error) {
        if (error instanceof HttpError) return respond(response, error.status, { error: error.message }, signing);
        if (error instanceof SluiceError) return respond(response, error.code === 'conflict' ? 409 : 400, { error: error.message, code: error.code }, signing);
        respond(response, 500, { error: (error as Error).message }, signing);
      }
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  };
  const server = config.tls ? https.createServer({ key: config.tls.key, cert: config.tls.cert }, handler) : http.createServer(handler);
  // Long-polls answer within MAX_WAIT_MS; keep the socket a little longer than that.
  server.requestTimeout = MAX_WAIT_MS + 30_000;
  server.keepAliveTimeout = 5_000;

  const pruneTimer = setInterval(() => void journal.prune(config.retentionMs).catch(() => undefined), 3_600_000);
  pruneTimer.unref();
  void journal.prune(config.retentionMs).catch(() => undefined);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.bind, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.bind.includes(':') ? `[${config.bind}]` : config.bind;
  return {
    url: `${config.tls ? 'https' : 'http'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(pruneTimer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
