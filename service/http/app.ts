/**
 * The Express application: every route goes through the same pipeline — rate limit, API key and
 * scope, zod validation of body and query, handler, audit of every mutating call, request metrics,
 * one error shape. Nothing here logs a key or a request body.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { performance } from 'node:perf_hooks';
import { authenticate } from '../auth/api-keys.js';
import type { Store } from '../ports/store.js';
import { HttpError, sendError, validationError } from './errors.js';
import { ServiceMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import type { RouteSpec } from './route.js';

export interface AppOptions {
  store: Store;
  routes: RouteSpec[];
  /** Epoch ms; injected so tests control time. */
  now?: () => number;
  rateLimit?: RateLimitOptions;
  /** Largest JSON body accepted (default 10 MB). */
  jsonLimit?: string;
  /** Largest raw body (line protocol) accepted (default 20 MB). */
  rawLimit?: string;
  metrics?: ServiceMetrics;
  /** Where request log lines go (default: nowhere). */
  log?: (line: string) => void;
  version?: string;
  /** Readiness probe; the service is ready when it resolves true. */
  ready?: () => Promise<boolean>;
}

/**
 * The presented key: `Authorization: Bearer <key>`, `Token <key>` (InfluxDB clients), Basic auth
 * with the key as password (Telegraf's username/password), or `X-API-Key`.
 */
const presentedKey = (req: Request): string | undefined => {
  const header = req.header('authorization') ?? '';
  const [scheme, value] = [header.slice(0, header.indexOf(' ')), header.slice(header.indexOf(' ') + 1).trim()];
  if (/^(bearer|token)$/i.test(scheme)) return value;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1) || undefined;
  }
  return req.header('x-api-key') ?? undefined;
};

export function createApp(options: AppOptions): express.Express {
  const { store } = options;
  const now = options.now ?? Date.now;
  const metrics = options.metrics ?? new ServiceMetrics();
  const limiter = new RateLimiter(options.rateLimit ?? { ratePerSecond: 200, burst: 400 });
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  const builtins: RouteSpec[] = [
    { method: 'get', path: '/healthz', summary: 'Liveness', tag: 'health', scope: null, handler: () => ({ body: { status: 'ok' } }) },
    {
      method: 'get', path: '/readyz', summary: 'Readiness: the store answers', tag: 'health', scope: null,
      handler: async () => {
        const ready = options.ready ? await options.ready().catch(() => false) : true;
        if (!ready) throw new HttpError(503, 'not_ready', '', 'the service is not ready');
        return { body: { status: 'ready' } };
      },
    },
    { method: 'get', path: '/metrics', summary: 'The service\'s own metrics (Prometheus text format)', tag: 'health', scope: null, handler: () => ({ text: { contentType: 'text/plain; version=0.0.4', body: metrics.render() } }) },
  ];
  const routes = [...builtins, ...options.routes];
  const document = openApiDocument(routes, { title: 'Sluice API', version: options.version ?? '1' });
  routes.push({ method: 'get', path: '/v1/openapi.json', summary: 'This document', tag: 'health', scope: null, handler: () => ({ body: document }) });

  for (const spec of routes) {
    const parsers = spec.rawBody
      ? [express.text({ type: () => true, limit: options.rawLimit ?? '20mb' })]
      : spec.body
        ? [express.json({ limit: options.jsonLimit ?? '10mb', type: () => true })]
        : [];
    app[spec.method](spec.path, ...parsers, async (req: Request, res: Response) => {
      const started = performance.now();
      let keyId: string | null = null;
      let target = spec.path;
      let status = 500;
      try {
        let key = null;
        if (spec.scope) {
          const fromHeader = presentedKey(req);
          const fromBody = fromHeader === undefined && spec.keyInBody ? spec.keyInBody.read(req.body) : undefined;
          const auth = await authenticate(store, fromHeader ?? fromBody, spec.scope);
          if (!auth.ok) {
            if (fromBody !== undefined) throw new HttpError(auth.status, auth.code, spec.keyInBody!.field, auth.reason);
            const reason = fromHeader === undefined && spec.keyInBody ? `an API key is required: Authorization: Bearer <key>, or ${spec.keyInBody.field}` : auth.reason;
            throw new HttpError(auth.status, auth.code, 'authorization', reason);
          }
          key = auth.key;
          keyId = key.id;
          const wait = limiter.take(key.id, now());
          if (wait > 0) throw new HttpError(429, 'rate_limited', '', `rate limit exceeded for key ${key.id}; retry in ${wait} ms`, undefined, { 'retry-after': String(Math.ceil(wait / 1000)) });
        }
        const body = spec.body ? spec.body.safeParse(req.body) : { success: true as const, data: req.body };
        if (!body.success) throw validationError('body', body.error);
        const query = spec.query ? spec.query.safeParse(req.query) : { success: true as const, data: req.query };
        if (!query.success) throw validationError('query', query.error);
        const result = await spec.handler({ body: body.data, query: query.data, params: req.params as Record<string, string>, key, req, res });
        target = result.target ?? target;
        status = result.status ?? 200;
        if (result.text) res.status(status).type(result.text.contentType).send(result.text.body);
        else if (result.body === undefined) res.status(status).end();
        else res.status(status).json(result.body);
      } catch (error) {
        const httpError = error instanceof HttpError ? error : new HttpError(500, 'internal', '', 'internal error');
        if (!(error instanceof HttpError)) options.log?.(`error ${spec.method.toUpperCase()} ${spec.path}: ${(error as Error)?.stack ?? String(error)}`);
        status = httpError.status;
        sendError(res, httpError);
      } finally {
        const seconds = (performance.now() - started) / 1000;
        metrics.observeRequest(spec.method.toUpperCase(), spec.path, status, seconds);
        options.log?.(`${spec.method.toUpperCase()} ${req.path} ${status} ${(seconds * 1000).toFixed(1)}ms key=${keyId ?? '-'}`);
        if (spec.method !== 'get') {
          await store
            .appendAudit({ at: now(), keyId, action: spec.audit ?? `${spec.method.toUpperCase()} ${spec.path}`, target, result: status < 400 ? 'ok' : status === 401 || status === 403 || status === 429 ? 'denied' : 'error', detail: String(status) })
            .catch((e: unknown) => options.log?.(`audit write failed: ${(e as Error).message}`));
        }
      }
    });
  }

  app.use((req: Request, res: Response) => sendError(res, new HttpError(404, 'not_found', 'path', `no route ${req.method} ${req.path}`)));
  // Body-parser failures (malformed JSON, too large) arrive here with their own status.
  app.use((error: { status?: number; type?: string; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    const code = error.type === 'entity.too.large' ? 'body_too_large' : error.type === 'entity.parse.failed' ? 'malformed_json' : 'bad_request';
    sendError(res, new HttpError(status, code, 'body', error.message ?? 'bad request'));
  });
  return app;
}
