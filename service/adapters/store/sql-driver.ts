/**
 * The little a SQL store needs from a database driver. Statements use PostgreSQL's `$n`
 * placeholders; the SQLite driver rewrites them to SQLite's numbered `?n`.
 */
export type SqlValue = string | number | null;
export type SqlRow = Record<string, unknown>;

export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  query(sql: string, params?: SqlValue[]): Promise<SqlRow[]>;
  /**
   * Runs `work` in one transaction that holds the database-wide migration lock, so two processes
   * migrating at once apply each migration exactly once.
   */
  migrationTransaction(work: (query: (sql: string, params?: SqlValue[]) => Promise<SqlRow[]>) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}
