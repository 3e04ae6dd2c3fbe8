import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../auth/api-keys.js';
import { sqliteStore } from '../adapters/store/sqlite.js';
import type { Store } from '../ports/store.js';
import { createApp } from './app.js';
import { keyRoutes } from './routes/keys.js';
import { listen, type TestServer } from './test-server.js';

let store: Store;
let server: TestServer;
let admin: string;
let reader: string;
let clock = 1_000_000;
const lines: string[] = [];

beforeAll(async () => {
  store = sqliteStore(':memory:');
  await store.migrate();
  admin = (await createKey(store, 'admin', ['admin'], 0)).key;
  reader = (await createKey(store, 'reader', ['read'], 0)).key;
  const app = createApp({ store, routes: keyRoutes(store, () => clock), now: () => clock, rateLimit: { ratePerSecond: 1, burst: 50 }, log: (l) => lines.push(l) });
  server = await listen(app);
});
afterAll(async () => {
  await server.close();
  await store.close();
});

describe('HTTP pipeline', () => {
  it('public endpoints answer without a key; /metrics is Prometheus text', async () => {
    expect((await server.call('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await server.call('GET', '/readyz')).status).toBe(200);
    const metrics = await server.call('GET', '/metrics');
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(metrics.text).toContain('# TYPE sluice_http_requests_total counter');
    expect(metrics.text).toMatch(/sluice_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
  });

  it('serves an OpenAPI document built from the zod schemas', async () => {
    const doc = (await server.call('GET', '/v1/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    const create = doc.paths['/v1/keys'].post;
    expect(create.requestBody.content['application/json'].schema.properties.scopes.items.enum).toEqual(['read', 'gate', 'operate', 'admin']);
    expect(doc.paths['/v1/keys/{id}/rotate'].post.parameters[0]).toMatchObject({ name: 'id', in: 'path' });
  });

  it('401 without a key or with a wrong one, 403 without the scope, in the one error shape', async () => {
    expect(await server.call('GET', '/v1/keys')).toMatchObject({ status: 401, body: { status: 401, code: 'unauthenticated', field: 'authorization' } });
    expect((await server.call('GET', '/v1/keys', { key: 'slk_nope_nope' })).status).toBe(401);
    expect(await server.call('GET', '/v1/keys', { key: reader })).toMatchObject({ status: 403, body: { code: 'forbidden' } });
  });

  it('400 names the field and the reason; malformed JSON is a 400 too', async () => {
    const bad = await server.call('POST', '/v1/keys', { key: admin, body: { name: 'x', scopes: ['root'] } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'invalid_input', field: 'body.scopes.0' });
    expect(bad.body.reason).toMatch(/read|gate|operate|admin/);
    const missing = await server.call('POST', '/v1/keys', { key: admin, body: { scopes: ['read'] } });
    expect(missing.body.field).toBe('body.name');
    const malformed = await server.call('POST', '/v1/keys', { key: admin, raw: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(malformed).toMatchObject({ status: 400, body: { code: 'malformed_json', field: 'body' } });
  });

  it('creates, disables (refused at once), re-enables, rotates and revokes a key; each call audited without the secret', async () => {
    const created = await server.call('POST', '/v1/keys', { key: admin, body: { name: 'deployer', scopes: ['gate'] } });
    expect(created.status).toBe(201);
    const { id, key } = created.body;
    expect((await server.call('GET', '/v1/keys', { key: admin })).body.keys.find((k: { id: string }) => k.id === id)).not.toHaveProperty('key');
    expect((await server.call('POST', `/v1/keys/${id}/disable`, { key: admin })).body.status).toBe('disabled');
    expect(await server.call('GET', '/v1/keys', { key })).toMatchObject({ status: 401, body: { code: 'key_disabled' } });
    expect((await server.call('POST', `/v1/keys/${id}/enable`, { key: admin })).body.status).toBe('active');
    const rotated = await server.call('POST', `/v1/keys/${id}/rotate`, { key: admin });
    expect(rotated.body.key).not.toBe(key);
    expect((await server.call('POST', `/v1/keys/${id}/revoke`, { key: admin })).body.status).toBe('revoked');
    expect((await server.call('POST', `/v1/keys/${id}/enable`, { key: admin })).status).toBe(404);

    const audit = (await server.call('GET', `/v1/audit?target=key:${id}`, { key: admin })).body.entries;
    expect(audit.map((e: { action: string }) => e.action)).toEqual(['key.create', 'key.disable', 'key.enable', 'key.rotate', 'key.revoke']);
    const everything = JSON.stringify(await store.listAudit()) + lines.join('\n');
    expect(everything).not.toContain(key);
    expect(everything).not.toContain(rotated.body.key);
    expect(everything).not.toContain(admin);
  });

  it('unknown routes are 404 in the same shape', async () => {
    expect(await server.call('GET', '/v1/nothing')).toMatchObject({ status: 404, body: { code: 'not_found' } });
  });

  it('rate-limits per key with 429 and Retry-After, and refills with time', async () => {
    const { key } = await createKey(store, 'burst', ['read'], 0);
    // The limiter allows the burst of 50, then refuses until a token refills (1 per second).
    let refused = null;
    for (let i = 0; i < 60 && !refused; i++) {
      const r = await server.call('GET', '/v1/audit', { key: admin });
      if (r.status === 429) refused = r;
    }
    expect(refused?.body.code).toBe('rate_limited');
    expect(refused?.headers.get('retry-after')).toBe('1');
    clock += 2000;
    expect((await server.call('GET', '/v1/audit', { key: admin })).status).toBe(200);
    expect((await server.call('GET', '/healthz', { key })).status).toBe(200);
  });
});
