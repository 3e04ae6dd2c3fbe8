/**
 * The deployment-tool integrations as one route list: Argo Rollouts (web metric provider),
 * Flagger (webhooks) and Spinnaker/Kayenta (remote judge). Each speaks the contract its tool
 * already documents and judges through the same gate call as the gate API.
 */
import { inThreadRunner } from '../../src/gate/runner.js';
import type { RouteSpec } from '../http/route.js';
import { argoRoutes } from './argo.js';
import type { IntegrationContext, IntegrationDeps } from './common.js';
import { flaggerRoutes } from './flagger.js';
import { kayentaRoutes } from './kayenta.js';

export type { IntegrationDeps } from './common.js';

/** Every integration route over one store, metric source and clock. */
export function integrationRoutes(deps: IntegrationDeps): RouteSpec[] {
  const context: IntegrationContext = { ...deps, gate: deps.gate ?? inThreadRunner(), reportUrl: (id) => `${deps.reportBase ?? ''}/v1/evaluations/${id}` };
  return [...argoRoutes(context), ...flaggerRoutes(context), ...kayentaRoutes(context)];
}
