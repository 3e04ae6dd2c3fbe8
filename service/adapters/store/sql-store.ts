/**
 * The one SQL implementation of the store port, over either driver. Every statement is plain
 * SQL both dialects accept (ON CONFLICT … RETURNING needs SQLite ≥ 3.35; better-sqlite3 12
 * bundles a newer one).
 */
import type { ApiKeyRecord, AuditEntry, AuditQuery, EvaluationQuery, EvaluationRecord, ReleaseFilter, ReleaseRecord, Store } from '../../ports/store.js';
import { StoreConflictError } from '../../ports/store.js';
import { blobsOf, packInput, unpackInputs } from './evaluation-input.js';
import { migrations } from './migrations.js';
import type { SqlDriver, SqlRow } from './sql-driver.js';

const json = (value: unknown): string => JSON.stringify(value ?? null);
const parse = (text: unknown): unknown => (typeof text === 'string' ? JSON.parse(text) : null);
const num = (v: unknown): number => Number(v);

function toKey(row: SqlRow): ApiKeyRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    hash: String(row.hash),
    prefix: String(row.prefix),
    scopes: parse(row.scopes) as ApiKeyRecord['scopes'],
    status: row.status as ApiKeyRecord['status'],
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

function toRelease(row: SqlRow): ReleaseRecord {
  return {
    id: String(row.id),
    app: String(row.app),
    environment: String(row.environment),
    state: String(row.state),
    spec: parse(row.spec),
    version: num(row.version),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

/** How stale a reused blob's date may be before saving an evaluation dates it anew (one day). */
const BLOB_REDATE_MS = 86_400_000;

function toEvaluation(row: SqlRow, input: unknown): EvaluationRecord {
  return {
    id: String(row.id),
    releaseId: row.release_id === null ? null : String(row.release_id),
    batch: row.batch === null ? null : num(row.batch),
    createdAt: num(row.created_at),
    decision: String(row.decision),
    score: num(row.score),
    input,
    verdict: parse(row.verdict),
    feedback: parse(row.feedback) as EvaluationRecord['feedback'],
  };
}

const isUniqueViolation = (error: unknown): boolean => {
  const e = error as { code?: string; message?: string };
  return e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e.code === 'SQLITE_CONSTRAINT_UNIQUE';
};

export class SqlStore implements Store {
  constructor(readonly driver: SqlDriver) {}

  async migrate(): Promise<void> {
    await this.driver.migrationTransaction(async (query) => {
      await query('CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const applied = new Set((await query('SELECT version FROM schema_migrations')).map((r) => num(r.version)));
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        for (const statement of m.statements) await query(statement);
        await query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      }
    });
  }

  async migrations(): Promise<number[]> {
    const rows = await this.driver.query('SELECT version FROM schema_migrations ORDER BY version');
    return rows.map((r) => num(r.version));
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  async createApiKey(key: ApiKeyRecord): Promise<void> {
    try {
      await this.driver.query(
        'INSERT INTO api_keys (id, name, hash, prefix, scopes, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [key.id, key.name, key.hash, key.prefix, json(key.scopes), key.status, key.createdAt, key.updatedAt],
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreConflictError(`api key ${key.id} exists`);
      throw error;
    }
  }

  async getApiKeyByHash(hash: string): Promise<ApiKeyRecord | null> {
    const rows = await this.driver.query('SELECT * FROM api_keys WHERE hash = $1', [hash]);
    return rows[0] ? toKey(rows[0]) : null;
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    const rows = await this.driver.query('SELECT * FROM api_keys WHERE id = $1', [id]);
    return rows[0] ? toKey(rows[0]) : null;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (await this.driver.query('SELECT * FROM api_keys ORDER BY created_at, id')).map(toKey);
  }

  async updateApiKey(id: string, patch: Partial<Pick<ApiKeyRecord, 'status' | 'hash' | 'prefix' | 'scopes'>>, at: number): Promise<boolean> {
    const current = await this.getApiKey(id);
    if (!current) return false;
    const next = { ...current, ...patch };
    await this.driver.query('UPDATE api_keys SET status = $2, hash = $3, prefix = $4, scopes = $5, updated_at = $6 WHERE id = $1', [
      id,
      next.status,
      next.hash,
      next.prefix,
      json(next.scopes),
      at,
    ]);
    return true;
  }

  async appendAudit(entry: AuditEntry): Promise<number> {
    // The id is taken inside the insert so concurrent writers on PostgreSQL never share one;
    // a unique violation from a racing writer is retried.
    for (let attempt = 0; ; attempt++) {
      try {
        const rows = await this.driver.query(
          'INSERT INTO audit_log (id, at, key_id, action, target, result, detail) SELECT COALESCE(MAX(id), 0) + 1, $1, $2, $3, $4, $5, $6 FROM audit_log RETURNING id',
          [entry.at, entry.keyId, entry.action, entry.target, entry.result, entry.detail ?? null],
        );
        return num(rows[0].id);
      } catch (error) {
        if (!isUniqueViolation(error) || attempt > 20) throw error;
      }
    }
  }

  async listAudit(options: AuditQuery = {}): Promise<AuditEntry[]> {
    const params: (string | number)[] = [options.afterId ?? 0];
    let sql = 'SELECT * FROM audit_log WHERE id > $1';
    const where = (clause: (at: string) => string, value: string | number) => {
      params.push(value);
      sql += ` AND ${clause(`$${params.length}`)}`;
    };
    if (options.target !== undefined) where((p) => `target = ${p}`, options.target);
    if (options.keyId === null) sql += ' AND key_id IS NULL';
    else if (options.keyId !== undefined) where((p) => `key_id = ${p}`, options.keyId);
    if (options.since !== undefined) where((p) => `at >= ${p}`, options.since);
    if (options.result !== undefined) where((p) => `result = ${p}`, options.result);
    if (options.actions !== undefined) {
      if (options.actions.length === 0) return [];
      const first = params.length + 1;
      params.push(...options.actions);
      sql += ` AND action IN (${options.actions.map((_, i) => `$${first + i}`).join(', ')})`;
    }
    params.push(options.limit ?? 1000);
    sql += ` ORDER BY id LIMIT $${params.length}`;
    return (await this.driver.query(sql, params)).map((row) => ({
      id: num(row.id),
      at: num(row.at),
      keyId: row.key_id === null ? null : String(row.key_id),
      action: String(row.action),
      target: String(row.target),
      result: row.result as AuditEntry['result'],
      detail: row.detail === null ? null : String(row.detail),
    }));
  }

  async createRelease(release: Omit<ReleaseRecord, 'version'>): Promise<ReleaseRecord> {
    try {
      await this.driver.query(
        'INSERT INTO releases (id, app, environment, state, spec, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7)',
        [release.id, release.app, release.environment, release.state, json(release.spec), release.createdAt, release.updatedAt],
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreConflictError(`release ${release.id} exists, or ${release.app} already has an active release in ${release.environment}`);
      throw error;
    }
    return { ...release, version: 1 };
  }

  async getRelease(id: string): Promise<ReleaseRecord | null> {
    const rows = await this.driver.query('SELECT * FROM releases WHERE id = $1', [id]);
    return rows[0] ? toRelease(rows[0]) : null;
  }

  async listReleases(filter: ReleaseFilter = {}): Promise<ReleaseRecord[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    for (const [column, value] of [
      ['app', filter.app],
      ['environment', filter.environment],
      ['state', filter.state],
    ] as const) {
      if (value === undefined) continue;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
    params.push(filter.limit ?? 100);
    const sql = `SELECT * FROM releases${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT $${params.length}`;
    return (await this.driver.query(sql, params)).map(toRelease);
  }

  async updateRelease(id: string, expectedVersion: number, patch: { state: string; spec: unknown }, at: number): Promise<ReleaseRecord | null> {
    const rows = await this.driver.query(
      'UPDATE releases SET state = $3, spec = $4, version = version + 1, updated_at = $5 WHERE id = $1 AND version = $2 RETURNING *',
      [id, expectedVersion, patch.state, json(patch.spec), at],
    );
    return rows[0] ? toRelease(rows[0]) : null;
  }

  async acquireLease(releaseId: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    const rows = await this.driver.query(
      `INSERT INTO leases (release_id, owner, until) VALUES ($1, $2, $3)
       ON CONFLICT (release_id) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE leases.owner = excluded.owner OR leases.until <= $4
       RETURNING owner`,
      [releaseId, owner, now + ttlMs, now],
    );
    return rows.length === 1 && rows[0].owner === owner;
  }

  async releaseLease(releaseId: string, owner: string): Promise<void> {
    await this.driver.query('DELETE FROM leases WHERE release_id = $1 AND owner = $2', [releaseId, owner]);
  }

  async recordEvent(releaseId: string, eventId: string, payload: unknown, at: number): Promise<'new' | 'duplicate'> {
    const rows = await this.driver.query(
      'INSERT INTO release_events (release_id, event_id, payload, at) VALUES ($1, $2, $3, $4) ON CONFLICT (release_id, event_id) DO NOTHING RETURNING event_id',
      [releaseId, eventId, json(payload), at],
    );
    return rows.length === 1 ? 'new' : 'duplicate';
  }

  async listEvents(releaseId: string): Promise<{ eventId: string; payload: unknown; at: number }[]> {
    const rows = await this.driver.query('SELECT * FROM release_events WHERE release_id = $1 ORDER BY at, event_id', [releaseId]);
    return rows.map((r) => ({ eventId: String(r.event_id), payload: parse(r.payload), at: num(r.at) }));
  }

  async saveEvaluation(e: EvaluationRecord): Promise<void> {
    // The input is packed (evaluation-input.ts): its history is a blob shared by the batch's evaluations.
    const input = packInput(e.input);
    for (const blob of input.blobs) {
      const [held] = await this.driver.query('SELECT created_at FROM evaluation_blobs WHERE hash = $1', [blob.hash]);
      if (held) {
        // A blob reused is dated anew, at most once a day (retention keeps at least a day, and
        // SQLite would rewrite the whole blob row): retention deletes only blobs older than its cutoff.
        if (num(held.created_at) < e.createdAt - BLOB_REDATE_MS) await this.driver.query('UPDATE evaluation_blobs SET created_at = $2 WHERE hash = $1', [blob.hash, e.createdAt]);
        continue;
      }
      await this.driver.query('INSERT INTO evaluation_blobs (hash, data, created_at) VALUES ($1, $2, $3) ON CONFLICT (hash) DO NOTHING', [blob.hash, blob.data(), e.createdAt]);
    }
    try {
      await this.driver.query(
        'INSERT INTO evaluations (id, release_id, batch, created_at, decision, score, input, verdict, feedback, input_blob) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
        [e.id, e.releaseId, e.batch, e.createdAt, e.decision, e.score, input.text, json(e.verdict), e.feedback ? json(e.feedback) : null, input.blobs[0]?.hash ?? ''],
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreConflictError(`evaluation ${e.id} exists`);
      throw error;
    }
  }

  async getEvaluation(id: string): Promise<EvaluationRecord | null> {
    const rows = await this.driver.query('SELECT * FROM evaluations WHERE id = $1', [id]);
    return rows[0] ? (await this.toEvaluations(rows))[0] : null;
  }

  private async toEvaluations(rows: SqlRow[]): Promise<EvaluationRecord[]> {
    const inputs = await unpackInputs(rows.map((r) => (typeof r.input === 'string' ? r.input : null)), async (hashes) => {
      const placeholders = hashes.map((_, i) => `$${i + 1}`).join(', ');
      const blobs = await this.driver.query(`SELECT hash, data FROM evaluation_blobs WHERE hash IN (${placeholders})`, hashes);
      return new Map(blobs.map((b) => [String(b.hash), String(b.data)]));
    });
    return rows.map((row, i) => toEvaluation(row, inputs[i]));
  }

  async setFeedback(id: string, feedback: NonNullable<EvaluationRecord['feedback']>): Promise<boolean> {
    const rows = await this.driver.query('UPDATE evaluations SET feedback = $2 WHERE id = $1 RETURNING id', [id, json(feedback)]);
    return rows.length === 1;
  }

  async listEvaluations(query: EvaluationQuery = {}): Promise<EvaluationRecord[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.releaseId !== undefined) {
      params.push(query.releaseId);
      where.push(`release_id = $${params.length}`);
    }
    if (query.batch !== undefined) {
      params.push(query.batch);
      where.push(`batch = $${params.length}`);
    }
    if (query.labeledOnly) where.push('feedback IS NOT NULL');
    params.push(query.limit ?? 1000);
    const direction = query.order === 'newest' ? 'DESC' : 'ASC';
    // Without inputs the rows stay small: a release's evaluations carry every host's series.
    const columns = query.withInput === false ? 'id, release_id, batch, created_at, decision, score, NULL AS input, verdict, feedback' : '*';
    const sql = `SELECT ${columns} FROM evaluations${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at ${direction}, id ${direction} LIMIT $${params.length}`;
    return this.toEvaluations(await this.driver.query(sql, params));
  }

  async pruneEvaluationInputs(before: number): Promise<{ inputs: number; blobs: number }> {
    // Rows saved before migration 5 name their blob only inside the deflated input: read it once.
    for (;;) {
      const rows = await this.driver.query('SELECT id, input FROM evaluations WHERE input_blob IS NULL LIMIT 200');
      if (rows.length === 0) break;
      for (const row of rows) {
        let hash = '';
        try {
          hash = blobsOf(typeof row.input === 'string' ? row.input : null)[0] ?? '';
        } catch {
          // An input that cannot be read cannot be unpacked either; its blob serves nothing.
        }
        await this.driver.query('UPDATE evaluations SET input_blob = $2 WHERE id = $1', [String(row.id), hash]);
      }
    }
    const inputs = await this.driver.query(
      `UPDATE evaluations SET input = 'null', input_blob = '' WHERE created_at < $1 AND feedback IS NULL AND input <> 'null' RETURNING id`,
      [before],
    );
    const blobs = await this.driver.query(
      'DELETE FROM evaluation_blobs WHERE created_at < $1 AND NOT EXISTS (SELECT 1 FROM evaluations WHERE evaluations.input_blob = evaluation_blobs.hash) RETURNING hash',
      [before],
    );
    return { inputs: inputs.length, blobs: blobs.length };
  }

  async getPreheatJob(key: string): Promise<string | null> {
    const rows = await this.driver.query('SELECT job_id FROM preheat_jobs WHERE key = $1', [key]);
    return rows[0] ? String(rows[0].job_id) : null;
  }

  async setPreheatJob(key: string, jobId: string, at: number): Promise<void> {
    await this.driver.query(
      'INSERT INTO preheat_jobs (key, job_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET job_id = excluded.job_id, created_at = excluded.created_at',
      [key, jobId, at],
    );
  }
}
