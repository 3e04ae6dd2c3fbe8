/**
 * Where verdicts are computed. A service judging batches every minute cannot afford a long
 * evaluation on its event loop (every request waits behind it), so it judges through a
 * `GateRunner`: `inThreadRunner` evaluates on the calling thread (scripts, tests, small cases),
 * `gateWorkers` (workers.ts) on worker threads. Both give the same verdict, byte for byte.
 */
import { SluiceError } from '../core/errors.js';
import type { ParsedCase } from '../datasets/case.js';
import { GateCache } from './cache.js';
import { evaluate } from './evaluate.js';
import type { Policy, PolicyInput } from './policy.js';
import type { Verdict } from './verdict.js';

export interface GateRunner {
  /**
   * Judges one case (see `evaluate`). Rejects with `SluiceError('invalid_config')` naming the field
   * for a bad policy, as `evaluate` throws.
   */
  evaluate(c: ParsedCase, policy?: PolicyInput | Policy): Promise<Verdict>;
  /** Stops the runner's threads; later calls reject. */
  close(): Promise<void>;
}

/** Evaluates on the calling thread with one cache for every call. */
export function inThreadRunner(cache: GateCache = new GateCache(5_000)): GateRunner {
  let closed = false;
  return {
    async evaluate(c, policy = {}) {
      if (closed) throw new SluiceError('unavailable', '', 'the gate runner is closed');
      return evaluate(c, policy, { cache });
    },
    async close() {
      closed = true;
    },
  };
}
