/**
 * The gate API. A deployment system sends one batch — inline series in the case format, or metric
 * queries the service resolves against its metric source — and gets the verdict document. Every
 * evaluation is recorded with its inputs; people mark it correct or incorrect; labeled recordings
 * export as a dataset in the case format (one JSON case per line).
 */
import { z } from 'zod';
import { caseSchema, parseCase, type ParsedCase } from '../../../src/datasets/case.js';
import { inThreadRunner, type GateRunner } from '../../../src/gate/runner.js';
import type { Verdict } from '../../../src/gate/verdict.js';
import { labelFromFeedback } from '../../../src/replay/record.js';
import { SluiceError } from '../../../src/core/errors.js';
import type { LogSource } from '../../../src/sources/log-source.js';
import type { MetricSource } from '../../../src/sources/metric-source.js';
import { caseFromQueries, gateQuerySchema, judgeCase, type JudgedBatch } from '../../gate/judge.js';
import type { EvaluationRecord, Store } from '../../ports/store.js';
import { HttpError } from '../errors.js';
import { route, type RouteSpec } from '../route.js';

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

export interface GateRouteDeps {
  store: Store;
  source: MetricSource;
  now: () => number;
  /** The exception logs a query-based call reads for its hosts (none: only the query's own `logs`). */
  logs?: LogSource;
  /** Base URL of reports, for the `report` link in answers. */
  reportBase?: string;
  /** Where verdicts are computed (default: on this thread). */
  gate?: GateRunner;
}

export function gateRoutes({ store, source, now, logs, reportBase = '', gate = inThreadRunner() }: GateRouteDeps): RouteSpec[] {
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
          try {
            ({ parsed, sourceErrors } = await caseFromQueries(body.query!, source, now(), logs));
          } catch (error) {
            if (error instanceof SluiceError) throw new HttpError(400, error.code, `body.query.${error.path}`, error.message);
            throw error;
          }
        }
        let judged: JudgedBatch;
        try {
          judged = await judgeCase(parsed, body.policy ?? {}, sourceErrors, { store, gate, now });
        } catch (error) {
          if (error instanceof SluiceError) throw new HttpError(400, error.code, `body.policy${error.path ? `.${error.path}` : ''}`, error.message);
          throw error;
        }
        const { id, verdict } = judged;
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
      method: 'get', path: '/v1/evaluations', summary: 'List evaluations (summaries, newest first unless order=oldest), by release and batch or labeled only', tag: 'gate', scope: 'read',
      query: z.object({
        release: z.string().optional(),
        batch: z.coerce.number().int().min(0).optional(),
        labeled: z.enum(['true', 'false']).optional(),
        order: z.enum(['newest', 'oldest']).default('newest'),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
      }),
      handler: async ({ query }) => {
        const records = await store.listEvaluations({ releaseId: query.release, batch: query.batch, labeledOnly: query.labeled === 'true', limit: query.limit, order: query.order, withInput: false });
        return { body: { evaluations: records.map((r) => ({ id: r.id, releaseId: r.releaseId, batch: r.batch, createdAt: r.createdAt, decision: r.decision, score: r.score, feedback: r.feedback, report: reportUrl(r.id) })) } };
      },
    }),
    route({
      method: 'post', path: '/v1/evaluations/:id/feedback', summary: 'Mark an evaluation correct or incorrect, with the metrics that showed the fault', tag: 'gate', scope: 'gate', audit: 'evaluation.feedback',
      body: feedbackSchema,
      handler: async ({ params, body, key }) => {
        const record = await store.getEvaluation(params.id);
        if (!record) throw new HttpError(404, 'not_found', 'id', `no evaluation ${params.id}`);
        // Retention removed the input of an evaluation left unlabeled: a label would name nothing to replay.
        if (record.input === null) throw new HttpError(410, 'gone', 'id', `evaluation ${params.id} no longer holds its input (retention removes it from unlabeled evaluations); its verdict stays readable`);
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
