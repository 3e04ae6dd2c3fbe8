import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestStore } from '../../adapters/metrics/ingest-store.js';
import { createKey } from '../../auth/api-keys.js';
import { startService, type RunningService } from '../../main.js';
import { killHard, startChildService } from '../../test/child-service.js';

let service: RunningService;
let key: string;
let readKey: string;

beforeAll(async () => {
  service = await startService({ dataDir: mkdtempSync(join(tmpdir(), 'sluice-ingest-http-')), port: 0 });
  key = (await createKey(service.store, 'telegraf', ['gate'], 0)).key;
  readKey = (await createKey(service.store, 'viewer', ['read'], 0)).key;
});
afterAll(async () => {
  await service.close();
});

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${service.url}${path}`, { method: 'POST', body, headers: { authorization: `Bearer ${key}`, ...headers } });

describe('metric ingest over HTTP', () => {
  it('accepts line protocol, reports bad lines by number, and stores the good ones', async () => {
    const body = 'http,host=a rt=12 60000000000\nhttp,host=a rt=oops 120000000000\nhttp,host=b rt=7 60000000000\n';
    const response = await post('/v1/metrics/write', body);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ accepted: 2, rejectedLines: 1, errors: [{ line: 2, reason: "field 'rt' has an invalid value 'oops'" }] });
    const out = await service.ingest.query({ metric: 'http.rt', hosts: ['a', 'b'], start: 60_000, end: 120_000, step: 60_000 });
    expect([out.a.values[0], out.b.values[0]]).toEqual([12, 7]);
  });

  it('a body with only bad lines is a 400 naming the first line', async () => {
    const response = await post('/v1/metrics/write', 'nonsense');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'invalid_line_protocol', field: 'body.line.1' });
  });

  it('speaks InfluxDB /write for Telegraf: Basic auth with the key as password, 204, precision=s', async () => {
    const basic = Buffer.from(`telegraf:${key}`).toString('base64');
    const ok = await post('/write?db=telegraf&precision=s', 'cpu,host=c usage=55.5 1700000000', { authorization: `Basic ${basic}` });
    expect(ok.status).toBe(204);
    const partial = await post('/write?db=telegraf', 'cpu,host=c usage=1 1700000060000000000\ncpu usage=2', { authorization: `Token ${key}` });
    expect(partial.status).toBe(400);
    expect((await partial.json()).reason).toMatch(/^partial write: 1 points written, 1 lines rejected; line 2: missing the 'host' tag/);
    const out = await service.ingest.query({ metric: 'cpu.usage', hosts: ['c'], start: 1_700_000_000_000, end: 1_700_000_120_000, step: 60_000 });
    expect(Array.from(out.c.values)).toEqual([55.5, 1]);
  });

  it('accepts JSON batches and rejects non-finite values naming the point', async () => {
    const good = await post('/v1/metrics', JSON.stringify({ points: [{ metric: 'q', host: 'h', t: 0, v: 3 }] }), { 'content-type': 'application/json' });
    expect(await good.json()).toEqual({ accepted: 1 });
    const bad = await post('/v1/metrics', JSON.stringify({ points: [{ metric: 'q', host: 'h', t: 0, v: 3 }, { metric: 'q', host: 'h', t: 1.5, v: 1 }] }), { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'body.points.1.t' });
  });

  it('needs the gate scope and refuses bodies over the limit with 413', async () => {
    const denied = await fetch(`${service.url}/v1/metrics/write`, { method: 'POST', body: 'x,host=a v=1', headers: { authorization: `Bearer ${readKey}` } });
    expect(denied.status).toBe(403);
    const huge = await post('/v1/metrics/write', 'x'.repeat(21 * 1024 * 1024));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ code: 'body_too_large' });
  });
});

describe('ingest durability', () => {
  it('SIGKILL while ingesting loses no acknowledged point', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-crash-'));
    const child = await startChildService(dataDir);
    const acknowledged: number[] = [];
    let batch = 0;
    const sendBatch = async (b: number) => {
      const lines = Array.from({ length: 500 }, (_, i) => `load,host=h${i % 10} v=${b} ${(b * 500 + i) * 1_000_000}`).join('\n');
      const r = await fetch(`${child.url}/v1/metrics/write?precision=ns`, { method: 'POST', body: lines, headers: { authorization: `Bearer ${child.adminKey}` } });
      if (r.status === 200) acknowledged.push(b);
    };
    // Four writers in parallel; the kill lands while requests are in flight.
    const writers = Array.from({ length: 4 }, async () => {
      while (batch < 1000) {
        try {
          await sendBatch(batch++);
        } catch {
          return;
        }
      }
    });
    await new Promise((r) => setTimeout(r, 1500));
    await killHard(child);
    await Promise.all(writers);
    expect(acknowledged.length).toBeGreaterThan(5);
    const store = new IngestStore(join(dataDir, 'metrics.db'));
    for (const b of acknowledged) {
      const start = b * 500;
      const out = await store.query({ metric: 'load.v', hosts: ['h0'], start, end: start + 500, step: 1 });
      // h0 wrote every tenth point of the batch: all 50 must be there.
      let present = 0;
      for (const v of out.h0.values) if (v === b) present++;
      expect(present, `batch ${b}`).toBe(50);
    }
    store.close();
  });
});
