/**
 * Polls a preheat job until it succeeds or fails: what the orchestrator does before batch 1.
 */
import { systemClock, type Clock } from '../../ports/clock.js';
import type { P2P, PreheatProgress } from '../../ports/p2p.js';
import { isTerminal } from './common.js';

export interface WaitOptions {
  /** Between polls, in ms (default 1 s; adapters expose their own `pollIntervalMs`). */
  pollIntervalMs?: number;
  /** Gives up with the last progress, state unchanged, after this long on `clock`, in ms (default 1 h). */
  timeoutMs?: number;
  clock?: Clock;
  signal?: AbortSignal;
  /** Called with every progress report, the first one included. */
  onProgress?: (progress: PreheatProgress) => void;
}

/**
 * Returns the job's final progress (`succeeded` or `failed`), or the last one seen when
 * `timeoutMs` passes first; rejects when `signal` aborts.
 */
export async function waitForPreheat(p2p: P2P, first: PreheatProgress, options: WaitOptions = {}): Promise<PreheatProgress> {
  const clock = options.clock ?? systemClock;
  const interval = options.pollIntervalMs ?? 1_000;
  const deadline = clock.now() + (options.timeoutMs ?? 3_600_000);
  let progress = first;
  options.onProgress?.(progress);
  while (!isTerminal(progress.state) && clock.now() < deadline) {
    await clock.sleep(interval, options.signal);
    progress = await p2p.progress(first.jobId);
    options.onProgress?.(progress);
  }
  return progress;
}
