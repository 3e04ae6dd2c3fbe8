/**
 * PostgreSQL driver (`pg`): a connection pool; BIGINT columns come back as numbers (epoch ms fit
 * well within 2^53). An optional schema isolates one store from another in the same database.
 */
import pg from 'pg';
import type { SqlDriver, SqlRow } from './sql-driver.js';
import { SqlStore } from './sql-store.js';

pg.types.setTypeParser(20, (value: string) => Number(value));

/** Advisory lock key shared by every Sluice process migrating the same database. */
const MIGRATION_LOCK = 0x5117ce;

export interface PostgresOptions {
  connectionString: string;
  /** Schema to create and use (default: the connection's search path). */
  schema?: string;
  max?: number;
}

export function postgresDriver(options: PostgresOptions): SqlDriver {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new RangeError(`postgres: schema must be a lower-case SQL identifier, got '${schema}'`);
  // The search path is a startup parameter of every connection, so no query can run before it is set.
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.max ?? 10, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  let ready: Promise<void> | undefined;
  const ensureSchema = (): Promise<void> => {
    // Two processes creating the schema at once race inside PostgreSQL's catalog even with
    // IF NOT EXISTS; the loser's unique violation means the schema is there.
    ready ??= schema
      ? pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).then(
          () => undefined,
          (error: { code?: string }) => {
            if (error.code !== '23505' && error.code !== '42P06') throw error;
          },
        )
      : Promise.resolve();
    return ready;
  };
  return {
    dialect: 'postgres',
    async query(sql, params) {
      await ensureSchema();
      const result = await pool.query(sql, params);
      return result.rows as SqlRow[];
    },
    async migrationTransaction(work) {
      await ensureSchema();
      const client = await pool.connect();
      try {
        if (schema) await client.query(`SET search_path TO ${schema}`);
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await work(async (sql, params) => (await client.query(sql, params)).rows as SqlRow[]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

export function postgresStore(options: PostgresOptions): SqlStore {
  return new SqlStore(postgresDriver(options));
}
