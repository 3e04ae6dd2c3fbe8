/**
 * SQLite driver (better-sqlite3 12.x): WAL journal, `synchronous = FULL` so a committed state
 * change survives power loss, and a busy timeout so a second process waits instead of failing.
 */
import type Database from 'better-sqlite3';
import { openSqlite } from './open-sqlite.js';
import type { SqlDriver, SqlRow, SqlValue } from './sql-driver.js';
import { SqlStore } from './sql-store.js';

// better-sqlite3 binds numbered `?n` only by object, so `$n` becomes the named `@pn`.
const toSqlite = (sql: string): string => sql.replace(/\$(\d+)/g, '@p$1');
const bind = (params: SqlValue[]): Record<string, SqlValue> => Object.fromEntries(params.map((v, i) => [`p${i + 1}`, v]));

export function sqliteDriver(file: string): SqlDriver {
  const db = openSqlite(file);
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(toSqlite(sql));
      statements.set(sql, s);
    }
    return s;
  };
  const run = (sql: string, params: SqlValue[] = []): SqlRow[] => {
    const s = prepare(sql);
    const bound = params.length > 0 ? [bind(params)] : [];
    if (s.reader) return s.all(...bound) as SqlRow[];
    s.run(...bound);
    return [];
  };
  return {
    dialect: 'sqlite',
    query: async (sql, params) => run(sql, params),
    async migrationTransaction(work) {
      db.exec('BEGIN IMMEDIATE');
      try {
        await work(async (sql, params) => run(sql, params));
        db.exec('COMMIT');
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      }
    },
    close: async () => {
      db.close();
    },
  };
}

/** A store in one SQLite file (created with its folder when missing), or `:memory:`. */
export function sqliteStore(file: string): SqlStore {
  return new SqlStore(sqliteDriver(file));
}
