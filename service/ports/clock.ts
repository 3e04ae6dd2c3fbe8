/**
 * Time for the service's long-running parts (the orchestrator's observation windows, retries).
 * The real clock for production; the demo and tests use an accelerated or manual one, so a
 * ten-minute observation window can pass in a second without changing any other code.
 */
import { sleep } from '../clock/sleep.js';

export interface Clock {
  /** Epoch ms. */
  now(): number;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep,
};
