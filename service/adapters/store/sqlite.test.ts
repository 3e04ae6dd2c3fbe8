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
