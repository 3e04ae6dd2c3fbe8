import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IngestLogs } from './adapters/logs/ingest-logs.js';
import { createKey } from './auth/api-keys.js';
import { IngestStore } from './adapters/metrics/ingest-store.js';
import { sqliteStore } from './adapters/store/sqlite.js';
import { startService, type RunningService } from './main.js';
import type { Clock } from './ports/clock.js';
import { pruneOnce, retentionConfigSchema } from './retention.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 1);
const dir = () => mkdtempSync(join(tmpdir(), 'sluice-retention-'));

/** A recorded evaluation's input: a case with 30 minutes before the release (its history blob differs by release). */
const caseInput = (deployedAt: number) => ({
  app: 'cart', release: { deployedAt }, step: 60_000, start: deployedAt - 30 * 60_000,
  metrics: [{ name: 'rt', released: { a1: Array.from({ length: 35 }, (_, i) => i + (deployedAt % 997)) }, unreleased: { b1: Array.from({ length: 35 }, (_, i) => 2 * i) } }],
});

describe('retention settings', () => {
  it('default to 30 days of inputs, 35 of metrics, 14 of logs, hourly', () => {
    expect(retentionConfigSchema.parse({})).toEqual({ evaluationInputsDays: 30, metricsDays: 35, logsDays: 14, everyMinutes: 60 });
  });

  it('refuse less history than the gate reads, naming the field; 0 keeps for ever', () => {
    const metrics = retentionConfigSchema.safeParse({ metricsDays: 3 });
    expect(metrics.success).toBe(false);
    expect(metrics.error?.issues[0]).toMatchObject({ path: ['metricsDays'], message: expect.stringMatching(/at least 8 days: the gate reads up to a week/) });
    expect(retentionConfigSchema.safeParse({ logsDays: 1 }).error?.issues[0].path).toEqual(['logsDays']);
    expect(retentionConfigSchema.safeParse({ evaluationInputsDays: -1 }).success).toBe(false);
    expect(retentionConfigSchema.parse({ metricsDays: 0, logsDays: 0, evaluationInputsDays: 0 })).toMatchObject({ metricsDays: 0, logsDays: 0, evaluationInputsDays: 0 });
  });
});

describe('pruneOnce(targets, config, now)', () => {
  it('deletes points, events and unlabeled inputs past their age, keeps the rest, and audits the pass', async () => {
    const folder = dir();
    const store = sqliteStore(join(folder, 'state.db'));
    await store.migrate();
    const metrics = new IngestStore(join(folder, 'metrics.db'));
    const logs = new IngestLogs(join(folder, 'logs.db'));
    try {
      for (const [age, host] of [[40, 'h1'], [36, 'h2'], [34, 'h1'], [1, 'h2']] as const) metrics.write([{ metric: 'cpu', host, t: NOW - age * DAY, v: age }]);
      for (const age of [20, 15, 13, 0]) logs.write([{ host: 'h1', at: NOW - age * DAY, signature: 'E at X', level: 'error', count: 3 }]);
      const save = (id: string, age: number) => store.saveEvaluation({ id, releaseId: 'r', batch: 1, createdAt: NOW - age * DAY, decision: 'PASS', score: 3, input: caseInput(NOW - age * DAY), verdict: { decision: 'PASS' }, feedback: null });
      await save('e-old', 31);
      await save('e-labeled', 32);
      await store.setFeedback('e-labeled', { correct: true, labels: [], note: null, at: NOW, keyId: null });
      await save('e-new', 2);

      const pass = await pruneOnce({ store, metrics, logs }, retentionConfigSchema.parse({}), NOW);
      expect(pass).toEqual({ evaluationInputs: 1, blobs: 1, points: 2, logEvents: 2 });
      const cpu = await metrics.query({ metric: 'cpu', hosts: ['h1', 'h2'], start: NOW - 50 * DAY, end: NOW, step: DAY });
      expect([...cpu.h1.values].filter(Number.isFinite)).toEqual([34]);
      expect([...cpu.h2.values].filter(Number.isFinite)).toEqual([1]);
      expect(logs.count()).toBe(6);
      expect((await store.getEvaluation('e-old'))?.input).toBeNull();
      expect((await store.getEvaluation('e-old'))?.verdict).toEqual({ decision: 'PASS' });
      expect((await store.getEvaluation('e-labeled'))?.input).toEqual(caseInput(NOW - 32 * DAY));
      expect((await store.getEvaluation('e-new'))?.input).toEqual(caseInput(NOW - 2 * DAY));
      const [audit] = await store.listAudit({ target: 'store' });
      expect(audit).toMatchObject({ action: 'retention.prune', keyId: null, result: 'ok', at: NOW });
      expect(audit.detail).toMatch(/^1 evaluation inputs, 1 history blobs, 2 metric points, 2 log events \(kept: inputs 30 d, metrics 35 d, logs 14 d\)$/);

      // Nothing left to delete: no pass is audited; 0 days keeps everything.
      expect(await pruneOnce({ store, metrics, logs }, retentionConfigSchema.parse({}), NOW)).toEqual({ evaluationInputs: 0, blobs: 0, points: 0, logEvents: 0 });
      expect(await pruneOnce({ store, metrics, logs }, retentionConfigSchema.parse({ evaluationInputsDays: 0, metricsDays: 0, logsDays: 0 }), NOW + 400 * DAY)).toEqual({ evaluationInputs: 0, blobs: 0, points: 0, logEvents: 0 });
      expect(await store.listAudit({ target: 'store' })).toHaveLength(1);
    } finally {
      await store.close();
      metrics.close();
      logs.close();
    }
  });
});

describe('the service runs retention', () => {
  let service: RunningService | null = null;
  afterEach(async () => {
    await service?.close();
    service = null;
  });

  it('on its clock: a pass removes what aged, /metrics counts it, and feedback on a pruned evaluation is 410', async () => {
    const clock: Clock = { now: () => NOW, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))) };
    service = await startService({ dataDir: dir(), port: 0, gate: { workers: 0 }, orchestrator: { enabled: false }, retention: { logsDays: 3 } }, () => undefined, { clock });
    service.ingest.write([{ metric: 'cpu', host: 'h1', t: NOW - 40 * DAY, v: 1 }, { metric: 'cpu', host: 'h1', t: NOW, v: 2 }]);
    service.logs.write([{ host: 'h1', at: NOW - 4 * DAY, signature: 'E at X', level: 'error' }, { host: 'h1', at: NOW - 2 * DAY, signature: 'E at X', level: 'error' }]);
    await service.store.saveEvaluation({ id: 'ev-old', releaseId: null, batch: null, createdAt: NOW - 31 * DAY, decision: 'PASS', score: 1, input: caseInput(NOW - 31 * DAY), verdict: { decision: 'PASS' }, feedback: null });
    expect(await service.retention.runNow()).toEqual({ evaluationInputs: 1, blobs: 1, points: 1, logEvents: 1 });

    const { key } = await createKey(service.store, 'ops', ['gate', 'read'], NOW);
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(text).toMatch(/^sluice_retention_evaluation_inputs_removed_total 1$/m);
    expect(text).toMatch(/^sluice_retention_points_removed_total 1$/m);
    expect(text).toMatch(/^sluice_retention_log_events_removed_total 1$/m);
    const feedback = await fetch(`${service.url}/v1/evaluations/ev-old/feedback`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ correct: true, labels: [] }),
    });
    expect(feedback.status).toBe(410);
    expect(await feedback.json()).toMatchObject({ code: 'gone', field: 'id', reason: expect.stringMatching(/no longer holds its input/) });
  });

  it('refuses a retention setting below the gate\'s history, naming it', async () => {
    await expect(startService({ dataDir: dir(), port: 0, gate: { workers: 0 }, orchestrator: { enabled: false }, retention: { metricsDays: 2 } })).rejects.toMatchObject({ code: 'invalid_config', path: 'retention.metricsDays' });
  });
});
