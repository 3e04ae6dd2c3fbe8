/**
 * How the service opens every SQLite file it writes (state store, metric ingest, log ingest):
 * WAL journal, `synchronous = FULL` so a committed write survives power loss, and a busy timeout
 * so a second process waits instead of failing. Creates the file's directory.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Opens (creating if need be) the SQLite file at `file`, or an in-memory one for `:memory:`. */
export function openSqlite(file: string): Database.Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * Retention in the ingest files: runs `remove` (`DELETE … WHERE <key> = ? AND <time> < ?`) once per
 * key that `keys` lists, so each delete walks a primary-key range instead of scanning the table.
 * Returns the rows deleted.
 */
export function deleteBeforePerKey(db: Database.Database, keys: string, remove: string, before: number): number {
  const statement = db.prepare(remove);
  let removed = 0;
  for (const key of db.prepare(keys).pluck().all()) removed += statement.run(key, Math.floor(before)).changes;
  return removed;
}
