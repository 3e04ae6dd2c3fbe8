/**
 * What the deployment-tool integrations share: their dependencies, judging a gate query with
 * errors that name the caller's field, the compact verdict summary they answer with, and
 * authentication for tools that cannot set an `Authorization` header.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { SluiceError } from '../../src/core/errors.js';
import type { GateCache } from '../../src/gate/cache.js';
import type { Decision } from '../../src/gate/verdict.js';
import type { LogSource } from '../../src/sources/log-source.js';
import type { MetricSource } from '../../src/sources/metric-source.js';
import { authenticate } from '../auth/api-keys.js';
import { caseFromQueries, judgeCase, type GateQuery, type JudgedBatch } from '../gate/judge.js';
import { HttpError } from '../http/errors.js';
import type { RateLimiter, RateLimitOptions } from '../http/rate-limit.js';
import type { ApiKeyRecord, Store } from '../ports/store.js';

export interface IntegrationDeps {
  store: Store;
  source: MetricSource;
  /** Epoch ms. */
  now: () => number;
  /** The exception logs a gate query reads for its hosts (none: only the query's own `logs`). */
  logs?: LogSource;
  /** Base URL of reports, for the `report` link in answers (default: relative links). */
  reportBase?: string;
  /**
   * Per-key limit of the routes that authenticate themselves (Flagger, Kayenta); the app's own
   * limiter guards the others. Default: the app's default, 200/s with bursts of 400.
   */
  rateLimit?: RateLimitOptions;
}

/** The shared state every integration route of one service uses. */
export interface IntegrationContext extends IntegrationDeps {
  cache: GateCache;
  limiter: RateLimiter;
  reportUrl: (evaluationId: string) => string;
}

/** The part of a verdict a deployment tool acts on; the full document is at `report`. */
export interface VerdictSummary {
  decision: Decision;
  /** Batch anomaly score 0–100 (higher is worse). */
  score: number;
  basis: string;
  anomalies: number;
  reasons: string[];
  /** Evaluation id (`ev-…`). */
  evaluation: string;
  report: string;
}

/** The summary's schema, for the OpenAPI document. */
export const verdictSummarySchema = z.object({
  decision: z.enum(['PASS', 'FAIL', 'INCONCLUSIVE']),
  score: z.number(),
  basis: z.string(),
  anomalies: z.number(),
  reasons: z.array(z.string()),
  evaluation: z.string(),
  report: z.string(),
});

export function summarize(judged: JudgedBatch, reportUrl: (id: string) => string): VerdictSummary {
  const { verdict } = judged;
  return { decision: verdict.decision, score: verdict.score, basis: verdict.basis, anomalies: verdict.anomalies, reasons: verdict.reasons, evaluation: judged.id, report: reportUrl(judged.id) };
}

/**
 * Resolves a gate query against the metric source (and the hosts' exception logs, with a log
 * source) and judges it (recorded like every gate call). A bad query or policy becomes a 400 whose field is `fieldOf(path relative to the query)`
 * or `policyField.<path>`.
 */
export async function judgeGateQuery(
  query: GateQuery,
  policy: Record<string, unknown>,
  context: IntegrationContext,
  fields: { fieldOf: (queryPath: string) => string; policyField: string },
): Promise<JudgedBatch> {
  let resolved: Awaited<ReturnType<typeof caseFromQueries>>;
  try {
    resolved = await caseFromQueries(query, context.source, context.now(), context.logs);
  } catch (error) {
    if (error instanceof SluiceError) throw new HttpError(400, error.code, fields.fieldOf(error.path), error.message);
    throw error;
  }
  try {
    return await judgeCase(resolved.parsed, policy, resolved.sourceErrors, context);
  } catch (error) {
    if (error instanceof SluiceError) throw new HttpError(400, error.code, error.path ? `${fields.policyField}.${error.path}` : fields.policyField, error.message);
    throw error;
  }
}

/** The key in `Authorization: Bearer <key>` (or `X-API-Key`), if any. */
export function headerKey(req: Request): string | undefined {
  const header = req.header('authorization') ?? '';
  const match = /^bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : (req.header('x-api-key') ?? undefined);
}

/**
 * Authenticates a tool that cannot always set headers (Flagger webhooks, Kayenta's remote judge):
 * the header key when present, otherwise the key the tool carries in its request body. Needs the
 * `gate` scope, and takes a token of the key's rate limit. Throws the 401/403/429 the API answers
 * everywhere.
 */
export async function authorizeGate(context: IntegrationContext, req: Request, bodyKey: string | undefined, bodyKeyField: string): Promise<ApiKeyRecord> {
  const fromHeader = headerKey(req);
  const auth = await authenticate(context.store, fromHeader ?? bodyKey, 'gate');
  if (!auth.ok) {
    const reason = fromHeader || bodyKey ? auth.reason : `an API key is required: Authorization: Bearer <key>, or ${bodyKeyField}`;
    throw new HttpError(auth.status, auth.code, fromHeader || !bodyKey ? 'authorization' : bodyKeyField, reason);
  }
  const wait = context.limiter.take(auth.key.id, context.now());
  if (wait > 0) throw new HttpError(429, 'rate_limited', '', `rate limit exceeded for key ${auth.key.id}; retry in ${wait} ms`, undefined, { 'retry-after': String(Math.ceil(wait / 1000)) });
  return auth.key;
}
