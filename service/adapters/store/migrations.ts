/**
 * Versioned schema migrations, one list for both dialects. A migration is applied once, in
 * order, inside a transaction that also records it in `schema_migrations`; SQL uses only types
 * both SQLite and PostgreSQL accept (BIGINT for epoch ms, TEXT for JSON).
 */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'keys, audit, releases, leases, events, evaluations',
    statements: [
      `CREATE TABLE api_keys (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,
        scopes TEXT NOT NULL, status TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
      `CREATE TABLE audit_log (
        id BIGINT PRIMARY KEY, at BIGINT NOT NULL, key_id TEXT, action TEXT NOT NULL, target TEXT NOT NULL,
        result TEXT NOT NULL, detail TEXT)`,
      `CREATE INDEX audit_log_target ON audit_log (target, id)`,
      `CREATE TABLE releases (
        id TEXT PRIMARY KEY, app TEXT NOT NULL, environment TEXT NOT NULL, state TEXT NOT NULL, spec TEXT NOT NULL,
        version BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
      `CREATE INDEX releases_app_env ON releases (app, environment, state)`,
      `CREATE TABLE leases (release_id TEXT PRIMARY KEY, owner TEXT NOT NULL, until BIGINT NOT NULL)`,
      `CREATE TABLE release_events (
        release_id TEXT NOT NULL, event_id TEXT NOT NULL, payload TEXT NOT NULL, at BIGINT NOT NULL,
        PRIMARY KEY (release_id, event_id))`,
      `CREATE TABLE evaluations (
        id TEXT PRIMARY KEY, release_id TEXT, batch BIGINT, created_at BIGINT NOT NULL, decision TEXT NOT NULL,
        score DOUBLE PRECISION NOT NULL, input TEXT NOT NULL, verdict TEXT NOT NULL, feedback TEXT)`,
      `CREATE INDEX evaluations_release ON evaluations (release_id, created_at)`,
    ],
  },
  {
    version: 2,
    name: 'one active release per app and environment',
    statements: [
      `CREATE UNIQUE INDEX releases_one_active ON releases (app, environment)
        WHERE state NOT IN ('succeeded', 'failed', 'aborted', 'rolled_back')`,
    ],
  },
  {
    version: 3,
    name: 'evaluations listed newest first, by batch; preheat jobs by key',
    statements: [
      // Both directions scan these; (created_at, id) is the listing's order and tie-break, so
      // the release index gains id (without it the tie-break sorts every row of the release).
      `DROP INDEX evaluations_release`,
      `CREATE INDEX evaluations_release ON evaluations (release_id, created_at, id)`,
      `CREATE INDEX evaluations_created ON evaluations (created_at, id)`,
      `CREATE INDEX evaluations_release_batch ON evaluations (release_id, batch, created_at, id)`,
      `CREATE TABLE preheat_jobs (key TEXT PRIMARY KEY, job_id TEXT NOT NULL, created_at BIGINT NOT NULL)`,
    ],
  },
  {
    version: 4,
    name: 'evaluation inputs share their history',
    statements: [
      // Deflated, base64 history parts of evaluation inputs by SHA-256 (see evaluation-input.ts).
      `CREATE TABLE evaluation_blobs (hash TEXT PRIMARY KEY, data TEXT NOT NULL)`,
    ],
  },
  {
    version: 5,
    name: 'retention of evaluation inputs',
    statements: [
      // Which blob an input refers to, readable without inflating it ('' for none; NULL for rows
      // written before this version until retention first reads them), and when a blob was last
      // written or reused, so that retention never deletes one an evaluation is being saved with.
      `ALTER TABLE evaluations ADD COLUMN input_blob TEXT`,
      `CREATE INDEX evaluations_input_blob ON evaluations (input_blob)`,
      `ALTER TABLE evaluation_blobs ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0`,
    ],
  },
  {
    version: 6,
    name: 'audit entries by key and time',
    statements: [
      // Command-safety limits count a key's admitted commands over a window from the audit log.
      `CREATE INDEX audit_log_key_at ON audit_log (key_id, at)`,
    ],
  },
];
