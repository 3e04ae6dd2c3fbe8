/**
 * What the deployment-tool integrations share: their dependencies, judging a gate query with
 * errors that name the caller's field and the compact verdict summary they answer with. (Tools
 * that cannot set an `Authorization` header declare where their body carries the key:
 * `keyInBody` on the route.)
 */
import { z } from 'zod';
import { SluiceError } from '../../src/core/errors.js';
import type { GateRunner } from '../../src/gate/runner.js';
import type { Decision } from '../../src/gate/verdict.js';
import type { LogSource } from '../../src/sources/log-source.js';
import type { MetricSource } from '../../src/sources/metric-source.js';
import { caseFromQueries, judgeCase, type GateQuery, type JudgedBatch } from '../gate/judge.js';
import { HttpError } from '../http/errors.js';
import type { Store } from '../ports/store.js';

export interface IntegrationDeps {
  store: Store;
  source: MetricSource;
  /** Epoch ms. */
  now: () => number;
  /** The exception logs a gate query reads for its hosts (none: only the query's own `logs`). */
  logs?: LogSource;
  /** Base URL of reports, for the `report` link in answers (default: relative links). */
  reportBase?: string;
  /** Where verdicts are computed (default: on this thread). */
  gate?: GateRunner;
}

/** The shared state every integration route of one service uses. */
export interface IntegrationContext extends IntegrationDeps {
  gate: GateRunner;
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
