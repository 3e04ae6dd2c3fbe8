/**
 * One declaration per endpoint: method, path, scope, zod schemas and handler. The same list
 * builds the Express routes (validation, auth, rate limit, audit) and the OpenAPI document.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { ApiKeyRecord, Scope } from '../ports/store.js';

export interface HandlerContext<B, Q> {
  body: B;
  query: Q;
  params: Record<string, string>;
  /** The authenticated key; `null` on public routes. */
  key: ApiKeyRecord | null;
  req: Request;
  res: Response;
}

export interface HandlerResult {
  status?: number;
  body?: unknown;
  /** Raw text body with its content type (metrics, HTML). */
  text?: { contentType: string; body: string };
  /** What the call acted on, for the audit log (e.g. `release:r1`). */
  target?: string;
}

export interface RouteSpec<B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express path, e.g. `/v1/releases/:id`. */
  path: string;
  summary: string;
  tag: string;
  /** Scope needed; `null` for public endpoints (health, OpenAPI). */
  scope: Scope | null;
  body?: B;
  query?: Q;
  /** Schema of the success body, for the OpenAPI document. */
  response?: z.ZodType;
  /** Audit action name; every non-GET route is audited, under this name or `METHOD path`. */
  audit?: string;
  /**
   * For tools that cannot set headers (Flagger webhooks, Kayenta's remote judge): where their
   * request body carries the API key, read when no header presents one. Authentication, scope,
   * rate limit and audit stay the pipeline's; `field` names the key in errors.
   */
  keyInBody?: { field: string; read: (body: unknown) => string | undefined };
  /** Raw body instead of JSON (e.g. line protocol). */
  rawBody?: boolean;
  handler: (ctx: HandlerContext<z.output<B>, z.output<Q>>) => Promise<HandlerResult> | HandlerResult;
}

/** Declares a route with inferred body and query types. */
export function route<B extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = z.ZodUnknown>(spec: RouteSpec<B, Q>): RouteSpec {
  return spec as unknown as RouteSpec;
}
