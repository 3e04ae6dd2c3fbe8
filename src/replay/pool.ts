/**
 * Replays cases on every core: batches go to worker threads, outcomes come back in case order.
 * Falls back to the calling thread for small runs or `workers: 1`.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../core/worker-thread.js';
import type { ParsedCase } from '../datasets/case.js';
import type { ReplayConfig } from './config.js';
import type { CaseOutcome } from './metrics.js';
import { replayCase } from './replay.js';

export interface ReplayRunOptions {
  /** Worker threads (default: the machine's parallelism). */
  workers?: number;
  /** Called after each finished batch with cases done and total. */
  onProgress?: (done: number, total: number) => void;
  /** Split of each case id, copied into the outcomes. */
  split?: { train: string[]; test: string[] };
}

const BATCH = 8;

export async function replayAll(cases: readonly ParsedCase[], config: ReplayConfig, options: ReplayRunOptions = {}): Promise<CaseOutcome[]> {
  const splitOf = new Map<string, 'train' | 'test'>();
  for (const id of options.split?.train ?? []) splitOf.set(id, 'train');
  for (const id of options.split?.test ?? []) splitOf.set(id, 'test');
  const total = cases.length;
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), Math.ceil(total / BATCH)));
  const outcomes: CaseOutcome[] = new Array(total);
  if (workers === 1 || total <= BATCH) {
    cases.forEach((c, i) => {
      outcomes[i] = replayCase(c, config, splitOf.get(c.id)).outcome;
      if ((i + 1) % BATCH === 0 || i + 1 === total) options.onProgress?.(i + 1, total);
    });
    return outcomes;
  }
  const pool = Array.from({ length: workers }, () => startModuleWorker(import.meta.url, 'worker'));
  let next = 0;
  let done = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const dispatch = (worker: Worker) => {
        if (next >= total) return;
        const from = next;
        next = Math.min(total, next + BATCH);
        const batch = cases.slice(from, next);
        worker.postMessage({ job: from, config, cases: batch, splits: batch.map((c) => splitOf.get(c.id)) });
      };
      for (const worker of pool) {
        worker.on('message', (message: { job: number; outcomes: CaseOutcome[] }) => {
          message.outcomes.forEach((o, i) => (outcomes[message.job + i] = o));
          done += message.outcomes.length;
          options.onProgress?.(done, total);
          if (done === total) resolve();
          else dispatch(worker);
        });
        worker.on('error', reject);
        dispatch(worker);
      }
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return outcomes;
}
