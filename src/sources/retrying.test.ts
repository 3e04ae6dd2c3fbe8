import { describe, expect, it } from 'vitest';
import { series } from '../core/series.js';
import type { MetricSource } from './metric-source.js';
import { retrying, SourceUnavailableError } from './retrying.js';

const query = { metric: 'm', hosts: ['h'], start: 0, end: 60_000, step: 60_000 };

describe('retrying', () => {
  it('retries a failing source and returns the first success', async () => {
    let calls = 0;
    const flaky: MetricSource = {
      name: 'flaky',
      async query() {
        calls++;
        if (calls < 3) throw new Error('connection reset');
        return { h: series(0, 60_000, [1]) };
      },
    };
    const out = await retrying(flaky, { attempts: 3, backoffMs: 1 }).query(query);
    expect(calls).toBe(3);
    expect(Array.from(out.h.values)).toEqual([1]);
  });

  it('gives up after the bounded attempts with the reason, and times out a hanging source', async () => {
    const hanging: MetricSource = { name: 'slow', query: () => new Promise(() => undefined) };
    const error = await retrying(hanging, { attempts: 2, timeoutMs: 20, backoffMs: 1 }).query(query).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceUnavailableError);
    expect((error as Error).message).toBe("metric source 'slow' failed after 2 attempts: timed out after 20 ms");
  });
});
