import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPostgres, POSTGRES_URL, shouldRun } from '../../test/servers.js';
import { postgresStore } from './postgres.js';
import { describeStore } from './store.contract.js';

const enabled = shouldRun('PostgreSQL store', await checkPostgres());
const schemas: string[] = [];
const freshSchema = (): string => {
  const s = `sluice_test_${randomBytes(6).toString('hex')}`;
  schemas.push(s);
  return s;
};

afterAll(async () => {
  if (!enabled) return;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await client.end();
});

let contractSchema = '';
describeStore(
  'PostgreSQL',
  async () => postgresStore({ connectionString: POSTGRES_URL, schema: (contractSchema = freshSchema()) }),
  enabled,
  async () => postgresStore({ connectionString: POSTGRES_URL, schema: contractSchema }),
);

describe.runIf(enabled)('postgresStore across processes sharing one database', () => {
  it('two stores migrating at once apply each migration once', async () => {
    const schema = freshSchema();
    const a = postgresStore({ connectionString: POSTGRES_URL, schema });
    const b = postgresStore({ connectionString: POSTGRES_URL, schema });
    await Promise.all([a.migrate(), b.migrate()]);
    expect(await a.migrations()).toEqual([1, 2, 3, 4, 5, 6]);
    await Promise.all([a.close(), b.close()]);
  });

  it('two stores racing for one release lease: exactly one holds it', async () => {
    const schema = freshSchema();
    const a = postgresStore({ connectionString: POSTGRES_URL, schema });
    const b = postgresStore({ connectionString: POSTGRES_URL, schema });
    await a.migrate();
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).acquireLease('rel', i % 2 ? 'replica-a' : 'replica-b', 60_000, 1_000)),
    );
    const winners = new Set(outcomes.map((won, i) => (won ? (i % 2 ? 'replica-a' : 'replica-b') : null)).filter(Boolean));
    expect(winners.size).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });
});
