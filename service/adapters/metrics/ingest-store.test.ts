import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IngestStore } from './ingest-store.js';

describe('IngestStore', () => {
  it('answers per-host, per-step queries with NaN where a host had no data', async () => {
    const store = new IngestStore(':memory:');
    store.write([
      { metric: 'rt', host: 'a', t: 0, v: 10 },
      { metric: 'rt', host: 'a', t: 30_000, v: 20 },
      { metric: 'rt', host: 'a', t: 120_000, v: 40 },
      { metric: 'rt', host: 'b', t: 60_000, v: 7 },
      { metric: 'qps', host: 'a', t: 0, v: 99 },
    ]);
    const result = await store.query({ metric: 'rt', hosts: ['a', 'b', 'c'], start: 0, end: 180_000, step: 60_000 });
    expect(Array.from(result.a.values)).toEqual([15, NaN, 40]);
    expect(Array.from(result.b.values)).toEqual([NaN, 7, NaN]);
    expect(Array.from(result.c.values)).toEqual([NaN, NaN, NaN]);
    expect(result.a.start).toBe(0);
    const sums = await store.query({ metric: 'rt', hosts: ['a'], start: 0, end: 120_000, step: 60_000, aggregate: 'sum' });
    expect(Array.from(sums.a.values)).toEqual([30, NaN]);
  });

  it('a point re-sent for the same time replaces the earlier one', async () => {
    const store = new IngestStore(':memory:');
    store.write([{ metric: 'm', host: 'h', t: 0, v: 1 }]);
    store.write([{ metric: 'm', host: 'h', t: 0, v: 2 }]);
    expect(store.count()).toBe(1);
    expect(Array.from((await store.query({ metric: 'm', hosts: ['h'], start: 0, end: 60_000, step: 60_000 })).h.values)).toEqual([2]);
  });

  it('keeps points across a reopen of the same file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-ingest-')), 'metrics', 'points.db');
    const first = new IngestStore(file);
    first.write(Array.from({ length: 1000 }, (_, i) => ({ metric: 'm', host: 'h', t: i * 1000, v: i })));
    first.close();
    const second = new IngestStore(file);
    expect(second.count()).toBe(1000);
    second.close();
  });
});
