import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { series } from '../core/series.js';
import type { CaseLog } from '../datasets/case.js';
import { cachingHistory, cachingLogs } from './history-cache.js';
import type { LogQuery, LogSource } from './log-source.js';
import { pointsIn, type MetricQuery, type MetricSource, type SeriesByHost } from './metric-source.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 1);

/**
 * A source over a map of points (host → minute → value) that later writes can change, and that
 * records every query it answers: what the cache must agree with, and how much it was asked.
 */
function fakeSource() {
  const points = new Map<string, Map<number, number>>();
  const asked: MetricQuery[] = [];
  const source: MetricSource = {
    name: 'fake',
    async query(q: MetricQuery): Promise<SeriesByHost> {
      asked.push(q);
      const out: SeriesByHost = {};
      for (const host of q.hosts) {
        // Each step is the mean of the minutes in it before `end` (a last step cut short holds fewer).
        const values = new Float64Array(pointsIn(q)).fill(NaN);
        for (let i = 0; i < values.length; i++) {
          let sum = 0;
          let n = 0;
          for (let t = q.start + i * q.step; t < Math.min(q.start + (i + 1) * q.step, q.end); t += MINUTE) {
            const v = points.get(`${q.metric}|${host}`)?.get(t);
            if (v !== undefined) {
              sum += v;
              n++;
            }
          }
          if (n > 0) values[i] = sum / n;
        }
        out[host] = series(q.start, q.step, values);
      }
      return out;
    },
  };
  const write = (metric: string, host: string, t: number, v: number) => {
    const key = `${metric}|${host}`;
    if (!points.has(key)) points.set(key, new Map());
    points.get(key)!.set(t, v);
  };
  return { source, asked, write };
}

/** The clock moving on by 1 to 5 minutes, between the operations the properties draw. */
const tick = fc.record({ kind: fc.constant('tick' as const), minutes: fc.integer({ min: 1, max: 5 }) });
/** A query of one or both hosts from T0, ending at minute 1–45, by 1- or 2-minute steps. */
const queryOp = fc.record({ kind: fc.constant('query' as const), hosts: fc.subarray(['a', 'b'], { minLength: 1 }), end: fc.integer({ min: 1, max: 45 }), step: fc.constantFrom(1, 2) });

const values = (out: SeriesByHost) => Object.fromEntries(Object.entries(out).map(([h, s]) => [h, [...s.values]]));

describe('cachingHistory(source, options)', () => {
  it('a batch judged every minute reads its history once, then only the unsettled minutes', async () => {
    const { source, asked, write } = fakeSource();
    for (let i = 0; i < 2 * 1440 + 30; i++) for (const host of ['a', 'b']) write('cpu', host, T0 + i * MINUTE, (i % 97) + (host === 'b' ? 0.5 : 0));
    let now = T0 + (2 * 1440 + 1) * MINUTE;
    const cache = cachingHistory(source, { now: () => now, settleMs: 5 * MINUTE });
    const query = () => ({ metric: 'cpu', hosts: ['a', 'b'], start: T0, end: now, step: MINUTE });
    const first = await cache.query(query());
    expect(values(first)).toEqual(values(await source.query(query())));
    asked.length = 0;
    for (let minute = 2; minute <= 15; minute++) {
      now = T0 + (2 * 1440 + minute) * MINUTE;
      const out = await cache.query(query());
      expect(values(out)).toEqual(values(await source.query(query())));
      // The cached query read from 5 minutes before its previous `now`, not from the start.
      const read = asked[asked.length - 2];
      expect(pointsIn(read)).toBeLessThanOrEqual(7);
      expect(read.start).toBeGreaterThan(T0 + 2 * 1440 * MINUTE - 10 * MINUTE);
    }
    const stats = cache.stats();
    expect(stats.entries).toBe(2);
    expect(stats.pointsCached / (stats.pointsCached + stats.pointsRead)).toBeGreaterThan(0.9);
  });

  it('sees a point that arrives late within the settling time; one later than that is not seen until evicted', async () => {
    const { source, write } = fakeSource();
    for (let i = 0; i < 60; i++) write('rt', 'a', T0 + i * MINUTE, 1);
    let now = T0 + 60 * MINUTE;
    const cache = cachingHistory(source, { now: () => now, settleMs: 5 * MINUTE });
    const q = () => ({ metric: 'rt', hosts: ['a'], start: T0, end: now, step: MINUTE });
    await cache.query(q());
    write('rt', 'a', T0 + 57 * MINUTE, 9); // inside the last 5 minutes: read again next time
    write('rt', 'a', T0 + 30 * MINUTE, 9); // long settled: the cache keeps what it read
    now += MINUTE;
    const out = (await cache.query(q())).a.values;
    expect(out[57]).toBe(9);
    expect(out[30]).toBe(1);
  });

  it('a last step cut short by the query end is not cached as whole (metrics and logs)', async () => {
    const { source, write } = fakeSource();
    const logs = fakeLogs();
    write('m', 'a', T0, 1);
    write('m', 'a', T0 + MINUTE, 3);
    logs.raw.push({ host: 'a', t: T0 + MINUTE, signature: 'E', count: 1, level: 'error' });
    const now = T0 + 30 * MINUTE;
    const metrics = cachingHistory(source, { now: () => now, settleMs: 0 });
    const events = cachingLogs(logs.source, { now: () => now, settleMs: 0 });
    // Ending one minute into a 2-minute step: the step holds minute 0 only.
    expect([...(await metrics.query({ metric: 'm', hosts: ['a'], start: T0, end: T0 + MINUTE, step: 2 * MINUTE })).a.values]).toEqual([1]);
    expect(await events.query({ hosts: ['a'], start: T0, end: T0 + MINUTE, step: 2 * MINUTE })).toEqual([]);
    // The whole step, asked next, holds both minutes.
    expect([...(await metrics.query({ metric: 'm', hosts: ['a'], start: T0, end: T0 + 2 * MINUTE, step: 2 * MINUTE })).a.values]).toEqual([2]);
    expect(await events.query({ hosts: ['a'], start: T0, end: T0 + 2 * MINUTE, step: 2 * MINUTE })).toEqual([{ host: 'a', t: T0, signature: 'E', count: 1 }]);
  });

  it('nor is a cached whole step served to a later query whose last step is cut short (metrics and logs)', async () => {
    const { source, write } = fakeSource();
    const logs = fakeLogs();
    write('m', 'a', T0 + MINUTE, 3);
    logs.raw.push({ host: 'a', t: T0 + MINUTE, signature: 'E', count: 1, level: 'error' });
    const now = T0 + 30 * MINUTE;
    const metrics = cachingHistory(source, { now: () => now, settleMs: 0 });
    const events = cachingLogs(logs.source, { now: () => now, settleMs: 0 });
    // The whole 2-minute step first (cached), then a query ending one minute into it: minute 0 only.
    expect([...(await metrics.query({ metric: 'm', hosts: ['a'], start: T0, end: T0 + 2 * MINUTE, step: 2 * MINUTE })).a.values]).toEqual([3]);
    expect(await events.query({ hosts: ['a'], start: T0, end: T0 + 2 * MINUTE, step: 2 * MINUTE })).toHaveLength(1);
    expect([...(await metrics.query({ metric: 'm', hosts: ['a'], start: T0, end: T0 + MINUTE, step: 2 * MINUTE })).a.values]).toEqual([NaN]);
    expect(await events.query({ hosts: ['a'], start: T0, end: T0 + MINUTE, step: 2 * MINUTE })).toEqual([]);
  });

  it('keys by metric, aggregate, step, start and host; other queries read the source', async () => {
    const { source, asked, write } = fakeSource();
    for (let i = 0; i < 100; i++) write('m', 'a', T0 + i * MINUTE, i);
    const now = T0 + 100 * MINUTE;
    const cache = cachingHistory(source, { now: () => now, settleMs: 0 });
    await cache.query({ metric: 'm', hosts: ['a'], start: T0, end: now, step: MINUTE });
    asked.length = 0;
    await cache.query({ metric: 'm', hosts: ['a'], start: T0, end: now, step: MINUTE, aggregate: 'max' });
    await cache.query({ metric: 'm', hosts: ['a'], start: T0 + MINUTE, end: now, step: MINUTE });
    await cache.query({ metric: 'm', hosts: ['a'], start: T0, end: now, step: 2 * MINUTE });
    await cache.query({ metric: 'm', hosts: ['b'], start: T0, end: now, step: MINUTE });
    expect(asked.map((q) => q.start)).toEqual([T0, T0 + MINUTE, T0, T0]);
    asked.length = 0;
    const again = await cache.query({ metric: 'm', hosts: ['a'], start: T0, end: now, step: MINUTE });
    expect(asked).toEqual([]);
    expect([...again.a.values]).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('returns fresh arrays each time: detaching or changing one does not touch the cache', async () => {
    const { source, write } = fakeSource();
    for (let i = 0; i < 30; i++) write('m', 'a', T0 + i * MINUTE, i);
    const cache = cachingHistory(source, { now: () => T0 + 30 * MINUTE, settleMs: 0 });
    const q = { metric: 'm', hosts: ['a'], start: T0, end: T0 + 30 * MINUTE, step: MINUTE };
    const first = await cache.query(q);
    first.a.values.fill(-1);
    structuredClone(first.a.values.buffer, { transfer: [first.a.values.buffer] });
    expect([...(await cache.query(q)).a.values]).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('holds at most maxBytes, the least recently used evicted first', async () => {
    const { source, asked, write } = fakeSource();
    for (const host of ['a', 'b', 'c']) for (let i = 0; i < 100; i++) write('m', host, T0 + i * MINUTE, i);
    const cache = cachingHistory(source, { now: () => T0 + 100 * MINUTE, settleMs: 0, maxBytes: 2 * 100 * 8 });
    const q = (host: string) => ({ metric: 'm', hosts: [host], start: T0, end: T0 + 100 * MINUTE, step: MINUTE });
    await cache.query(q('a'));
    await cache.query(q('b'));
    await cache.query(q('a')); // a is now the most recent
    await cache.query(q('c')); // evicts b
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 1600 });
    asked.length = 0;
    await cache.query(q('a'));
    await cache.query(q('c'));
    expect(asked).toEqual([]);
    await cache.query(q('b'));
    expect(asked.map((x) => x.hosts)).toEqual([['b']]);
  });

  it('a failing source fails the query and caches nothing', async () => {
    const failing: MetricSource = { name: 'down', query: async () => Promise.reject(new Error('connection refused')) };
    const cache = cachingHistory(failing, { now: () => T0 + 60 * MINUTE });
    await expect(cache.query({ metric: 'm', hosts: ['a'], start: T0, end: T0 + 60 * MINUTE, step: MINUTE })).rejects.toThrow('connection refused');
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  it('property: any sequence of queries and late writes answers what the source answers, for every point settled after the last write to it', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), host: fc.constantFrom('a', 'b'), minute: fc.integer({ min: 0, max: 40 }), v: fc.integer({ min: 0, max: 9 }) }),
      queryOp,
      tick,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const { source, write } = fakeSource();
        let now = T0 + 10 * MINUTE;
        const cache = cachingHistory(source, { now: () => now, settleMs: 3 * MINUTE });
        // A write to a point the cache may already hold as settled is what it does not promise to see.
        const settledWrites = new Set<string>();
        for (const o of ops) {
          if (o.kind === 'tick') now += o.minutes * MINUTE;
          else if (o.kind === 'write') {
            const t = T0 + o.minute * MINUTE;
            if (t + MINUTE <= now - 3 * MINUTE) settledWrites.add(`${o.host}|${o.minute}`);
            write('m', o.host, t, o.v);
          } else {
            const q = { metric: 'm', hosts: o.hosts, start: T0, end: T0 + o.end * MINUTE, step: o.step * MINUTE };
            const got = await cache.query(q);
            const want = await source.query(q);
            for (const host of o.hosts) {
              expect(got[host].values.length).toBe(want[host].values.length);
              want[host].values.forEach((v, i) => {
                // Point i of a 2-minute query holds minutes 2i and 2i + 1.
                const late = Array.from({ length: o.step }, (_, k) => `${host}|${i * o.step + k}`).some((m) => settledWrites.has(m));
                if (!late) expect(got[host].values[i]).toBe(v);
              });
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** A log source over a list of raw events (host, minute, signature, count), bucketed as the port says. */
function fakeLogs() {
  const raw: { host: string; t: number; signature: string; count: number; level: 'error' | 'warn' }[] = [];
  const asked: LogQuery[] = [];
  const source: LogSource = {
    name: 'fake-logs',
    async query(q: LogQuery): Promise<CaseLog[]> {
      asked.push(q);
      const out: CaseLog[] = [];
      for (const host of q.hosts) {
        const buckets = new Map<string, CaseLog>();
        for (const e of raw) {
          if (e.host !== host || e.t < q.start || e.t >= q.end || (q.levels && !q.levels.includes(e.level))) continue;
          const t = q.start + Math.floor((e.t - q.start) / q.step) * q.step;
          const key = `${t}|${e.signature}`;
          const found = buckets.get(key);
          if (found) found.count += e.count;
          else buckets.set(key, { host, t, signature: e.signature, count: e.count });
        }
        out.push(...[...buckets.values()].sort((a, b) => a.t - b.t || (a.signature < b.signature ? -1 : 1)));
      }
      return out;
    },
  };
  return { source, asked, raw };
}

describe('cachingLogs(source, options)', () => {
  it('reads two days of events once, then only the unsettled minutes, answering what the source answers', async () => {
    const { source, asked, raw } = fakeLogs();
    for (let i = 0; i < 2 * 1440 + 20; i += 3) for (const host of ['a', 'b']) raw.push({ host, t: T0 + i * MINUTE, signature: i % 2 ? 'E1' : 'E2', count: 1 + (i % 4), level: 'error' });
    let now = T0 + (2 * 1440 + 1) * MINUTE;
    const cache = cachingLogs(source, { now: () => now });
    const q = () => ({ hosts: ['b', 'a'], start: T0, end: now, step: MINUTE });
    expect(await cache.query(q())).toEqual(await source.query(q()));
    for (let minute = 2; minute <= 12; minute++) {
      now = T0 + (2 * 1440 + minute) * MINUTE;
      asked.length = 0;
      const got = await cache.query(q());
      expect(asked).toHaveLength(1);
      expect(asked[0].start).toBeGreaterThan(T0 + 2 * 1440 * MINUTE - 10 * MINUTE);
      expect(got).toEqual(await source.query(q()));
    }
    expect(cache.stats().eventsCached).toBeGreaterThan(10 * cache.stats().eventsRead);
  });

  it('keys by levels too; cached events are frozen and the arrays fresh', async () => {
    const { source, asked, raw } = fakeLogs();
    raw.push({ host: 'a', t: T0, signature: 'E', count: 2, level: 'error' }, { host: 'a', t: T0 + MINUTE, signature: 'W', count: 1, level: 'warn' });
    const cache = cachingLogs(source, { now: () => T0 + 60 * MINUTE, settleMs: 0 });
    const q = { hosts: ['a'], start: T0, end: T0 + 60 * MINUTE, step: MINUTE };
    const all = await cache.query(q);
    expect(all.map((e) => e.signature)).toEqual(['E', 'W']);
    expect(Object.isFrozen(all[0])).toBe(true);
    all.length = 0;
    asked.length = 0;
    expect((await cache.query({ ...q, levels: ['error'] })).map((e) => e.signature)).toEqual(['E']);
    expect((await cache.query(q)).map((e) => e.signature)).toEqual(['E', 'W']);
    expect(asked.map((x) => x.levels)).toEqual([['error']]);
  });

  it('property: queries, late events and ticks answer what the source answers, but for events written after their minute settled', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), host: fc.constantFrom('a', 'b'), minute: fc.integer({ min: 0, max: 40 }), sig: fc.constantFrom('E', 'F'), count: fc.integer({ min: 1, max: 3 }) }),
      queryOp,
      tick,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const { source, raw } = fakeLogs();
        let now = T0 + 10 * MINUTE;
        const cache = cachingLogs(source, { now: () => now, settleMs: 3 * MINUTE });
        const lateAt: number[] = [];
        for (const o of ops) {
          if (o.kind === 'tick') now += o.minutes * MINUTE;
          else if (o.kind === 'write') {
            const t = T0 + o.minute * MINUTE;
            // Settled for a 2-minute step once the 2-minute bucket holding it ended 3 minutes ago.
            if (T0 + (Math.floor(o.minute / 2) + 1) * 2 * MINUTE <= now - 3 * MINUTE || t + MINUTE <= now - 3 * MINUTE) lateAt.push(t);
            raw.push({ host: o.host, t, signature: o.sig, count: o.count, level: 'error' });
          } else {
            const q = { hosts: o.hosts, start: T0, end: T0 + o.end * MINUTE, step: o.step * MINUTE };
            const got = await cache.query(q);
            const want = await source.query(q);
            if (lateAt.length === 0) expect(got).toEqual(want);
            else {
              // Outside the buckets a late event could fall in, the answers agree.
              const late = (e: CaseLog) => lateAt.some((t) => t >= e.t && t < e.t + q.step);
              expect(got.filter((e) => !late(e))).toEqual(want.filter((e) => !late(e)));
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
