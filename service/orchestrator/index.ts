/**
 * The orchestrator: finds releases it should drive, holds a lease on each so that two service
 * processes never drive the same one, runs a `ReleaseRunner` per release, and applies operators'
 * actions. `createOrchestrator(...).start()` resumes every non-terminal release it can lease.
 */
import { randomUUID } from 'node:crypto';
import type { ReleaseRecord } from '../ports/store.js';
import { actionOutcome, withTransition } from './machine.js';
import { mutateRelease, ReleaseRunner, type RunnerDeps, type RunnerOptions } from './runner.js';
import { releaseStates, isTerminal, type ReleaseAction, type ReleaseSpec } from './state.js';

export type { CommandGuard, Judge } from './runner.js';
export { planBatches } from './plan.js';
export { releaseOrderSchema, resolveOrder, type ReleaseOrder } from './order.js';
export * from './state.js';

export interface OrchestratorOptions extends RunnerOptions {
  /** Clock ms a lease lasts; renewed every third of it. */
  leaseTtlMs: number;
  /** Clock ms between looks for new releases. */
  scanMs: number;
}

export const defaultOrchestratorOptions: OrchestratorOptions = { pollMs: 1000, retryDelayMs: 2000, callAttempts: 3, leaseTtlMs: 30_000, scanMs: 1000 };

/** What a release runner needs, plus the orchestrator's own settings (all optional). */
export interface OrchestratorDeps extends Omit<RunnerDeps, 'options'> {
  /** This process's name on leases (default: a random id). */
  owner?: string;
  options?: Partial<OrchestratorOptions>;
}

/** Why an action was refused: `not_found` (no such release) or `conflict` (not allowed now). */
export class ActionError extends Error {
  constructor(readonly code: 'not_found' | 'conflict', message: string) {
    super(message);
    this.name = 'ActionError';
  }
}

export interface Orchestrator {
  readonly owner: string;
  /** Resumes every non-terminal release it can lease, then keeps picking up new ones. */
  start(): Promise<void>;
  /** Stops driving (commands in flight are abandoned; a successor re-sends them under their keys) and frees the leases. */
  stop(): Promise<void>;
  /** Looks for new releases now instead of at the next scan. */
  notify(): void;
  /**
   * Applies an operator's action (`by`: the key id) and returns the updated record. Throws
   * ActionError: `not_found`, or `conflict` naming the state when the action is not allowed.
   */
  act(releaseId: string, action: ReleaseAction, by: string, reason?: string): Promise<ReleaseRecord>;
  /** Releases this process drives now. */
  driving(): string[];
}

const active = releaseStates.filter((s) => !isTerminal(s));

export function createOrchestrator(deps: OrchestratorDeps): Orchestrator {
  const options: OrchestratorOptions = { ...defaultOrchestratorOptions, ...deps.options };
  const owner = deps.owner ?? `sluice-${randomUUID()}`;
  const { store, clock, log } = deps;
  const runners = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let stopping: AbortController | null = null;
  let wake: AbortController = new AbortController();
  let loops: Promise<void>[] = [];

  const drive = (id: string) => {
    const controller = new AbortController();
    const runner = new ReleaseRunner(id, { ...deps, options }, controller.signal);
    const done = runner
      .run()
      .catch((error: unknown) => log(`release ${id}: runner stopped on an error: ${(error as Error).stack ?? String(error)}`))
      .finally(async () => {
        runners.delete(id);
        if (!controller.signal.aborted) await store.releaseLease(id, owner).catch(() => undefined);
      });
    runners.set(id, { controller, done });
  };

  const scan = async () => {
    const lists = await Promise.all(active.map((state) => store.listReleases({ state, limit: 10_000 })));
    for (const record of lists.flat()) {
      if (runners.has(record.id) || (record.spec as ReleaseSpec).order?.driver !== 'sluice') continue;
      if (!(await store.acquireLease(record.id, owner, options.leaseTtlMs, clock.now()))) continue;
      // The list may be stale: another process may have finished the release and freed its lease since.
      const current = await store.getRelease(record.id);
      if (!current || isTerminal(current.state)) {
        await store.releaseLease(record.id, owner);
        continue;
      }
      log(`orchestrator ${owner}: driving release ${record.id} (${current.state})`);
      drive(record.id);
    }
  };

  const sleepUnless = async (ms: number, signal: AbortSignal) => {
    try {
      await clock.sleep(ms, signal);
    } catch {
      // woken early or stopping
    }
  };

  const scanLoop = async (signal: AbortSignal) => {
    while (!signal.aborted) {
      await scan().catch((error: unknown) => log(`orchestrator: scan failed: ${(error as Error).message}`));
      wake = new AbortController();
      await sleepUnless(options.scanMs, AbortSignal.any([signal, wake.signal]));
    }
  };

  const renewLoop = async (signal: AbortSignal) => {
    while (!signal.aborted) {
      await sleepUnless(options.leaseTtlMs / 3, signal);
      if (signal.aborted) return;
      for (const [id, { controller }] of runners) {
        const held = await store.acquireLease(id, owner, options.leaseTtlMs, clock.now()).catch(() => false);
        if (!held) {
          log(`orchestrator ${owner}: lost the lease on release ${id}; stopping it here`);
          controller.abort(new Error('lease lost'));
        }
      }
    }
  };

  return {
    owner,
    async start() {
      if (stopping) return;
      stopping = new AbortController();
      await scan();
      loops = [scanLoop(stopping.signal), renewLoop(stopping.signal)];
    },
    async stop() {
      stopping?.abort(new Error('orchestrator stopping'));
      const all = [...runners.entries()];
      for (const [, r] of all) r.controller.abort(new Error('orchestrator stopping'));
      await Promise.all([...loops, ...all.map(([, r]) => r.done)]);
      await Promise.all(all.map(([id]) => store.releaseLease(id, owner).catch(() => undefined)));
      stopping = null;
    },
    notify() {
      wake.abort();
    },
    async act(releaseId, action, by, reason) {
      let refusal: ActionError | null = null;
      const written = await mutateRelease(store, releaseId, () => clock.now(), (state, spec) => {
        refusal = null;
        if (spec.order?.driver !== 'sluice' && action !== 'abort') {
          refusal = new ActionError('conflict', `release ${releaseId} is driven by an external deployment system; only abort is possible here`);
          return null;
        }
        const outcome = actionOutcome(state, action, spec.progress?.currentBatch ?? null, spec.journal?.resume ?? null);
        if (!outcome.ok) {
          refusal = new ActionError('conflict', outcome.reason);
          return null;
        }
        if (spec.order?.driver !== 'sluice') return { state: outcome.to, spec };
        const text = reason ?? `${action} by ${by}`;
        const resumeTo = spec.journal.resume;
        spec.progress = withTransition(spec.progress, state, outcome.to, text, by, clock.now());
        spec.journal.resume = outcome.resume;
        if ((action === 'approve' || action === 'resume') && resumeTo?.state === 'deploying' && resumeTo.batch !== null) {
          spec.progress.currentBatch = resumeTo.batch;
          spec.progress.batches[resumeTo.batch - 1].state = 'deploying';
        }
        if (action === 'abort') for (const b of spec.progress.batches) if (b.state === 'pending') b.state = 'skipped';
        return { state: outcome.to, spec };
      });
      if (!written) throw new ActionError('not_found', `no release ${releaseId}`);
      if (refusal) throw refusal;
      log(`release ${releaseId}: ${action} by ${by} → ${written.state}`);
      if (!runners.has(releaseId)) this.notify();
      return written;
    },
    driving: () => [...runners.keys()],
  };
}
