/**
 * The gate API. A deployment system sends one batch — inline series in the case format, or metric
 * queries the service resolves against its metric source — and gets the verdict document. Every
 * evaluation is recorded with its inputs; people mark it correct or incorrect; labeled recordings
 * export as a dataset in the case format (one JSON case per line).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { caseLogSchema, caseSchema, metricCategories, parseCase, toCaseJson, type ParsedCase } from '../../../src/datasets/case.js';
import { GateCache } from '../../../src/gate/cache.js';
import { evaluate } from '../../../src/gate/evaluate.js';
import { parsePolicy } from '../../../src/gate/policy.js';
import type { Verdict } from '../../../src/gate/verdict.js';
import { labelFromFeedback } from '../../../src/replay/record.js';
import { SluiceError } from '../../../src/core/errors.js';
import type { MetricSource } from '../../../src/sources/metric-source.js';
import type { EvaluationRecord, Store } from '../../ports/store.js';
import { HttpError } from '../errors.js';
import { route, type RouteSpec } from '../route.js';

const queryMetricSchema = z.object({
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

const gateBodySchema = z.object({
  /** Inline: one case in the case format. */
  case: z.unknown().optional(),
  /** Or queries resolved against the service's metric source. */
  query: gateQuerySchema.optional(),
  /** Gate policy (partial; defaults fill the rest). */
  policy: z.record(z.string(), z.unknown()).optional(),
}).refine((b) => (b.case === undefined) !== (b.query === undefined), { message: 'give exactly one of case (inline series) or query (metric queries)', path: ['case'] });

const feedbackSchema = z.object({
  correct: z.boolean(),
  /** Metric names (or "logs") that showed the fault, and an optional kind. */
  labels: z.array(z.string().min(1)).default([]),
  kind: z.string().min(1).optional(),
  note: z.string().max(2000).optional(),
});

const DAY = 86_400_000;

/** Resolves metric queries into a case; a failing source becomes an INCONCLUSIVE-ready empty metric. */
async function caseFromQueries(q: z.output<typeof gateQuerySchema>, source: MetricSource, now: number): Promise<{ parsed: ParsedCase; sourceErrors: string[] }> {
  const until = q.until ?? now;
  const start = q.historyFrom ?? q.release.deployedAt - 2 * DAY;
  if (!(until > q.release.deployedAt)) throw new HttpError(400, 'invalid_input', 'body.query.until', 'the observation window is empty: until must be after release.deployedAt');
  const aligned = start - (((start - q.release.deployedAt) % q.step) + q.step) % q.step;
  const length = Math.ceil((until - aligned) / q.step);
  if (length > 200_000) throw new HttpError(400, 'invalid_input', 'body.query.historyFrom', `the query spans ${length} points; at most 200000`);
  const sourceErrors: string[] = [];
  const metrics = await Promise.all(
    q.metrics.map(async (m) => {
      const fetch = async (hosts: string[]) => {
        if (hosts.length === 0) return [];
        try {
          const out = await source.query({ metric: m.name, hosts, start: aligned, end: aligned + length * q.step, step: q.step, aggregate: m.aggregate });
          return hosts.map((host) => ({ host, values: out[host]?.values ?? new Float64Array(length).fill(NaN) }));
        } catch (error) {
          sourceErrors.push(`${m.name}: ${(error as Error).message}`);
          return hosts.map((host) => ({ host, values: new Float64Array(length).fill(NaN) }));
        }
      };
      const [released, unreleased] = await Promise.all([fetch(q.hosts.released), fetch(q.hosts.unreleased)]);
      return { name: m.name, category: m.category, direction: m.direction, critical: m.critical, released, unreleased };
    }),
  );
  return {
    parsed: { id: q.id ?? `eval-${randomUUID()}`, app: q.app, release: { ...q.release }, step: q.step, start: aligned, metrics, logs: q.logs },
    sourceErrors,
  };
}

export interface GateRouteDeps {
  store: Store;
  source: MetricSource;
  now: () => number;
  /** Base URL of reports, for the `report` link in answers. */
  reportBase?: string;
}

export function gateRoutes({ store, source, now, reportBase = '' }: GateRouteDeps): RouteSpec[] {
  const cache = new GateCache(5_000);
  const reportUrl = (id: string) => `${reportBase}/v1/evaluations/${id}`;
  return [
    route({
      method: 'post', path: '/v1/gate/evaluate', summary: 'Judge one release batch: PASS, FAIL or INCONCLUSIVE with a 0–100 score and evidence', tag: 'gate', scope: 'gate', audit: 'gate.evaluate',
      body: gateBodySchema,
      handler: async ({ body }) => {
        let parsed: ParsedCase;
        let sourceErrors: string[] = [];
        if (body.case !== undefined) {
          const result = parseCase(body.case);
          if (!result.ok) {
            const issues = result.issues.map((i) => ({ field: `body.case.${i.path}`.replace(/\.$/, ''), reason: i.message }));
            throw new HttpError(400, 'invalid_input', issues[0].field, issues[0].reason, issues);
          }
          parsed = result.value;
        } else {
          ({ parsed, sourceErrors } = await caseFromQueries(body.query!, source, now()));
        }
        let verdict: Verdict;
        try {
          verdict = evaluate(parsed, parsePolicy(body.policy ?? {}), { cache });
        } catch (error) {
          if (error instanceof SluiceError) throw new HttpError(400, error.code, `body.policy${error.path ? `.${error.path}` : ''}`, error.message);
          throw error;
        }
        if (sourceErrors.length > 0) {
          // Data that could not be read never passes: the verdict says why.
          verdict = { ...verdict, decision: verdict.decision === 'FAIL' ? 'FAIL' : 'INCONCLUSIVE', basis: verdict.decision === 'FAIL' ? verdict.basis : 'insufficient_data', anomalous: true, reasons: [`metric source failed: ${sourceErrors.join('; ')}`, ...verdict.reasons] };
        }
        const id = `ev-${randomUUID()}`;
        const record: EvaluationRecord = {
          id, releaseId: parsed.release.id ?? null, batch: parsed.release.batch ?? null, createdAt: now(),
          decision: verdict.decision, score: verdict.score, input: toCaseJson(parsed), verdict, feedback: null,
        };
        await store.saveEvaluation(record);
        return { body: { id, report: reportUrl(id), ...verdict }, target: `evaluation:${id}` };
      },
    }),
    route({
      method: 'get', path: '/v1/evaluations/export', summary: 'Export labeled evaluations as a dataset: one case-format JSON document per line (NDJSON)', tag: 'gate', scope: 'read',
      query: z.object({ release: z.string().optional() }),
      handler: async ({ query }) => {
        const records = await store.listEvaluations({ releaseId: query.release, labeledOnly: true, limit: 100_000 });
        const lines = records.map((r) => JSON.stringify(labeledCase(r)));
        return { text: { contentType: 'application/x-ndjson', body: lines.length ? `${lines.join('\n')}\n` : '' } };
      },
    }),
    route({
      method: 'get', path: '/v1/evaluations/:id', summary: 'Read an evaluation: its verdict, inputs and feedback', tag: 'gate', scope: 'read',
      handler: async ({ params }) => {
        const record = await store.getEvaluation(params.id);
        if (!record) throw new HttpError(404, 'not_found', 'id', `no evaluation ${params.id}`);
        return { body: record };
      },
    }),
    route({
      method: 'get', path: '/v1/evaluations', summary: 'List evaluations (summaries), by release or labeled only', tag: 'gate', scope: 'read',
      query: z.object({ release: z.string().optional(), labeled: z.enum(['true', 'false']).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }),
      handler: async ({ query }) => {
        const records = await store.listEvaluations({ releaseId: query.release, labeledOnly: query.labeled === 'true', limit: query.limit });
        return { body: { evaluations: records.map((r) => ({ id: r.id, releaseId: r.releaseId, batch: r.batch, createdAt: r.createdAt, decision: r.decision, score: r.score, feedback: r.feedback, report: reportUrl(r.id) })) } };
      },
    }),
    route({
      method: 'post', path: '/v1/evaluations/:id/feedback', summary: 'Mark an evaluation correct or incorrect, with the metrics that showed the fault', tag: 'gate', scope: 'gate', audit: 'evaluation.feedback',
      body: feedbackSchema,
      handler: async ({ params, body, key }) => {
        const record = await store.getEvaluation(params.id);
        if (!record) throw new HttpError(404, 'not_found', 'id', `no evaluation ${params.id}`);
        const input = record.input as { metrics?: { name: string }[] };
        const names = new Set([...(input.metrics ?? []).map((m) => m.name), 'logs']);
        const unknown = body.labels.findIndex((l) => !names.has(l));
        if (unknown >= 0) throw new HttpError(400, 'invalid_input', `body.labels.${unknown}`, `names no metric of this evaluation: "${body.labels[unknown]}"`);
        const feedback = { correct: body.correct, labels: body.labels, note: body.note ?? null, at: now(), keyId: key?.id ?? null, ...(body.kind ? { kind: body.kind } : {}) };
        await store.setFeedback(params.id, feedback);
        return { body: { id: params.id, feedback }, target: `evaluation:${params.id}` };
      },
    }),
  ];
}

/** A stored evaluation with feedback as a labeled case (the label rule is the library's). */
export function labeledCase(record: EvaluationRecord): z.input<typeof caseSchema> {
  const input = record.input as z.input<typeof caseSchema>;
  const feedback = record.feedback!;
  return { ...input, id: record.id, label: labelFromFeedback(record.decision as Verdict['decision'], feedback) };
}
