import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../auth/api-keys.js';
import { acceleratedClock } from '../../clock/accelerated.js';
import { startService, type RunningService } from '../../main.js';
import { MemoryAgent, MemoryP2P, scriptedJudge } from '../../orchestrator/test/fakes.js';
import { killHard, startChildService, type ChildService } from '../../test/child-service.js';
import { checkPostgres, POSTGRES_URL, shouldRun } from '../../test/servers.js';

const digest = `sha256:${'ab'.repeat(32)}`;
const order = (app: string, extra: Record<string, unknown> = {}) => ({
  app, environment: 'production', version: '1.2.3', artifact: { url: 'https://artifacts.example/app-1.2.3.tgz', digest },
  hosts: [{ name: 'h1', datacenter: 'et2' }, { name: 'h2', datacenter: 'na61' }, { name: 'h3', datacenter: 'et2' }],
  batching: { by: 'datacenter', batches: 2 }, ...extra,
});

const call = async (url: string, method: string, path: string, key: string, body?: unknown) => {
  const response = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: await response.json().catch(() => null) };
};

describe('release orders, actions and events (SQLite)', () => {
  let service: RunningService;
  let operate: string;
  let read: string;
  const agent = new MemoryAgent();
  beforeAll(async () => {
    service = await startService({ dataDir: mkdtempSync(join(tmpdir(), 'sluice-releases-')), port: 0 }, () => undefined, {
      agent, p2p: new MemoryP2P(), judge: scriptedJudge(['PASS', 'INCONCLUSIVE']), clock: acceleratedClock({ factor: 1200 }),
      orchestrator: { pollMs: 5000, scanMs: 5000, retryDelayMs: 1000 },
    });
    operate = (await createKey(service.store, 'deployer', ['operate'], 0)).key;
    read = (await createKey(service.store, 'viewer', ['read'], 0)).key;
  });
  afterAll(async () => {
    await service.close();
  });

  it('creates, reads and lists; one active release per app and environment', async () => {
    const created = await call(service.url, 'POST', '/v1/releases', operate, order('cart', { id: 'rel-cart-1', driver: 'external' }));
    expect(created).toMatchObject({ status: 201, body: { id: 'rel-cart-1', state: 'planned', app: 'cart' } });
    expect((await call(service.url, 'GET', '/v1/releases/rel-cart-1', read)).body).toMatchObject({ order: { version: '1.2.3', pause: 'after-first', driver: 'external' }, events: [] });
    const second = await call(service.url, 'POST', '/v1/releases', operate, order('cart', { driver: 'external' }));
    expect(second).toMatchObject({ status: 409, body: { code: 'conflict' } });
    expect((await call(service.url, 'POST', '/v1/releases', operate, order('cart', { environment: 'staging', driver: 'external' }))).status).toBe(201);
    const listed = await call(service.url, 'GET', '/v1/releases?app=cart&environment=production', read);
    expect(listed.body.releases.map((r: { id: string }) => r.id)).toEqual(['rel-cart-1']);
  });

  it('names the field and the reason for a bad order', async () => {
    const bad = await call(service.url, 'POST', '/v1/releases', operate, order('x', { artifact: { url: 'https://a.example/x', digest: 'md5:1' } }));
    expect(bad).toMatchObject({ status: 400, body: { field: 'body.artifact.digest', reason: 'must be sha256:<64 hex digits>' } });
    const twice = await call(service.url, 'POST', '/v1/releases', operate, order('y', { hosts: [{ name: 'h', datacenter: 'a' }, { name: 'h', datacenter: 'b' }] }));
    expect(twice.body).toMatchObject({ field: 'body.hosts.1.name' });
    expect((await call(service.url, 'POST', '/v1/releases', read, order('z'))).status).toBe(403);
    const noPrevious = await call(service.url, 'POST', '/v1/releases', operate, order('z'));
    expect(noPrevious).toMatchObject({ status: 400, body: { field: 'body.previousVersion', reason: 'required: the rollback command names {previousVersion}' } });
    const placeholder = await call(service.url, 'POST', '/v1/releases', operate, order('z', { previousVersion: '1', commands: { deploy: { command: 'deploy', args: ['{nope}'] } } }));
    expect(placeholder.body).toMatchObject({ field: 'body.commands.deploy.args.0', reason: expect.stringContaining('unknown placeholder {nope}') });
    const unknown = await call(service.url, 'POST', '/v1/releases', operate, order('z', { previousVersion: '1', commands: { deploy: { command: 'upgrade', args: ['{version}'] } } }));
    expect(unknown).toMatchObject({ status: 400, body: { field: 'body.commands.deploy', reason: expect.stringContaining('unknown command "upgrade"') } });
    const tolerate = await call(service.url, 'POST', '/v1/releases', operate, order('z', { previousVersion: '1', agentFailures: { tolerateFailedHosts: 'ten' } }));
    expect(tolerate.body).toMatchObject({ field: 'body.agentFailures.tolerateFailedHosts' });
  });

  it('drives a sluice release: pauses after batch 1 in production, approve continues, refused actions answer 409 naming the state, all audited', async () => {
    const created = await call(service.url, 'POST', '/v1/releases', operate, order('shop', { id: 'rel-shop-1', previousVersion: '1.2.2', observationMinutes: 1, metrics: [{ name: 'errors', category: 'application', direction: 'up' }] }));
    expect(created.body).toMatchObject({ state: 'planned', order: { driver: 'sluice', agentFailures: { retries: 2, tolerateFailedHosts: 0, onExceed: 'pause' } }, progress: { currentBatch: null, batches: [{ batch: 1, state: 'pending' }, { batch: 2 }] } });
    const waitState = async (states: string[]) => {
      for (let i = 0; i < 500; i++) {
        const r = await call(service.url, 'GET', '/v1/releases/rel-shop-1', read);
        if (states.includes(r.body.state)) return r.body;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`release did not reach ${states.join('|')}`);
    };
    const paused = await waitState(['paused']);
    expect(paused.progress.pausedReason).toMatch(/after-first/);
    expect((await call(service.url, 'POST', '/v1/releases/rel-shop-1/events', operate, { eventId: 'x', type: 'hosts_done', batch: 1 })).status).toBe(409);
    const refused = await call(service.url, 'POST', '/v1/releases/rel-shop-1/actions', operate, { action: 'pause' });
    expect(refused).toMatchObject({ status: 409, body: { code: 'conflict', field: 'body.action', reason: expect.stringContaining('is paused') } });
    expect((await call(service.url, 'POST', '/v1/releases/rel-shop-1/actions', read, { action: 'approve' })).status).toBe(403);
    expect((await call(service.url, 'POST', '/v1/releases/rel-shop-1/actions', operate, { action: 'go' })).body).toMatchObject({ status: 400, field: 'body.action' });
    expect((await call(service.url, 'POST', '/v1/releases/missing/actions', operate, { action: 'abort' })).status).toBe(404);
    const approved = await call(service.url, 'POST', '/v1/releases/rel-shop-1/actions', operate, { action: 'approve', reason: 'batch 1 looks fine' });
    expect(approved).toMatchObject({ status: 200, body: { id: 'rel-shop-1', state: 'deploying', progress: { currentBatch: 2 }, events: [] } });
    // Batch 2 is scripted INCONCLUSIVE: paused again, then the operator rolls back.
    const again = await waitState(['paused']);
    expect(again.progress.pausedReason).toMatch(/batch 2 INCONCLUSIVE/);
    expect((await call(service.url, 'POST', '/v1/releases/rel-shop-1/actions', operate, { action: 'rollback', reason: 'not sure' })).body.state).toBe('rolling_back');
    const done = await waitState(['rolled_back', 'failed']);
    expect(done.state).toBe('rolled_back');
    for (const h of ['h1', 'h2', 'h3']) expect(agent.keys(h)).toContain('rel-shop-1:rollback');
    const audit = (await service.store.listAudit({ target: 'release:rel-shop-1' })).map((a) => `${a.action}:${a.result}`);
    expect(audit).toEqual(expect.arrayContaining(['release.create:ok', 'release.pause:error', 'release.approve:ok', 'release.rollback:ok']));
    expect(done.progress.transitions.filter((t: { by: string }) => t.by !== 'orchestrator').map((t: { to: string }) => t.to)).toEqual(['deploying', 'rolling_back']);
  });

  it('pause and abort through the API: operate scope only, each audited, and no host is touched', async () => {
    // Scheduled a virtual day ahead, so it is still planned while the operator acts.
    const created = await call(service.url, 'POST', '/v1/releases', operate, order('ledger', { id: 'rel-ledger-1', previousVersion: '1.2.2', scheduledAt: Date.now() + 86_400_000 }));
    expect(created).toMatchObject({ status: 201, body: { state: 'planned' } });
    expect((await call(service.url, 'POST', '/v1/releases/rel-ledger-1/actions', read, { action: 'abort' })).status).toBe(403);
    expect((await call(service.url, 'POST', '/v1/releases/rel-ledger-1/actions', operate, { action: 'pause', reason: 'freeze' })).body.state).toBe('paused');
    const aborted = await call(service.url, 'POST', '/v1/releases/rel-ledger-1/actions', operate, { action: 'abort', reason: 'wrong build' });
    expect(aborted).toMatchObject({ status: 200, body: { state: 'aborted' } });
    expect((await call(service.url, 'POST', '/v1/releases/rel-ledger-1/actions', operate, { action: 'approve' })).status).toBe(409);
    const audit = (await service.store.listAudit({ target: 'release:rel-ledger-1' })).map((a) => `${a.action}:${a.result}`);
    expect(audit).toEqual(expect.arrayContaining(['release.create:ok', 'release.pause:ok', 'release.abort:ok', 'release.approve:error']));
    expect(agent.keys('h1').filter((k) => k.startsWith('rel-ledger-1'))).toEqual([]);
  });

  it('applies an event once: a replayed event id changes nothing', async () => {
    const event = { eventId: 'e-1', type: 'hosts_done', batch: 1, hosts: ['h1'] };
    const first = await call(service.url, 'POST', '/v1/releases/rel-cart-1/events', operate, event);
    expect(first.body).toMatchObject({ duplicate: false, release: { state: 'deploying', progress: { batches: { 1: { hostsDone: ['h1'] } } } } });
    const again = await call(service.url, 'POST', '/v1/releases/rel-cart-1/events', operate, { ...event, hosts: ['h2'] });
    expect(again.body).toMatchObject({ duplicate: true, release: { progress: { batches: { 1: { hostsDone: ['h1'] } } } } });
    const stranger = await call(service.url, 'POST', '/v1/releases/rel-cart-1/events', operate, { eventId: 'e-2', type: 'hosts_done', batch: 1, hosts: ['nope'] });
    expect(stranger).toMatchObject({ status: 400, body: { field: 'body.hosts.0' } });
    expect((await call(service.url, 'POST', '/v1/releases/missing/events', operate, event)).status).toBe(404);
  });
});

const pgCheck = await checkPostgres();
const pgEnabled = shouldRun('two service processes on one PostgreSQL', pgCheck);

describe.runIf(pgEnabled)('two service processes on one PostgreSQL', () => {
  const schema = `sluice_test_${randomBytes(6).toString('hex')}`;
  let a: ChildService;
  let b: ChildService;
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-replicas-'));
    a = await startChildService(dataDir, ['--store', POSTGRES_URL, '--postgres-schema', schema]);
    b = await startChildService(dataDir, ['--store', POSTGRES_URL, '--postgres-schema', schema]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a && killHard(a), b && killHard(b)]);
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it('give consistent answers and never both apply the same event or create two active releases', async () => {
    const key = a.adminKey;
    const creates = await Promise.all(Array.from({ length: 6 }, (_, i) => call(i % 2 ? a.url : b.url, 'POST', '/v1/releases', key, order('shared', { driver: 'external' }))));
    expect(creates.filter((r) => r.status === 201)).toHaveLength(1);
    expect(creates.filter((r) => r.status === 409)).toHaveLength(5);
    const id = creates.find((r) => r.status === 201)!.body.id;
    const event = { eventId: 'done-1', type: 'hosts_done', batch: 1, hosts: ['h1', 'h2'] };
    const events = await Promise.all(Array.from({ length: 10 }, (_, i) => call(i % 2 ? a.url : b.url, 'POST', `/v1/releases/${id}/events`, key, event)));
    expect(events.filter((r) => r.body?.duplicate === false)).toHaveLength(1);
    expect(events.filter((r) => r.body?.duplicate === true)).toHaveLength(9);
    const fromA = await call(a.url, 'GET', `/v1/releases/${id}`, key);
    const fromB = await call(b.url, 'GET', `/v1/releases/${id}`, key);
    expect(fromA.body).toEqual(fromB.body);
    expect(fromA.body.events).toHaveLength(1);
    expect(fromA.body.progress.batches['1'].hostsDone).toEqual(['h1', 'h2']);
  }, 60_000);
});
