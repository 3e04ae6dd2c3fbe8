import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sqliteStore } from './sqlite.js';
import { describeStore } from './store.contract.js';

const contractFile = join(mkdtempSync(join(tmpdir(), 'sluice-store-')), 'data', 'sluice.db');
describeStore('SQLite (file, WAL)', async () => sqliteStore(contractFile), true, async () => sqliteStore(contractFile));

describe('sqliteStore', () => {
  it('keeps state across a reopen of the same file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-store-')), 'sluice.db');
    const first = sqliteStore(file);
    await first.migrate();
    await first.createRelease({ id: 'r', app: 'a', environment: 'e', state: 'planned', spec: { k: 1 }, createdAt: 1, updatedAt: 1 });
    await first.close();
    const second = sqliteStore(file);
    await second.migrate();
    expect(await second.getRelease('r')).toMatchObject({ spec: { k: 1 }, version: 1 });
    await second.close();
  });

  it('retention reads the blob of rows saved before migration 5 out of their input before deleting any blob', async () => {
    const store = sqliteStore(':memory:');
    await store.migrate();
    const deployedAt = 1_700_000_000_000;
    const input = (window: number) => ({
      release: { deployedAt }, step: 60_000, start: deployedAt - 10 * 60_000,
      metrics: [{ name: 'rt', released: { a1: Array.from({ length: 10 + window }, (_, i) => i) }, unreleased: {} }],
    });
    const save = (id: string, createdAt: number) => store.saveEvaluation({ id, releaseId: 'r', batch: 1, createdAt, decision: 'PASS', score: 0, input: input(createdAt), verdict: {}, feedback: null });
    await save('old', 1);
    await save('new', 5);
    // As rows written before migration 5 read: no blob named, the blob dated 0.
    await store.driver.query('UPDATE evaluations SET input_blob = NULL');
    await store.driver.query('UPDATE evaluation_blobs SET created_at = 0');
    expect(await store.pruneEvaluationInputs(3)).toEqual({ inputs: 1, blobs: 0 });
    expect((await store.getEvaluation('new'))?.input).toEqual(input(5));
    expect((await store.driver.query('SELECT COUNT(*) AS n FROM evaluations WHERE input_blob IS NULL'))[0].n).toBe(0);
    await store.close();
  });

  it('lists evaluations newest or oldest first from an index, without sorting', async () => {
    const store = sqliteStore(':memory:');
    await store.migrate();
    const plan = async (sql: string, params: (string | number)[]) =>
      (await store.driver.query(`EXPLAIN QUERY PLAN ${sql}`, params)).map((row) => String(row.detail)).join('; ');
    for (const direction of ['ASC', 'DESC']) {
      const byRelease = await plan(`SELECT * FROM evaluations WHERE release_id = $1 ORDER BY created_at ${direction}, id ${direction} LIMIT $2`, ['r', 1]);
      expect(byRelease).toMatch(/USING INDEX/);
      expect(byRelease).not.toMatch(/TEMP B-TREE/);
      const byBatch = await plan(`SELECT * FROM evaluations WHERE release_id = $1 AND batch = $2 ORDER BY created_at ${direction}, id ${direction} LIMIT $3`, ['r', 1, 1]);
      expect(byBatch).toMatch(/USING INDEX evaluations_release_batch/);
      expect(byBatch).not.toMatch(/TEMP B-TREE/);
      const all = await plan(`SELECT * FROM evaluations ORDER BY created_at ${direction}, id ${direction} LIMIT $1`, [1]);
      expect(all).toMatch(/USING INDEX evaluations_created/);
      expect(all).not.toMatch(/TEMP B-TREE/);
    }
    await store.close();
  });
});
