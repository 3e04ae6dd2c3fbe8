/**
 * A clock that runs `factor` times faster than real time, for the demo, tests and benchmarks: a
 * ten-minute observation window passes in a second at factor 600. Time is measured from `anchor`
 * (epoch ms), so two processes (or a process and its restart) given the same anchor and factor
 * agree on the time — leases and observation windows survive a restart.
 */
import type { Clock } from '../ports/clock.js';

export function acceleratedClock(factor: number, anchor: number = Date.now()): Clock {
  if (!(factor > 0)) throw new Error(`acceleratedClock: factor must be positive, got ${factor}`);
  return {
    now: () => Math.round(anchor + (Date.now() - anchor) * factor),
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal!.reason);
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, Math.max(0, ms / factor));
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
  };
}
