/**
 * Chooses a P2P adapter from configuration, for the composition root: `{ kind: 'dragonfly', … }`,
 * `{ kind: 'direct-http', … }` or `{ kind: 'local', … }`, the rest being that adapter's own config
 * (validated by it, so errors name its fields).
 *
 *   createP2P({ kind: 'dragonfly', baseUrl: 'http://manager:8080', token, schedulerClusterIds: [1] }, { jobs })
 *   createP2P({ kind: 'direct-http', cacheDir: '/var/cache/sluice/artifacts' }, { agent, jobs })
 *   createP2P({ kind: 'local', root: '/tmp/fleet' }, {})
 */
import { z } from 'zod';
import { parseConfig } from '../../../src/core/config.js';
import { SluiceError } from '../../../src/core/errors.js';
import type { Agent } from '../../ports/agent.js';
import type { Clock } from '../../ports/clock.js';
import type { P2P } from '../../ports/p2p.js';
import { agentVerifier } from './agent-verify.js';
import type { PreheatJobStore } from './common.js';
import { directHttpP2P, type DirectHttpConfigInput } from './direct-http.js';
import { dragonflyP2P, type DragonflyConfigInput } from './dragonfly.js';
import { localP2P, type LocalP2PConfigInput } from './local.js';

const selectorSchema = z.object({ kind: z.enum(['dragonfly', 'direct-http', 'local']) }).loose();

export interface P2PDependencies {
  /** Required by `direct-http`; used by `dragonfly` for `verifyCacheDir`. */
  agent?: Agent;
  /** Key → job record, backed by the service's durable state. */
  jobs?: PreheatJobStore;
  clock?: Clock;
}

/** A P2P adapter plus the poll interval its config asks for, in ms. */
export interface SelectedP2P extends P2P {
  readonly pollIntervalMs: number;
}

/**
 * Builds the configured adapter. A `dragonfly` config may add `verifyCacheDir`: hosts keep a copy
 * at `<dir>/<hex>` and `verify` checks it through the agent. Throws `SluiceError('invalid_config')`.
 */
export function createP2P(input: unknown, deps: P2PDependencies): SelectedP2P {
  const { kind, ...rest } = parseConfig(selectorSchema, input, 'p2p config');
  switch (kind) {
    case 'dragonfly': {
      const { verifyCacheDir, ...config } = rest as DragonflyConfigInput & { verifyCacheDir?: unknown };
      if (verifyCacheDir === undefined) return dragonflyP2P(config, { jobs: deps.jobs, clock: deps.clock });
      if (typeof verifyCacheDir !== 'string' || verifyCacheDir === '') throw new SluiceError('invalid_config', 'verifyCacheDir', 'p2p config: must be a non-empty path');
      return dragonflyP2P(config, { jobs: deps.jobs, clock: deps.clock, verifier: agentVerifier(needAgent(deps, 'verifyCacheDir'), { cacheDir: verifyCacheDir }) });
    }
    case 'direct-http':
      return directHttpP2P(rest as DirectHttpConfigInput, { agent: needAgent(deps, 'kind'), jobs: deps.jobs });
    case 'local':
      return localP2P(rest as LocalP2PConfigInput);
  }
}

function needAgent(deps: P2PDependencies, path: string): Agent {
  if (!deps.agent) throw new SluiceError('invalid_config', path, 'p2p config: needs an agent (the service has none configured)');
  return deps.agent;
}
