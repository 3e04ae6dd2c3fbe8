/**
 * Tests that need a real server (PostgreSQL, InfluxDB, sshd) ask here whether it is reachable.
 * On a laptop without it they skip with a printed reason; with `CI` set a missing server is a
 * failure, never a silent skip.
 */
import pg from 'pg';

export const POSTGRES_URL = process.env.SLUICE_TEST_POSTGRES ?? 'postgres://root@127.0.0.1:5432/test';

export interface ServerCheck {
  available: boolean;
  reason: string;
}

/** Connects once to PostgreSQL; says why when it cannot. */
export async function checkPostgres(url = POSTGRES_URL): Promise<ServerCheck> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { available: true, reason: '' };
  } catch (error) {
    return { available: false, reason: `PostgreSQL at ${url.replace(/:[^:@/]*@/, ':***@')} is not reachable: ${(error as Error).message}` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Decides whether a suite runs: returns true to run; false to skip (after printing why);
 * throws when `CI` is set and the server is missing.
 */
export function shouldRun(name: string, check: ServerCheck): boolean {
  if (check.available) return true;
  if (process.env.CI) throw new Error(`${name}: required server missing in CI — ${check.reason}`);
  console.warn(`SKIP ${name}: ${check.reason}`);
  return false;
}

export const INFLUX_HOST = process.env.SLUICE_TEST_INFLUX_HOST ?? '127.0.0.1';
export const INFLUX_PORT = Number(process.env.SLUICE_TEST_INFLUX_PORT ?? 8086);

/** Pings InfluxDB 1.x; says why when it cannot. `.ci/start-influxd` starts one. */
export async function checkInflux(): Promise<ServerCheck> {
  try {
    const response = await fetch(`http://${INFLUX_HOST}:${INFLUX_PORT}/ping`, { signal: AbortSignal.timeout(3000) });
    if (response.status === 204 || response.ok) return { available: true, reason: '' };
    return { available: false, reason: `InfluxDB at ${INFLUX_HOST}:${INFLUX_PORT} answered ${response.status} to /ping` };
  } catch (error) {
    return { available: false, reason: `InfluxDB at ${INFLUX_HOST}:${INFLUX_PORT} is not reachable (${(error as Error).message}); start one with .ci/start-influxd` };
  }
}
