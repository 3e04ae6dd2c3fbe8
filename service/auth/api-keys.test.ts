import { describe, expect, it } from 'vitest';
import { sqliteStore } from '../adapters/store/sqlite.js';
import { authenticate, createKey, grants, hashKey, redactKey, rotateKey, setKeyStatus } from './api-keys.js';

const fresh = async () => {
  const store = sqliteStore(':memory:');
  await store.migrate();
  return store;
};

describe('api keys', () => {
  it('stores only the hash: the plain key appears nowhere in the stored record', async () => {
    const store = await fresh();
    const { key, record } = await createKey(store, 'deployer', ['gate'], 1);
    const stored = await store.getApiKey(record.id);
    expect(stored?.hash).toBe(hashKey(key));
    expect(JSON.stringify(stored)).not.toContain(key.split('_')[2]);
    expect(redactKey(key)).toBe(`slk_${record.id}_…`);
  });

  it('authenticates by scope with implication admin > operate > gate > read', async () => {
    const store = await fresh();
    const { key } = await createKey(store, 'ci', ['gate'], 1);
    expect((await authenticate(store, key, 'read')).ok).toBe(true);
    expect((await authenticate(store, key, 'gate')).ok).toBe(true);
    expect(await authenticate(store, key, 'operate')).toMatchObject({ ok: false, status: 403, code: 'forbidden' });
    expect(await authenticate(store, undefined, 'read')).toMatchObject({ ok: false, status: 401 });
    expect(await authenticate(store, `${key}x`, 'read')).toMatchObject({ ok: false, status: 401, code: 'unauthenticated' });
    expect(grants(['admin'], 'operate')).toBe(true);
    expect(grants(['read'], 'gate')).toBe(false);
  });

  it('a disabled key is refused at once and can be re-enabled; a revoked key never comes back', async () => {
    const store = await fresh();
    const { key, record } = await createKey(store, 'x', ['read'], 1);
    expect(await setKeyStatus(store, record.id, 'disabled', 2)).toBe(true);
    expect(await authenticate(store, key, 'read')).toMatchObject({ ok: false, code: 'key_disabled' });
    expect(await setKeyStatus(store, record.id, 'active', 3)).toBe(true);
    expect((await authenticate(store, key, 'read')).ok).toBe(true);
    expect(await setKeyStatus(store, record.id, 'revoked', 4)).toBe(true);
    expect(await setKeyStatus(store, record.id, 'active', 5)).toBe(false);
    expect(await authenticate(store, key, 'read')).toMatchObject({ ok: false, code: 'key_revoked' });
  });

  it('rotation replaces the secret: the old key fails, the new one works', async () => {
    const store = await fresh();
    const { key, record } = await createKey(store, 'x', ['operate'], 1);
    const rotated = await rotateKey(store, record.id, 2);
    expect(rotated?.key).not.toBe(key);
    expect(await authenticate(store, key, 'read')).toMatchObject({ ok: false, code: 'unauthenticated' });
    expect((await authenticate(store, rotated!.key, 'operate')).ok).toBe(true);
  });
});
