/**
 * The artifact preheat the service configuration asks for: `none` (succeeds at once), or
 * `local`, `direct-http` or `dragonfly` through `createP2P`. Preheat jobs are recorded in the
 * store by key, so a restarted service (or another replica) finds the job it started instead of
 * starting a second one. Dragonfly's token comes from `tokenFile` or `tokenEnv`, never the config.
 *
 *   { "kind": "dragonfly", "baseUrl": "http://dragonfly-manager:8080", "tokenFile": "/etc/sluice/dragonfly.token",
 *     "schedulerClusterIds": [1] }
 */
import { z } from 'zod';
import { SluiceError } from '../../src/core/errors.js';
import type { PreheatJobStore } from '../adapters/p2p/common.js';
import { createP2P } from '../adapters/p2p/select.js';
import { noAgent, noP2P } from '../orchestrator/unconfigured.js';
import type { Agent } from '../ports/agent.js';
import type { Clock } from '../ports/clock.js';
import type { P2P } from '../ports/p2p.js';
import type { Store } from '../ports/store.js';
import { fleetRoot } from './agent.js';
import { readSecretEnv, readSecretFile, refuseInline, underField } from './secrets.js';

/** `kind` picks the adapter; the rest is that adapter's config (validated by it, fields named). */
export const p2pConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.looseObject({ kind: z.literal('local'), root: z.string().optional() }),
  z.looseObject({ kind: z.literal('direct-http') }),
  z.looseObject({ kind: z.literal('dragonfly'), tokenFile: z.string().min(1).optional(), tokenEnv: z.string().min(1).optional() }),
]);
export type P2PConfig = z.output<typeof p2pConfigSchema>;

/**
 * Preheat jobs by key in the store (durable, shared by replicas), under `<kind>:` so a service
 * reconfigured from one P2P system to another never asks one for the other's job.
 */
export function storeJobStore(store: Store, clock: Clock, kind: string): PreheatJobStore {
  return {
    get: async (key) => (await store.getPreheatJob(`${kind}:${key}`)) ?? undefined,
    set: (key, jobId) => store.setPreheatJob(`${kind}:${key}`, jobId, clock.now()),
  };
}

export interface P2PContext {
  agent: Agent;
  store: Store;
  clock: Clock;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
}

/** Builds the configured P2P adapter. Throws `SluiceError('invalid_config')` naming the field under `p2p.`. */
export function createConfiguredP2P(config: P2PConfig, context: P2PContext): P2P {
  if (config.kind === 'none') return noP2P;
  let input: Record<string, unknown> = config;
  if (config.kind === 'local') input = { ...config, root: fleetRoot(config.root, context.dataDir) };
  if (config.kind === 'dragonfly') {
    const { tokenFile, tokenEnv, ...rest } = config;
    refuseInline(rest, 'token', 'p2p.token', 'give tokenFile (a file readable only by the service) or tokenEnv (an environment variable name)');
    if (tokenFile !== undefined && tokenEnv !== undefined) throw new SluiceError('invalid_config', 'p2p.tokenFile', 'give one of tokenFile and tokenEnv, not both');
    const token = tokenFile !== undefined ? readSecretFile(tokenFile, 'p2p.tokenFile') : tokenEnv !== undefined ? readSecretEnv(tokenEnv, 'p2p.tokenEnv', context.env) : undefined;
    input = token === undefined ? rest : { ...rest, token };
  }
  try {
    return createP2P(input, { agent: context.agent === noAgent ? undefined : context.agent, jobs: storeJobStore(context.store, context.clock, config.kind), clock: context.clock });
  } catch (error) {
    return underField('p2p', error);
  }
}
