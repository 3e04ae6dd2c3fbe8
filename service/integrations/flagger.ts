/**
 * Flagger webhooks. Flagger POSTs `{ name, namespace, phase, checksum, metadata }` (metadata: the
 * webhook's string map from the Canary spec) and reads only the HTTP status: 2xx lets the canary
 * go on, anything else halts it (or, for `rollout` hooks, counts a failed check). The `rollback`
 * hook is the other way round: 2xx asks Flagger to roll the canary back.
 *
 * Sluice gates on its verdict for the canary:
 * - when the metadata describes the batch (`released`, `metrics`, … as in `batch-params.ts`),
 *   Sluice judges it now and records the evaluation under release `metadata.release` or
 *   `flagger/<namespace>/<name>`, with the canary's checksum as the version;
 * - otherwise it reads the latest recorded evaluation: of `metadata.release`, else of
 *   `flagger/<namespace>/<name>`, else of the newest release order of app `metadata.app`
 *   (default: the canary's name) in environment `metadata.environment` (default: its namespace).
 *
 * | hook                                                                    | 2xx when            |
 * | ----------------------------------------------------------------------- | ------------------- |
 * | confirm-rollout, pre-rollout, rollout, confirm-traffic-increase, confirm-promotion | the verdict is PASS |
 * | rollback                                                                | the verdict is FAIL |
 * | post-rollout (Flagger only logs its answer)                             | always              |
 *
 * "Not 2xx" is 412: the condition the hook asks about does not hold (no verdict yet, FAIL, or
 * INCONCLUSIVE — which is never a silent pass). Flagger webhooks cannot set headers, so the key may
 * come as `metadata.apiKey` when no `Authorization` header is sent.
 */
import { z } from 'zod';
import type { Verdict } from '../../src/gate/verdict.js';
import { route, type RouteSpec } from '../http/route.js';
import type { EvaluationRecord, Store } from '../ports/store.js';
import { batchRequest } from './batch-params.js';
import { judgeGateQuery, summarize, verdictSummarySchema, type IntegrationContext, type VerdictSummary } from './common.js';

export const flaggerHooks = ['confirm-rollout', 'pre-rollout', 'rollout', 'confirm-traffic-increase', 'confirm-promotion', 'post-rollout', 'rollback'] as const;
export type FlaggerHook = (typeof flaggerHooks)[number];

/** Flagger's webhook payload (`CanaryWebhookPayload` in pkg/apis/flagger/v1beta1/canary.go). */
export const flaggerPayloadSchema = z.object({
  name: z.string().min(1),
  namespace: z.string().min(1),
  phase: z.string().optional(),
  checksum: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});
export type FlaggerPayload = z.output<typeof flaggerPayloadSchema>;

const answerSchema = z.object({
  hook: z.enum(flaggerHooks),
  canary: z.string(),
  proceed: z.boolean().optional(),
  rollback: z.boolean().optional(),
  reason: z.string(),
  verdict: verdictSummarySchema.nullable(),
});

/** The answer's body (Flagger logs it when the status halts the canary). */
export interface FlaggerAnswer {
  hook: FlaggerHook;
  /** `namespace/name`. */
  canary: string;
  /** Other hooks: whether the canary may go on (the status is 200 exactly then). */
  proceed?: boolean;
  /** `rollback` hook: whether Sluice asks for a rollback (the status is 200 exactly then). */
  rollback?: boolean;
  reason: string;
  verdict: VerdictSummary | null;
}

/** A release's latest evaluation (one indexed row, without its inputs), or null. */
async function latestOf(store: Store, releaseId: string): Promise<EvaluationRecord | null> {
  const [latest] = await store.listEvaluations({ releaseId, order: 'newest', limit: 1, withInput: false });
  return latest ?? null;
}

function summaryOf(record: EvaluationRecord, reportUrl: (id: string) => string): VerdictSummary {
  const verdict = record.verdict as Partial<Verdict> | null;
  return {
    decision: record.decision as VerdictSummary['decision'],
    score: record.score,
    basis: verdict?.basis ?? 'score',
    anomalies: verdict?.anomalies ?? 0,
    reasons: verdict?.reasons ?? [],
    evaluation: record.id,
    report: reportUrl(record.id),
  };
}

/** The latest recorded verdict for a canary, in the order the module comment gives; null when none. */
async function recordedVerdict(store: Store, payload: FlaggerPayload, metadata: Record<string, string>): Promise<{ record: EvaluationRecord | null; source: string }> {
  if (metadata.release) return { record: await latestOf(store, metadata.release), source: `release ${metadata.release}` };
  const own = `flagger/${payload.namespace}/${payload.name}`;
  const mine = await latestOf(store, own);
  if (mine) return { record: mine, source: `release ${own}` };
  const app = metadata.app ?? payload.name;
  const environment = metadata.environment ?? payload.namespace;
  const [release] = await store.listReleases({ app, environment, limit: 1 });
  if (!release) return { record: null, source: `app ${app} in ${environment}` };
  return { record: await latestOf(store, release.id), source: `release ${release.id}` };
}

/** The status and answer of one hook for a verdict (null: none yet). */
export function hookAnswer(hook: FlaggerHook, canary: string, verdict: VerdictSummary | null, source: string): { status: number; body: FlaggerAnswer } {
  const decision = verdict?.decision ?? null;
  const why = verdict ? `${source}: ${decision} (score ${verdict.score.toFixed(1)})${verdict.reasons.length ? ` — ${verdict.reasons[0]}` : ''}` : `no evaluation yet for ${source}`;
  if (hook === 'post-rollout') return { status: 200, body: { hook, canary, reason: `recorded; ${why}`, verdict } };
  if (hook === 'rollback') {
    const rollback = decision === 'FAIL';
    return { status: rollback ? 200 : 412, body: { hook, canary, rollback, reason: rollback ? `roll back: ${why}` : `no rollback: ${why}`, verdict } };
  }
  const proceed = decision === 'PASS';
  return { status: proceed ? 200 : 412, body: { hook, canary, proceed, reason: proceed ? `proceed: ${why}` : `halt: ${why}`, verdict } };
}

/** Flagger webhooks cannot set headers: the key may ride in the Canary's webhook metadata. */
const metadataKey = (body: unknown): string | undefined => {
  const apiKey = (body as { metadata?: { apiKey?: unknown } } | null)?.metadata?.apiKey;
  return typeof apiKey === 'string' ? apiKey : undefined;
};

export function flaggerRoutes(context: IntegrationContext): RouteSpec[] {
  return flaggerHooks.map((hook) =>
    route({
      method: 'post', path: `/v1/integrations/flagger/${hook}`, summary: `Flagger ${hook} webhook: gate the canary on Sluice's verdict, answered by HTTP status (gate key: Authorization header or metadata.apiKey)`, tag: 'integrations', scope: 'gate', audit: `flagger.${hook}`,
      keyInBody: { field: 'body.metadata.apiKey', read: metadataKey },
      body: flaggerPayloadSchema, response: answerSchema,
      handler: async ({ body, key }) => {
        const { apiKey: _key, ...metadata } = body.metadata ?? {};
        const canary = `${body.namespace}/${body.name}`;
        let verdict: VerdictSummary | null;
        let source: string;
        if (metadata.released !== undefined || metadata.metrics !== undefined) {
          const release = metadata.release ?? `flagger/${canary}`;
          const request = batchRequest({ app: body.name, ...(body.checksum ? { version: body.checksum } : {}), ...metadata, release }, context.now(), 'body.metadata');
          verdict = summarize(await judgeGateQuery(request.query, request.policy, context, { fieldOf: request.fieldOf, policyField: 'body.metadata.policy' }), context.reportUrl);
          source = `release ${release}`;
        } else {
          const found = await recordedVerdict(context.store, body, metadata);
          verdict = found.record ? summaryOf(found.record, context.reportUrl) : null;
          source = found.source;
        }
        const answer = hookAnswer(hook, canary, verdict, source);
        return { ...answer, target: `canary:${canary}${verdict ? ` evaluation:${verdict.evaluation}` : ''} key:${key!.id}` };
      },
    }),
  );
}
