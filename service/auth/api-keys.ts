/**
 * API keys: random secrets handed out once, stored only as SHA-256 hashes, with scopes.
 * A key reads `slk_<id>_<secret>`; the id finds nothing by itself, the hash of the whole key is
 * what the store matches, so a leaked database gives no usable key.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord, Scope, Store } from '../ports/store.js';

export const SCOPES: readonly Scope[] = ['read', 'gate', 'operate', 'admin'];

/** What each scope grants: admin implies everything, operate implies gate and read, gate implies read. */
const IMPLIES: Record<Scope, Scope[]> = {
  read: ['read'],
  gate: ['gate', 'read'],
  operate: ['operate', 'gate', 'read'],
  admin: ['admin', 'operate', 'gate', 'read'],
};

export function grants(scopes: readonly Scope[], needed: Scope): boolean {
  return scopes.some((s) => IMPLIES[s].includes(needed));
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Safe to log: the key's id part and nothing of its secret. */
export function redactKey(key: string): string {
  const match = /^slk_([a-z0-9]+)_/.exec(key);
  return match ? `slk_${match[1]}_…` : '…';
}

function newSecret(id: string): string {
  return `slk_${id}_${randomBytes(24).toString('base64url')}`;
}

export interface IssuedKey {
  record: ApiKeyRecord;
  /** The plain key: shown once, never stored. */
  key: string;
}

/** Creates a key with `scopes`; returns the record and the plain key to hand over once. */
export async function createKey(store: Store, name: string, scopes: Scope[], now: number): Promise<IssuedKey> {
  const id = randomBytes(6).toString('hex');
  const key = newSecret(id);
  const record: ApiKeyRecord = { id, name, hash: hashKey(key), prefix: redactKey(key), scopes: [...new Set(scopes)], status: 'active', createdAt: now, updatedAt: now };
  await store.createApiKey(record);
  return { record, key };
}

/** Replaces a key's secret; the old key stops working at once. Null when the key is unknown or revoked. */
export async function rotateKey(store: Store, id: string, now: number): Promise<IssuedKey | null> {
  const current = await store.getApiKey(id);
  if (!current || current.status === 'revoked') return null;
  const key = newSecret(id);
  await store.updateApiKey(id, { hash: hashKey(key), prefix: redactKey(key) }, now);
  return { record: { ...current, hash: hashKey(key), prefix: redactKey(key), updatedAt: now }, key };
}

/** Disables, re-enables or revokes (final) a key. False when unknown or already revoked. */
export async function setKeyStatus(store: Store, id: string, status: ApiKeyRecord['status'], now: number): Promise<boolean> {
  const current = await store.getApiKey(id);
  if (!current || current.status === 'revoked') return false;
  return store.updateApiKey(id, { status }, now);
}

export type Authentication =
  | { ok: true; key: ApiKeyRecord }
  | { ok: false; status: 401 | 403; code: 'unauthenticated' | 'key_disabled' | 'key_revoked' | 'forbidden'; reason: string };

/** Looks a presented key up by hash and checks its status and scope. */
export async function authenticate(store: Store, presented: string | undefined, needed: Scope): Promise<Authentication> {
  if (!presented) return { ok: false, status: 401, code: 'unauthenticated', reason: 'an API key is required (Authorization: Bearer <key>)' };
  const hash = hashKey(presented);
  const record = await store.getApiKeyByHash(hash);
  if (!record || !timingSafeEqual(Buffer.from(record.hash, 'hex'), Buffer.from(hash, 'hex'))) {
    return { ok: false, status: 401, code: 'unauthenticated', reason: 'unknown API key' };
  }
  if (record.status === 'disabled') return { ok: false, status: 401, code: 'key_disabled', reason: `API key ${record.id} is disabled` };
  if (record.status === 'revoked') return { ok: false, status: 401, code: 'key_revoked', reason: `API key ${record.id} is revoked` };
  if (!grants(record.scopes, needed)) return { ok: false, status: 403, code: 'forbidden', reason: `API key ${record.id} lacks the '${needed}' scope` };
  return { ok: true, key: record };
}
