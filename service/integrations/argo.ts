/**
 * Argo Rollouts: the `web` metric provider calls a URL (GET, or POST with a `jsonBody`), reads
 * the JSON answer as `result` and evaluates the AnalysisTemplate's `successCondition` and
 * `failureCondition` on it. Sluice answers the batch's verdict summary plus three booleans, so
 * `result.decision == "PASS"` succeeds, `result.decision == "FAIL"` fails, and INCONCLUSIVE makes
 * both false, which Argo records as Inconclusive (the rollout pauses for a person).
 *
 * Any non-2xx answer (a bad parameter, a bad key) is an Error measurement in Argo, never a pass.
 */
import { z } from 'zod';
import { route, type RouteSpec } from '../http/route.js';
import { batchParamsSchema, batchRequest } from './batch-params.js';
import { judgeGateQuery, summarize, verdictSummarySchema, type IntegrationContext, type VerdictSummary } from './common.js';

/** The answer: the verdict summary and the three outcomes as booleans. */
export interface ArgoAnswer extends VerdictSummary {
  passed: boolean;
  failed: boolean;
  inconclusive: boolean;
}

const answerSchema = verdictSummarySchema.extend({ passed: z.boolean(), failed: z.boolean(), inconclusive: z.boolean() });

export function argoRoutes(context: IntegrationContext): RouteSpec[] {
  const judge = async (input: unknown, where: 'query' | 'body', keyId: string | null): Promise<{ body: ArgoAnswer; target: string }> => {
    const request = batchRequest(input, context.now(), where);
    const judged = await judgeGateQuery(request.query, request.policy, context, { fieldOf: request.fieldOf, policyField: `${where}.policy` });
    const summary = summarize(judged, context.reportUrl);
    const body: ArgoAnswer = { ...summary, passed: summary.decision === 'PASS', failed: summary.decision === 'FAIL', inconclusive: summary.decision === 'INCONCLUSIVE' };
    // GET calls are not audited by the app, but this one records an evaluation.
    if (where === 'query') await context.store.appendAudit({ at: context.now(), keyId, action: 'argo.judge', target: `evaluation:${judged.id}`, result: 'ok', detail: body.decision });
    return { body, target: `evaluation:${judged.id}` };
  };
  const summary = 'Argo Rollouts web metric: judge one batch and answer the verdict for successCondition/failureCondition';
  return [
    route({
      method: 'get', path: '/v1/integrations/argo/judge', summary: `${summary} (query parameters)`, tag: 'integrations', scope: 'gate',
      query: batchParamsSchema, response: answerSchema,
      handler: async ({ query, key }) => judge(query, 'query', key?.id ?? null),
    }),
    route({
      method: 'post', path: '/v1/integrations/argo/judge', summary: `${summary} (jsonBody)`, tag: 'integrations', scope: 'gate', audit: 'argo.judge',
      body: batchParamsSchema, response: answerSchema,
      handler: async ({ body, key }) => judge(body, 'body', key?.id ?? null),
    }),
  ];
}
