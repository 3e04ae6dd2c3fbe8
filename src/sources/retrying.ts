/**
 * Bounded retries and a per-attempt timeout around any metric source. When every attempt fails
 * the last error is thrown with the attempt count, for the gate to report as INCONCLUSIVE.
 */
import type { SeriesByHost, MetricQuery, MetricSource } from './metric-source.js';

export interface RetryOptions {
  /** Attempts in all, at least 1 (default 3). */
  attempts?: number;
  /** Per-attempt time limit in ms (default 10 000). */
  timeoutMs?: number;
  /** Wait before retry k (1-based) is `backoffMs × 2^(k−1)` (default 200). */
  backoffMs?: number;
}

export class SourceUnavailableError extends Error {
  constructor(readonly source: string, readonly attempts: number, override readonly cause: unknown) {
    super(`metric source '${source}' failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'SourceUnavailableError';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function withTimeout<T>(work: (signal: AbortSignal) => Promise<T>, ms: number): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`timed out after ${ms} ms`));
    }, ms);
  });
  return Promise.race([work(controller.signal), timeout]).finally(() => clearTimeout(timer));
}

export function retrying(source: MetricSource, options: RetryOptions = {}): MetricSource {
  const attempts = Math.max(1, options.attempts ?? 3);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const backoffMs = options.backoffMs ?? 200;
  return {
    name: source.name,
    async query(query: MetricQuery): Promise<SeriesByHost> {
      let last: unknown;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          return await withTimeout((signal) => source.query(query, signal), timeoutMs);
        } catch (error) {
          last = error;
          if (attempt < attempts) await sleep(backoffMs * 2 ** (attempt - 1));
        }
      }
      throw new SourceUnavailableError(source.name, attempts, last);
    },
  };
}
