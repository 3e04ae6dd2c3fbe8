import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { IngestLogs, type LogEvent } from './ingest-logs.js';

const MINUTE = 60_000;
const NPE = 'java.lang.NullPointerException at Cart.total';
const OOM = 'java.lang.OutOfMemoryError at Pool.grow';
const open: IngestLogs[] = [];
const store = () => {
  const s = new IngestLogs(':memory:');
  open.push(s);
  return s;
};
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describe('IngestLogs.query(hosts, start, end, step)', () => {
  it('counts each signature per host and step over [start, end), in host order then time', async () => {
    const logs = store();
    logs.write([
      { host: 'b', at: 10 * MINUTE + 5, signature: NPE, level: 'error' },
      { host: 'a', at: 10 * MINUTE + 1, signature: NPE, level: 'error', count: 3 },
      { host: 'a', at: 10 * MINUTE + 59_999, signature: NPE, level: 'error' },
      { host: 'a', at: 11 * MINUTE, signature: OOM, level: 'fatal' },
      { host: 'a', at: 9 * MINUTE, signature: OOM, level: 'fatal' }, // before start
      { host: 'a', at: 12 * MINUTE, signature: OOM, level: 'fatal' }, // at end: excluded
      { host: 'c', at: 10 * MINUTE, signature: NPE, level: 'error' }, // not asked
    ]);
    const out = await logs.query({ hosts: ['b', 'a'], start: 10 * MINUTE, end: 12 * MINUTE, step: MINUTE });
    expect(out).toEqual([
      { host: 'b', t: 10 * MINUTE, signature: NPE, count: 1 },
      { host: 'a', t: 10 * MINUTE, signature: NPE, count: 4 },
      { host: 'a', t: 11 * MINUTE, signature: OOM, count: 1 },
    ]);
  });

  it('filters by level and merges one signature logged at two levels in a step', async () => {
    const logs = store();
    logs.write([
      { host: 'a', at: 0, signature: NPE, level: 'error' },
      { host: 'a', at: 1, signature: NPE, level: 'warn', count: 2 },
      { host: 'a', at: 2, signature: OOM, level: 'fatal' },
    ]);
    expect(await logs.query({ hosts: ['a'], start: 0, end: MINUTE, step: MINUTE })).toEqual([
      { host: 'a', t: 0, signature: NPE, count: 3 },
      { host: 'a', t: 0, signature: OOM, count: 1 },
    ]);
    expect(await logs.query({ hosts: ['a'], start: 0, end: MINUTE, step: MINUTE, levels: ['fatal'] })).toEqual([{ host: 'a', t: 0, signature: OOM, count: 1 }]);
  });

  it('a re-sent event replaces the earlier one; duplicates within one write add up', async () => {
    const logs = store();
    const event: LogEvent = { host: 'a', at: 5, signature: NPE, level: 'error', count: 2 };
    logs.write([event]);
    logs.write([event]);
    expect(logs.count()).toBe(2);
    logs.write([event, event]);
    expect(logs.count()).toBe(4);
  });

  it('keeps events across reopening the file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-logs-')), 'logs.db');
    const first = new IngestLogs(file);
    first.write([{ host: 'a', at: 0, signature: NPE, level: 'error' }]);
    first.close();
    const second = new IngestLogs(file);
    open.push(second);
    expect(await second.query({ hosts: ['a'], start: 0, end: MINUTE, step: MINUTE })).toEqual([{ host: 'a', t: 0, signature: NPE, count: 1 }]);
  });

  it('an empty range or unknown host gives no events', async () => {
    const logs = store();
    logs.write([{ host: 'a', at: 0, signature: NPE, level: 'error' }]);
    expect(await logs.query({ hosts: ['a'], start: MINUTE, end: MINUTE, step: MINUTE })).toEqual([]);
    expect(await logs.query({ hosts: ['z'], start: 0, end: MINUTE, step: MINUTE })).toEqual([]);
  });

  it('property: per host, the counts over any grid sum to the counts written inside it, every t on the grid', async () => {
    const eventArb = fc.record({ host: fc.constantFrom('a', 'b'), at: fc.integer({ min: 0, max: 100 * MINUTE }), signature: fc.constantFrom(NPE, OOM), level: fc.constantFrom('fatal' as const, 'error' as const), count: fc.integer({ min: 1, max: 5 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { maxLength: 40 }), fc.integer({ min: 0, max: 50 * MINUTE }), fc.integer({ min: 1, max: 50 * MINUTE }), fc.integer({ min: 1, max: 20 * MINUTE }), async (events, start, span, step) => {
        const logs = new IngestLogs(':memory:');
        try {
          logs.write(events);
          const end = start + span;
          const out = await logs.query({ hosts: ['a', 'b'], start, end, step });
          // Distinct (host, at, signature) keys are what is stored; within one write they add up.
          const expected = events.filter((e) => e.at >= start && e.at < end).reduce((n, e) => n + e.count, 0);
          expect(out.reduce((n, e) => n + e.count, 0)).toBe(expected);
          expect(out.every((e) => (e.t - start) % step === 0 && e.t >= start && e.t < end && e.count > 0)).toBe(true);
        } finally {
          logs.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
