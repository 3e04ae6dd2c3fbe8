import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../auth/api-keys.js';
import { startService, type RunningService } from '../../main.js';
import { parseLogBody } from './logs.js';

const MINUTE = 60_000;
const NPE = 'java.lang.NullPointerException at Cart.total';
let service: RunningService;
let key: string;
let readKey: string;

beforeAll(async () => {
  service = await startService({ dataDir: mkdtempSync(join(tmpdir(), 'sluice-logs-http-')), port: 0, orchestrator: { enabled: false } });
  key = (await createKey(service.store, 'shipper', ['gate'], 0)).key;
  readKey = (await createKey(service.store, 'viewer', ['read'], 0)).key;
});
afterAll(async () => {
  await service.close();
});

const post = (body: string, bearer = key) => fetch(`${service.url}/v1/logs/write`, { method: 'POST', body, headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/x-ndjson' } });

describe('POST /v1/logs/write', () => {
  it('accepts JSON lines, names a bad line by number and field, stores the good ones', async () => {
    const body = [
      JSON.stringify({ host: 'a', at: MINUTE, signature: NPE, level: 'error' }),
      JSON.stringify({ host: 'a', at: MINUTE + 1, signature: NPE, level: 'severe' }),
      '',
      '{not json',
      JSON.stringify({ host: 'b', at: MINUTE, signature: NPE, level: 'fatal', count: 2, message: 'boom' }),
    ].join('\n');
    const response = await post(body);
    expect(response.status).toBe(200);
    const answer = await response.json();
    expect(answer).toMatchObject({ accepted: 2, rejectedLines: 2 });
    expect(answer.errors[0]).toEqual({ line: 2, field: 'body.line.2.level', reason: expect.stringMatching(/fatal.*error.*warn/) });
    expect(answer.errors[1]).toMatchObject({ line: 4, field: 'body.line.4', reason: expect.stringMatching(/^not valid JSON/) });
    expect(await service.logs.query({ hosts: ['a', 'b'], start: MINUTE, end: 2 * MINUTE, step: MINUTE })).toEqual([
      { host: 'a', t: MINUTE, signature: NPE, count: 1 },
      { host: 'b', t: MINUTE, signature: NPE, count: 2 },
    ]);
  });

  it('accepts a JSON array; a body of only bad events is a 400 naming the first', async () => {
    const ok = await post(JSON.stringify([{ host: 'c', at: 0, signature: NPE, level: 'warn' }]));
    expect(await ok.json()).toEqual({ accepted: 1, rejectedLines: 0, errors: [] });
    const bad = await post(JSON.stringify([{ host: 'c', at: 1.5, signature: NPE, level: 'warn' }, { host: '', at: 0, signature: NPE, level: 'warn' }]));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'invalid_log_events', field: 'body.line.1.at', issues: [{ field: 'body.line.1.at' }, { field: 'body.line.2.host' }] });
  });

  it('needs the gate scope, is audited, and answers 413 to a body over the size limit', async () => {
    expect((await post('[]', readKey)).status).toBe(403);
    const audit = await service.store.listAudit({ limit: 50 });
    expect(audit.some((entry) => entry.action === 'logs.ingest')).toBe(true);
    const huge = `${JSON.stringify({ host: 'a', at: 0, signature: 'x'.repeat(2000), level: 'warn' })}\n`.repeat(11_000);
    const response = await post(huge);
    expect(response.status).toBe(413);
  });
});

describe('parseLogBody', () => {
  it('skips blank lines and counts lines from 1', () => {
    const { events, errors } = parseLogBody(`\n${JSON.stringify({ host: 'a', at: 0, signature: 's', level: 'fatal' })}\n{"host":"a"}\n`);
    expect(events).toHaveLength(1);
    expect(errors).toEqual([{ line: 3, field: 'body.line.3.at', reason: 'Invalid input: expected number, received undefined' }]);
  });

  it('an array that is not valid JSON is one error on the body', () => {
    expect(parseLogBody('[{"host":').errors).toEqual([{ line: 1, field: 'body', reason: expect.stringMatching(/^not valid JSON/) }]);
  });
});
