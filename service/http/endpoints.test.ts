/**
 * Every endpoint the OpenAPI document lists, over real HTTP: a scoped one refuses a missing key
 * (401) and a key without the scope (403); one that takes a JSON body refuses malformed JSON and a
 * body of the wrong shape with a 400 naming the field, in the one error shape.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../auth/api-keys.js';
import { startService, type RunningService } from '../main.js';

let service: RunningService;
let admin: string;
let nothing: string;
let operations: { method: string; path: string; scope?: string; json: boolean }[] = [];

beforeAll(async () => {
  service = await startService({ dataDir: mkdtempSync(join(tmpdir(), 'sluice-endpoints-')), port: 0, rateLimit: { ratePerSecond: 1000, burst: 1000 } });
  admin = (await createKey(service.store, 'admin', ['admin'], 0)).key;
  nothing = (await createKey(service.store, 'reader', ['read'], 0)).key;
  const doc = (await (await fetch(`${service.url}/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { 'x-scope'?: string; requestBody?: { content: Record<string, unknown> } }>> };
  operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'x'), scope: op['x-scope'], json: Boolean(op.requestBody?.content['application/json']) })),
  );
});
afterAll(async () => {
  await service.close();
});

const send = (op: { method: string; path: string }, key: string | null, body?: string) =>
  fetch(`${service.url}${op.path}`, { method: op.method, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json' }, body });

describe('every endpoint of the OpenAPI document', () => {
  it('lists the service\'s endpoints', () => {
    expect(operations.length).toBeGreaterThanOrEqual(20);
    expect(operations.map((o) => `${o.method} ${o.path}`)).toEqual(expect.arrayContaining(['POST /v1/gate/evaluate', 'POST /v1/releases', 'POST /v1/metrics/write', 'GET /healthz']));
  });

  it('scoped endpoints answer 401 without a key and 403 without the scope', async () => {
    for (const op of operations.filter((o) => o.scope)) {
      const anonymous = await send(op, null, op.json ? '{}' : undefined);
      expect(anonymous.status, `${op.method} ${op.path}`).toBe(401);
      expect(await anonymous.json()).toMatchObject({ status: 401, code: 'unauthenticated', field: 'authorization' });
      if (op.scope !== 'read') expect((await send(op, nothing, op.json ? '{}' : undefined)).status, `${op.method} ${op.path}`).toBe(403);
    }
  });

  it('JSON endpoints answer 400 naming the field for malformed JSON and for a body of the wrong shape', async () => {
    for (const op of operations.filter((o) => o.json)) {
      const malformed = await send(op, admin, '{"a":');
      expect(malformed.status, `${op.method} ${op.path}`).toBe(400);
      expect(await malformed.json()).toMatchObject({ status: 400, code: 'malformed_json', field: 'body' });
      const wrong = await send(op, admin, '[1,2,3]');
      expect(wrong.status, `${op.method} ${op.path}`).toBe(400);
      const body = (await wrong.json()) as { code: string; field: string; reason: string };
      expect(body.code).toBe('invalid_input');
      expect(body.field).toMatch(/^body/);
      expect(body.reason.length).toBeGreaterThan(3);
    }
  });
});

describe('a metric source that fails', () => {
  it('gives INCONCLUSIVE with the reason after bounded retries, never PASS', async () => {
    const broken = await startService({ dataDir: mkdtempSync(join(tmpdir(), 'sluice-broken-source-')), port: 0, metricSource: 'influxdb', influx: { host: '127.0.0.1', port: 1, database: 'none' } });
    try {
      const key = (await createKey(broken.store, 'gate', ['gate'], 0)).key;
      const deployedAt = Date.UTC(2026, 5, 1, 12);
      const response = await fetch(`${broken.url}/v1/gate/evaluate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: { app: 'a', release: { deployedAt }, step: 60_000, historyFrom: deployedAt - 3_600_000, until: deployedAt + 600_000, hosts: { released: ['h1'], unreleased: ['h2'] }, metrics: [{ name: 'rpc.rt', category: 'middleware', direction: 'up' }] } }),
      });
      const verdict = (await response.json()) as { decision: string; reasons: string[] };
      expect(verdict.decision).toBe('INCONCLUSIVE');
      expect(verdict.reasons[0]).toMatch(/^metric source failed: rpc\.rt: metric source 'influxdb' failed after 3 attempts/);
    } finally {
      await broken.close();
    }
  }, 60_000);
});
