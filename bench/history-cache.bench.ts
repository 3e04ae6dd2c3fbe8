/**
 * What reading a batch costs the service's own thread each minute it is judged: every metric of
 * every judged host, and their exception events (one a host-minute on average), from two days
 * before the release to now, out of the built-in SQLite ingest — read whole each time, and through
 * the history caches (src/sources/history-cache.ts), which read only the minutes not yet settled.
 * One evaluation a minute for 15 minutes after the release.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IngestLogs } from '../service/adapters/logs/ingest-logs.js';
import { IngestStore } from '../service/adapters/metrics/ingest-store.js';
import { cachingHistory, cachingLogs } from '../src/sources/history-cache.js';
import type { LogSource } from '../src/sources/log-source.js';
import type { MetricSource } from '../src/sources/metric-source.js';
import { report, type BenchOptions, type Row } from './lib/harness.js';

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;

export async function run(options: BenchOptions): Promise<void> {
  const sizes = options.quick ? [{ metrics: 3, hosts: 20, days: 1 }] : [{ metrics: 6, hosts: 80, days: 2 }, { metrics: 20, hosts: 100, days: 2 }];
  const rows: Row[] = [];
  for (const size of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-history-cache-'));
    const ingest = new IngestStore(join(dir, 'metrics.db'));
    const logs = new IngestLogs(join(dir, 'logs.db'));
    try {
      const deployedAt = Date.UTC(2026, 0, 10);
      const start = deployedAt - size.days * DAY;
      const hosts = Array.from({ length: size.hosts }, (_, h) => `host-${h}`);
      const metricNames = Array.from({ length: size.metrics }, (_, m) => `m${m}`);
      const total = (size.days * 1440 + 15) * size.hosts * size.metrics;
      for (let t = start; t < deployedAt + 15 * MINUTE; t += 60 * MINUTE) {
        const points = [];
        for (let i = 0; i < 60 && t + i * MINUTE < deployedAt + 15 * MINUTE; i++) {
          for (const host of hosts) for (const metric of metricNames) points.push({ metric, host, t: t + i * MINUTE, v: Math.round(Math.random() * 1000) / 10 });
        }
        ingest.write(points);
        const events = [];
        for (let i = 0; i < 60 && t + i * MINUTE < deployedAt + 15 * MINUTE; i++) {
          for (const host of hosts) for (const [k, chance] of [0.2, 0.3, 0.5].entries()) if (Math.random() < chance) events.push({ host, at: t + i * MINUTE, signature: `E${k} at X`, level: 'error' as const });
        }
        logs.write(events);
      }
      const evaluate = async (source: MetricSource, logSource: LogSource, now: number) => {
        for (const metric of metricNames) await source.query({ metric, hosts, start, end: now, step: MINUTE, aggregate: 'mean' });
        await logSource.query({ hosts, start, end: now, step: MINUTE });
      };
      for (const cached of [false, true]) {
        let now = deployedAt + MINUTE;
        const source: MetricSource = cached ? cachingHistory(ingest, { now: () => now }) : ingest;
        const logSource: LogSource = cached ? cachingLogs(logs, { now: () => now }) : logs;
        const times: number[] = [];
        for (let minute = 1; minute <= 15; minute++) {
          now = deployedAt + minute * MINUTE;
          const t0 = performance.now();
          await evaluate(source, logSource, now);
          times.push(performance.now() - t0);
        }
        const later = times.slice(1).sort((a, b) => a - b);
        const row = {
          reader: cached ? 'history caches' : 'whole history', metrics: size.metrics, hosts: size.hosts, historyDays: size.days, points: total, logEvents: logs.count(),
          firstMs: Number(times[0].toFixed(1)), laterMedianMs: Number(later[Math.floor(later.length / 2)].toFixed(1)),
          laterPointsPerSecond: Math.round(total / (later[Math.floor(later.length / 2)] / 1000)),
        };
        console.log(`BENCH ${JSON.stringify({ bench: 'history cache', ...row })}`);
        rows.push(row);
      }
    } finally {
      ingest.close();
      logs.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  report('reading a batch (metrics and exception logs) each minute from the built-in ingest (15 evaluations after the release)', rows);
}
