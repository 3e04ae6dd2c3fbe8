import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sqliteStore } from './sqlite.js';
import { describeStore } from './store.contract.js';

describeStore('SQLite (file, WAL)', async () => sqliteStore(join(mkdtempSync(join(tmpdir(), 'sluice-store-')), 'data', 'sluice.db')));

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
});
