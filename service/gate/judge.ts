/**
 * Judging one batch inside the service: metric queries become a case (read from the metric
 * source), the case becomes a verdict (the library's gate), and every verdict is recorded with
 * its inputs. The gate API, the orchestrator and the integrations all judge through here, so a
 * batch is judged and recorded the same way whoever asks.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { SluiceError } from '../../src/core/errors.js';
import { caseLogSchema, metricCategories, type ParsedCase } from '../../src/datasets/case.js';
import type { GateRunner } from '../../src/gate/runner.js';
import { parsePolicy } from '../../src/gate/policy.js';
import type { Verdict } from '../../src/gate/verdict.js';
import type { LogSource } from '../../src/sources/log-source.js';
import type { MetricSource } from '../../src/sources/metric-source.js';
import { HttpError } from '../http/errors.js';
import type { EvaluationRecord, Store } from '../ports/store.js';

export const queryMetricSchema = z.object({
  name: z.string().min(1),
  category: z.enum(metricCategories),
  direction: z.enum(['up', 'down', 'both']),
  critical: z.boolean().default(false),
  aggregate: z.enum(['mean', 'sum', 'min', 'max', 'p95', 'count', 'last']).optional(),
});

/** A batch described by queries: which hosts, which metrics, which minutes. */
export const gateQuerySchema = z.object({
  id: z.string().min(1).optional(),
  app: z.string().min(1),
  release: z.object({ id: z.string().optional(), version: z.string().optional(), batch: z.number().int().nonnegative().optional(), deployedAt: z.number().int() }),
  step: z.number().int().positive().default(60_000),
  /** Epoch ms where history starts (default: 2 days before `deployedAt`). */
  historyFrom: z.number().int().optional(),
  /** Epoch ms where the observation window ends (default: now). */
  until: z.number().int().optional(),
  hosts: z.object({ released: z.array(z.string().min(1)).min(1), unreleased: z.array(z.string().min(1)).default([]) }),
  metrics: z.array(queryMetricSchema).min(1).max(500),
  logs: z.array(caseLogSchema).default([]),
});
export type GateQuery = z.output<typeof gateQuerySchema>;

const DAY = 86_400_000;

/**
 * Resolves metric queries into a case. A metric the source cannot serve becomes all-missing
 * series plus an entry in `sourceErrors` (so the verdict cannot pass); a query whose window is
 * empty or too long throws a SluiceError naming the field (relative to the query). With a log
 * source, the case's logs are the query's own events plus the source's signature counts for
 * every released and unreleased host over the same minutes (history and window; with
 * `logsBeforeMs`, only that far before the release); a log source that fails is a source error too.
 */
export async function caseFromQueries(q: GateQuery, source: MetricSource, now: number, logSource?: LogSource, logsBeforeMs?: number): Promise<{ parsed: ParsedCase; sourceErrors: string[] }> {
  const until = q.until ?? now;
  const start = q.historyFrom ?? q.release.deployedAt - 2 * DAY;
  if (!(until > q.release.deployedAt)) throw new SluiceError('invalid_input', 'until', 'the observation window is empty: until must be after release.deployedAt');
  const aligned = start - (((start - q.release.deployedAt) % q.step) + q.step) % q.step;
  const length = Math.ceil((until - aligned) / q.step);
  if (length > 200_000) throw new SluiceError('invalid_input', 'historyFrom', `the query spans ${length} points; at most 200000`);
  const sourceErrors: string[] = [];
  const readLogs = async () => {
    if (!logSource) return [];
    // On the case's grid, so every event's minute is one of the series' points.
    const from = logsBeforeMs === undefined ? aligned : Math.max(aligned, q.release.deployedAt - Math.ceil(logsBeforeMs / q.step) * q.step);
    try {
      return await logSource.query({ hosts: [...q.hosts.released, ...q.hosts.unreleased], start: from, end: aligned + length * q.step, step: q.step });
    } catch (error) {
      sourceErrors.push(`logs: ${(error as Error).message}`);
      return [];
    }
  };
  const metricsRead = Promise.all(
    q.metrics.map(async (m) => {
      const read = async (hosts: string[]) => {
        if (hosts.length === 0) return [];
        try {
          const out = await source.query({ metric: m.name, hosts, start: aligned, end: aligned + length * q.step, step: q.step, aggregate: m.aggregate });
          return hosts.map((host) => ({ host, values: out[host]?.values ?? new Float64Array(length).fill(NaN) }));
        } catch (error) {
          sourceErrors.push(`${m.name}: ${(error as Error).message}`);
          return hosts.map((host) => ({ host, values: new Float64Array(length).fill(NaN) }));
        }
      };
      const [released, unreleased] = await Promise.all([read(q.hosts.released), read(q.hosts.unreleased)]);
      return { name: m.name, category: m.category, direction: m.direction, critical: m.critical, released, unreleased };
    }),
  );
  // Asked after the metrics: a source that reports as it is read (the demo's fleet) has then
  // reported the logs of the same minutes.
  const logsRead = readLogs();
  const metrics = await metricsRead;
  return {
    parsed: { id: q.id ?? `eval-${randomUUID()}`, app: q.app, release: { ...q.release }, step: q.step, start: aligned, metrics, logs: [...q.logs, ...(await logsRead)] },
    sourceErrors,
  };
}

export interface JudgeDeps {
  store: Store;
  /**
   * Where verdicts are computed: `inThreadRunner()` (this thread) or `gateWorkers()` (worker
   * threads; with `move`, the case's series are lent to the worker while it judges).
   */
  gate: GateRunner;
  now: () => number;
  /** Where the exception logs of the judged hosts come from (none: only the query's own `logs`). */
  logs?: LogSource;
  /**
   * How far before the release the logs are read, ms (default: the whole history). Every event
   * is judged and recorded each minute, so a large fleet may want less than two days of them.
   */
  logsBeforeMs?: number;
}

export interface JudgedBatch {
  /** Evaluation id (`ev-…`), the key of the stored record and of its report. */
  id: string;
  verdict: Verdict;
}

/**
 * Judges a case under a (partial) policy and records the evaluation. Source errors turn a
 * non-FAIL verdict into INCONCLUSIVE with the reason: data that could not be read never passes.
 * A bad policy throws the library's SluiceError (path relative to the policy).
 */
export async function judgeCase(parsed: ParsedCase, policy: Record<string, unknown>, sourceErrors: string[], deps: JudgeDeps): Promise<JudgedBatch> {
  const parsedPolicy = parsePolicy(policy);
  let verdict: Verdict;
  try {
    verdict = await deps.gate.evaluate(parsed, parsedPolicy);
  } catch (error) {
    // The runner could not judge (a worker out of memory, a service shutting down): nothing is
    // recorded; callers answer 503 or retry. Other errors are the policy's (an unknown detector).
    if (error instanceof SluiceError && error.code === 'unavailable') throw new HttpError(503, 'unavailable', '', `the gate could not judge the batch: ${error.message}`);
    throw error;
  }
  if (sourceErrors.length > 0) {
    verdict = { ...verdict, decision: verdict.decision === 'FAIL' ? 'FAIL' : 'INCONCLUSIVE', basis: verdict.decision === 'FAIL' ? verdict.basis : 'insufficient_data', anomalous: true, reasons: [`metric source failed: ${sourceErrors.join('; ')}`, ...verdict.reasons] };
  }
  const id = `ev-${randomUUID()}`;
  // The parsed case itself: the store packs it as its JSON form would be, without writing the
  // history's text again each minute (it reads back as `toCaseJson(parsed)`).
  const record: EvaluationRecord = {
    id, releaseId: parsed.release.id ?? null, batch: parsed.release.batch ?? null, createdAt: deps.now(),
    decision: verdict.decision, score: verdict.score, input: parsed, verdict, feedback: null,
  };
  await deps.store.saveEvaluation(record);
  return { id, verdict };
}

/** Resolves queries and judges them: the one call the orchestrator and integrations make. */
export async function judgeQuery(query: GateQuery, policy: Record<string, unknown>, source: MetricSource, deps: JudgeDeps): Promise<JudgedBatch> {
  const { parsed, sourceErrors } = await caseFromQueries(query, source, deps.now(), deps.logs, deps.logsBeforeMs);
  return judgeCase(parsed, policy, sourceErrors, deps);
}
