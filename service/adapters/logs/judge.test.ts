import { describe, expect, it } from 'vitest';
import { cachingHistory, cachingLogs } from '../../../src/sources/history-cache.js';
import type { LogSource } from '../../../src/sources/log-source.js';
import { caseFromQueries, gateQuerySchema } from '../../gate/judge.js';
import { IngestStore } from '../metrics/ingest-store.js';
import { IngestLogs } from './ingest-logs.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DEPLOYED = 100 * HOUR;
const NPE = 'java.lang.NullPointerException at Cart.total';
const query = gateQuerySchema.parse({
  app: 'cart', release: { deployedAt: DEPLOYED }, historyFrom: DEPLOYED - 4 * HOUR, until: DEPLOYED + 5 * MINUTE,
  hosts: { released: ['r1'], unreleased: ['u1'] },
  metrics: [{ name: 'rt', category: 'application', direction: 'up' }],
  logs: [{ host: 'r1', t: DEPLOYED + MINUTE, signature: 'inline', count: 1 }],
});

describe('caseFromQueries(query, metrics, now, logSource, logsBeforeMs)', () => {
  it("adds the log source's events of both sides over history and window to the query's own", async () => {
    const logs = new IngestLogs(':memory:');
    logs.write([
      { host: 'r1', at: DEPLOYED - 3 * HOUR, signature: NPE, level: 'error' },
      { host: 'u1', at: DEPLOYED - 30 * MINUTE + 5, signature: NPE, level: 'error' },
      { host: 'r1', at: DEPLOYED + 2 * MINUTE + 1, signature: NPE, level: 'fatal' },
      { host: 'r1', at: DEPLOYED - 5 * HOUR, signature: NPE, level: 'error' }, // before the history
      { host: 'other', at: DEPLOYED, signature: NPE, level: 'error' }, // not judged
    ]);
    const { parsed, sourceErrors } = await caseFromQueries(query, new IngestStore(':memory:'), 0, logs);
    expect(sourceErrors).toEqual([]);
    expect(parsed.logs).toEqual([
      { host: 'r1', t: DEPLOYED + MINUTE, signature: 'inline', count: 1 },
      { host: 'r1', t: DEPLOYED - 3 * HOUR, signature: NPE, count: 1 },
      { host: 'r1', t: DEPLOYED + 2 * MINUTE, signature: NPE, count: 1 },
      { host: 'u1', t: DEPLOYED - 30 * MINUTE, signature: NPE, count: 1 },
    ]);
    const recent = await caseFromQueries(query, new IngestStore(':memory:'), 0, logs, HOUR);
    expect(recent.parsed.logs.map((e) => e.t)).toEqual([DEPLOYED + MINUTE, DEPLOYED + 2 * MINUTE, DEPLOYED - 30 * MINUTE]);
    logs.close();
  });

  it('a failing log source is a source error (the verdict cannot pass), the inline logs stay', async () => {
    const failing: LogSource = { name: 'down', query: async () => { throw new Error('connection refused'); } };
    const { parsed, sourceErrors } = await caseFromQueries(query, new IngestStore(':memory:'), 0, failing);
    expect(sourceErrors).toEqual(['logs: connection refused']);
    expect(parsed.logs).toEqual(query.logs);
  });
});

describe('caseFromQueries through the history caches', () => {
  it('every minute of an observation window gives the case the ingest gives, reading only the new minutes', async () => {
    const metrics = new IngestStore(':memory:');
    const logs = new IngestLogs(':memory:');
    for (let t = DEPLOYED - 4 * HOUR; t < DEPLOYED + 10 * MINUTE; t += MINUTE) {
      metrics.write(['r1', 'u1'].map((host, h) => ({ metric: 'rt', host, t, v: 20 + h + ((t / MINUTE) % 7) })));
      if ((t / MINUTE) % 3 === 0) logs.write([{ host: 'u1', at: t + 1, signature: NPE, level: 'error' }]);
    }
    let now = DEPLOYED + MINUTE;
    const cachedMetrics = cachingHistory(metrics, { now: () => now });
    const cachedLogs = cachingLogs(logs, { now: () => now });
    for (let minute = 1; minute <= 10; minute++) {
      now = DEPLOYED + minute * MINUTE;
      const q = { ...query, until: now };
      const direct = await caseFromQueries(q, metrics, now, logs);
      const cached = await caseFromQueries(q, cachedMetrics, now, cachedLogs);
      expect({ ...cached.parsed, id: '' }).toEqual({ ...direct.parsed, id: '' });
    }
    expect(cachedMetrics.stats().pointsCached).toBeGreaterThan(5 * cachedMetrics.stats().pointsRead);
    expect(cachedLogs.stats().eventsCached).toBeGreaterThan(5 * cachedLogs.stats().eventsRead);
    metrics.close();
    logs.close();
  });
});
