/**
 * The store port: every piece of durable service state behind one interface, so the SQLite
 * default and PostgreSQL (several replicas sharing state) are interchangeable and pass one suite.
 * All times are epoch milliseconds; JSON columns round-trip plain data.
 */

export type Scope = 'read' | 'gate' | 'operate' | 'admin';
export type ApiKeyStatus = 'active' | 'disabled' | 'revoked';

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** SHA-256 (hex) of the secret; the secret itself is never stored. */
  hash: string;
  /** First characters of the key, shown to people to tell keys apart. */
  prefix: string;
  scopes: Scope[];
  status: ApiKeyStatus;
  createdAt: number;
  updatedAt: number;
}

export interface AuditEntry {
  id?: number;
  at: number;
  /** Key id of the caller; `null` for the service itself or an unauthenticated caller. */
  keyId: string | null;
  action: string;
  target: string;
  result: 'ok' | 'denied' | 'error';
  detail?: string | null;
}

export interface ReleaseRecord {
  id: string;
  app: string;
  environment: string;
  state: string;
  /** The release order and its progress, as JSON. */
  spec: unknown;
  /** Incremented by every update; updates name the version they read (optimistic concurrency). */
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface ReleaseFilter {
  app?: string;
  environment?: string;
  state?: string;
  limit?: number;
}

export interface EvaluationRecord {
  id: string;
  releaseId: string | null;
  batch: number | null;
  createdAt: number;
  decision: string;
  score: number;
  /** The inputs as a case, and the verdict document, as JSON. */
  input: unknown;
  verdict: unknown;
  feedback: { correct: boolean; labels: string[]; kind?: string; note: string | null; at: number; keyId: string | null } | null;
}

/** Which evaluations `listEvaluations` reads, in which order, with or without their inputs. */
export interface EvaluationQuery {
  releaseId?: string;
  /** Only this batch (of `releaseId` when given). */
  batch?: number;
  labeledOnly?: boolean;
  /** At most this many (default 1000). */
  limit?: number;
  /**
   * `oldest` first (the default: export and replay read the record in order) or `newest` first
   * (people and integrations want the latest verdict). Ties on `createdAt` break by id.
   */
  order?: 'oldest' | 'newest';
  /** false: `input` comes back null — the inputs are most of a record and summaries do not need them. Default true. */
  withInput?: boolean;
}

/** Which audit entries `listAudit` reads, in id order. */
export interface AuditQuery {
  /** At most this many (default 1000). */
  limit?: number;
  afterId?: number;
  target?: string;
  /** Only this key's entries; `null` for the service's own (no key). */
  keyId?: string | null;
  /** Only these actions. */
  actions?: readonly string[];
  result?: AuditEntry['result'];
  /** Only entries at or after this epoch ms. */
  since?: number;
}

export interface Store {
  /** Applies pending migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Applied migration versions, ascending. */
  migrations(): Promise<number[]>;

  createApiKey(key: ApiKeyRecord): Promise<void>;
  getApiKeyByHash(hash: string): Promise<ApiKeyRecord | null>;
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Sets status and/or hash (rotation). Returns false when the key does not exist. */
  updateApiKey(id: string, patch: Partial<Pick<ApiKeyRecord, 'status' | 'hash' | 'prefix' | 'scopes'>>, at: number): Promise<boolean>;

  appendAudit(entry: AuditEntry): Promise<number>;
  listAudit(options?: AuditQuery): Promise<AuditEntry[]>;

  /** Fails with `conflict` when the id exists. */
  createRelease(release: Omit<ReleaseRecord, 'version'>): Promise<ReleaseRecord>;
  getRelease(id: string): Promise<ReleaseRecord | null>;
  listReleases(filter?: ReleaseFilter): Promise<ReleaseRecord[]>;
  /**
   * Writes `state` and `spec` if the stored version is still `expectedVersion`; returns the new
   * record, or null when someone else updated it first.
   */
  updateRelease(id: string, expectedVersion: number, patch: { state: string; spec: unknown }, at: number): Promise<ReleaseRecord | null>;

  /**
   * Takes or renews the lease on a release for `owner` until `now + ttlMs`. True when `owner`
   * holds it afterwards; false when another owner holds an unexpired lease.
   */
  acquireLease(releaseId: string, owner: string, ttlMs: number, now: number): Promise<boolean>;
  releaseLease(releaseId: string, owner: string): Promise<void>;

  /** Records a deployment event once: `duplicate` when `eventId` was seen before for the release. */
  recordEvent(releaseId: string, eventId: string, payload: unknown, at: number): Promise<'new' | 'duplicate'>;
  listEvents(releaseId: string): Promise<{ eventId: string; payload: unknown; at: number }[]>;

  saveEvaluation(evaluation: EvaluationRecord): Promise<void>;
  getEvaluation(id: string): Promise<EvaluationRecord | null>;
  setFeedback(id: string, feedback: NonNullable<EvaluationRecord['feedback']>): Promise<boolean>;
  listEvaluations(query?: EvaluationQuery): Promise<EvaluationRecord[]>;
  /**
   * Retention: drops the recorded input (series and logs) of every evaluation created before
   * `before` (epoch ms) that has no feedback — its verdict, score and report stay, its input reads
   * as null — then deletes the history blobs no input refers to any more, last written before
   * `before`. Labeled evaluations keep their inputs: they are the replayable record.
   */
  pruneEvaluationInputs(before: number): Promise<{ inputs: number; blobs: number }>;

  /** The P2P preheat job recorded for an idempotency key, or null; durable, so a restarted service finds its jobs. */
  getPreheatJob(key: string): Promise<string | null>;
  /** Records the preheat job started for `key` (replacing an earlier one), at epoch ms `at`. */
  setPreheatJob(key: string, jobId: string, at: number): Promise<void>;
}

export class StoreConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflictError';
  }
}
