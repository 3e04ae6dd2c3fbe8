/**
 * The integrations judge a batch's logs as well as its metrics: through the whole service (the
 * composition root wires its log ingest into the integration routes), an Argo measurement of a
 * batch whose metrics are healthy but whose released hosts log a new fatal exception Fails.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../auth/api-keys.js';
import { startService, type RunningService } from '../main.js';

const STEP = 60_000;
const DEPLOYED_AT = Date.UTC(2026, 6, 1, 12, 0, 0);
const UNTIL = DEPLOYED_AT + 30 * STEP;
const HOSTS = { released: ['r1', 'r2'], unreleased: ['u1', 'u2', 'u3', 'u4'] };
const NPE = 'java.lang.NullPointerException at com.acme.cart.Cart.total';

let service: RunningService;
let gateKey: string;
beforeAll(async () => {
  service = await startService({ dataDir: mkdtempSync(join(tmpdir(), 'sluice-integrations-logs-')), port: 0, orchestrator: { enabled: false } });
  gateKey = (await createKey(service.store, 'deployer', ['gate'], 0)).key;
  const points = [];
  for (let t = DEPLOYED_AT - 2 * 86_400_000; t < UNTIL; t += STEP) {
    for (const host of [...HOSTS.released, ...HOSTS.unreleased, 'r3']) points.push({ metric: 'rpc.rt', host, t, v: 50 + 20 * Math.sin((2 * Math.PI * t) / 86_400_000) + Math.sin(t / 7_000 + host.charCodeAt(1)) * 0.8 });
  }
  service.ingest.write(points);
  // Every host logs a background timeout before and after the release; only r1 and r2 a new fatal one after it.
  const events = [];
  for (let t = DEPLOYED_AT - 120 * STEP; t < UNTIL; t += 10 * STEP) for (const host of [...HOSTS.released, ...HOSTS.unreleased, 'r3']) events.push({ host, at: t, signature: 'java.net.SocketTimeoutException at com.acme.rpc.Client.call', level: 'error', count: 1 });
  for (let t = DEPLOYED_AT + STEP; t < UNTIL; t += STEP) for (const host of HOSTS.released) events.push({ host, at: t, signature: NPE, level: 'fatal', count: 3 });
  const written = await fetch(`${service.url}/v1/logs/write`, { method: 'POST', body: events.map((e) => JSON.stringify(e)).join('\n'), headers: { authorization: `Bearer ${gateKey}`, 'content-type': 'application/x-ndjson' } });
  expect(written.status).toBeLessThan(300);
});
afterAll(async () => {
  await service.close();
});

const judge = async (released: string[]) => {
  const response = await fetch(`${service.url}/v1/integrations/argo/judge`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gateKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ app: 'cart', released: released.join(','), unreleased: HOSTS.unreleased.join(','), metrics: 'rpc.rt:middleware:up', deployedAt: DEPLOYED_AT, until: UNTIL }),
  });
  return { status: response.status, body: (await response.json()) as { decision: string; reasons: string[] } };
};

describe('integration routes read the service log ingest', () => {
  it('POST /v1/integrations/argo/judge: healthy metrics with a new fatal exception on the released hosts FAIL on the logs', async () => {
    const r = await judge(HOSTS.released);
    expect(r).toMatchObject({ status: 200, body: { decision: 'FAIL' } });
    expect(r.body.reasons.join('\n')).toMatch(/logs/);
  });

  it('the same metrics on a released host without the fatal exception PASS', async () => {
    expect((await judge(['r3'])).body.decision).toBe('PASS');
  });
});
