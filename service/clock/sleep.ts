/**
 * The one abortable timer the service waits on: the system clock, the accelerated clock (which
 * scales the wait) and the agents' retry back-offs all sleep through it.
 */

/** Resolves after `ms` real milliseconds (≥ 0); rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
