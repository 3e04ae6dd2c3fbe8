/**
 * The Dragonfly client against the fake manager, over real HTTP. Where each shape comes from:
 * - paths and auth: dragonflyoss/dragonfly `manager/router/router.go` (`/oapi/v1/jobs` behind the
 *   personal-access-token middleware, `/api/v1/jobs` without it) and
 *   `manager/middlewares/personal_access_token.go` (401 `{"message":"Unauthorized"}`);
 *   d7y.io/docs/v2.1.x/reference/preheat (the curl example with `Authorization: Bearer …`).
 * - request body: `manager/types/job.go` (`CreatePreheatJobRequest`, `PreheatArgs`: type, url, tag,
 *   filtered_query_params, headers, scope; `scheduler_cluster_ids`).
 * - 422 `{"errors": …}` for a body that does not bind: `manager/handlers/job.go` (`CreateJob`);
 *   404 `{"message":"Not Found"}` for a missing record: `manager/middlewares/error.go`.
 * - job record and result: `manager/models/job.go` (`state`, `result`), `internal/job/job.go`
 *   (`GroupJobState`: `job_states[]` with `state`, `results`, `error`), `internal/job/types.go`
 *   (`PreheatResponse`: `success_tasks`, `failure_tasks` with hostname, ip, description).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../ports/clock.js';
import { agentVerifier } from './agent-verify.js';
import { memoryJobStore } from './common.js';
import { DragonflyError, dragonflyP2P, type DragonflyConfigInput } from './dragonfly.js';
import { startFakeDragonflyManager, type FakeDragonflyManager } from './dragonfly-fake-manager.js';
import { describeP2P } from './p2p.contract.js';
import { fakeAgent } from './test-fake-agent.js';
import { startArtifactServer, testBytes, type ArtifactServer } from './test-artifact-server.js';
import { waitForPreheat } from './wait.js';

const HOSTS = ['10.0.0.1', 'node-b', 'node-c'];

describeP2P('dragonfly (fake manager)', async () => {
  const origin = await startArtifactServer();
  const manager = await startFakeDragonflyManager({ peers: HOSTS });
  const good = origin.put('/release-3.1.tar.gz', testBytes(64_000));
  return {
    p2p: dragonflyP2P({ baseUrl: manager.url, token: 'test-token', pollIntervalMs: 10, retryBaseMs: 1 }),
    hosts: HOSTS,
    good,
    failing: { url: `${origin.url}/not-there.tar.gz`, digest: good.digest },
    verifiesHosts: false,
    pollIntervalMs: 10,
    close: async () => {
      await manager.close();
      await origin.close();
    },
  };
});

/** A clock that only moves when slept on, recording every sleep. */
function manualClock(): Clock & { sleeps: number[]; advance(ms: number): void } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

describe('dragonflyP2P', () => {
  let origin: ArtifactServer;
  let manager: FakeDragonflyManager;
  let artifact: { url: string; digest: string };
  const config = (extra: Partial<DragonflyConfigInput> = {}): DragonflyConfigInput => ({ baseUrl: manager.url, token: 'test-token', retryBaseMs: 5, ...extra });
  const posts = (): number => manager.requests.filter((r) => r.method === 'POST').length;

  beforeAll(async () => {
    origin = await startArtifactServer();
    manager = await startFakeDragonflyManager({ peers: ['h1', 'h2'] });
    artifact = origin.put('/a.bin', testBytes(1_000, 'a'));
  });
  afterAll(async () => {
    await manager.close();
    await origin.close();
  });

  it('POSTs the documented preheat body to /oapi/v1/jobs with the token as Bearer', async () => {
    const p2p = dragonflyP2P(config({ schedulerClusterIds: [1], tag: 'sluice', filteredQueryParams: 'Expires&Signature', headers: { 'x-origin-auth': 'abc' } }));
    const before = manager.requests.length;
    const first = await p2p.preheat('rel-1:preheat', artifact, ['h1', 'h2']);
    expect(first).toEqual({ jobId: expect.stringMatching(/^\d+$/), state: 'pending', hostsTotal: 2, hostsDone: 0, failedHosts: [] });
    const post = manager.requests[before]!;
    expect(post).toMatchObject({ method: 'POST', path: '/oapi/v1/jobs', authorization: 'Bearer test-token' });
    expect(JSON.parse(post.body)).toEqual({
      type: 'preheat',
      bio: `sluice preheat rel-1:preheat ${artifact.digest}`,
      args: { type: 'file', url: artifact.url, scope: 'all_peers', tag: 'sluice', filtered_query_params: 'Expires&Signature', headers: { 'x-origin-auth': 'abc' } },
      scheduler_cluster_ids: [1],
    });
    const last = await waitForPreheat(p2p, first, { pollIntervalMs: 5 });
    expect(last).toMatchObject({ state: 'succeeded', hostsDone: 2 });
    expect(manager.requests.slice(before + 1).every((r) => r.method === 'GET' && r.path === `/oapi/v1/jobs/${first.jobId}`)).toBe(true);
  });

  it('the legacy /api/v1 sends no Authorization header', async () => {
    const before = manager.requests.length;
    await dragonflyP2P({ baseUrl: manager.url, api: 'api' }).preheat('rel-legacy:preheat', artifact, ['h1']);
    expect(manager.requests[before]).toMatchObject({ path: '/api/v1/jobs', authorization: undefined });
  });

  it('a wrong token is a 401 DragonflyError, not retried, and the token appears in no message', async () => {
    const before = manager.requests.length;
    const error = await dragonflyP2P(config({ token: 's3cret-token-value' })).preheat('rel-2:preheat', artifact, ['h1']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DragonflyError);
    expect(error).toMatchObject({ status: 401, retryable: false });
    expect((error as Error).message).toMatch(/answered 401: Unauthorized/);
    expect((error as Error).message).not.toContain('s3cret');
    expect(manager.requests.length - before).toBe(1);
    expect(JSON.stringify(dragonflyP2P(config({ token: 's3cret-token-value' })))).not.toContain('s3cret');
  });

  it('retries 5xx and 429 answers and dropped connections with doubling backoff, then succeeds', async () => {
    const clock = manualClock();
    const p2p = dragonflyP2P(config({ retries: 3, retryBaseMs: 100 }), { clock });
    const before = posts();
    manager.failNext(2, 503);
    const first = await p2p.preheat('rel-3:preheat', artifact, ['h1']);
    expect(posts() - before).toBe(3);
    expect(clock.sleeps).toEqual([100, 200]);
    manager.failNext(1, 429);
    await p2p.preheat('rel-3b:preheat', artifact, ['h1']);
    expect(posts() - before).toBe(5);
    expect(clock.sleeps).toEqual([100, 200, 100]);
    clock.sleeps.length = 0;
    manager.dropNext(1);
    expect((await p2p.progress(first.jobId)).jobId).toBe(first.jobId);
    expect(clock.sleeps).toEqual([100]);
  });

  it('gives up after retries + 1 attempts with the last status', async () => {
    const clock = manualClock();
    manager.failNext(10, 500);
    const error = await dragonflyP2P(config({ retries: 2, retryBaseMs: 100, retryMaxMs: 150 }), { clock })
      .preheat('rel-4:preheat', artifact, ['h1'])
      .catch((e: unknown) => e);
    manager.failNext(0);
    expect(error).toMatchObject({ status: 500, retryable: false, message: expect.stringMatching(/answered 500 \(after 3 attempts\)$/) });
    expect(clock.sleeps).toEqual([100, 150]);
  });

  it('a key in the job store is found by a new client without a second POST; concurrent calls POST once', async () => {
    const jobs = memoryJobStore();
    const before = posts();
    const [a, b] = await Promise.all([
      dragonflyP2P(config(), { jobs }).preheat('rel-5:preheat', artifact, ['h1']),
      dragonflyP2P(config(), { jobs }).preheat('rel-6:preheat', artifact, ['h1']),
    ]);
    const one = dragonflyP2P(config(), { jobs });
    const [c, d] = await Promise.all([one.preheat('rel-7:preheat', artifact, ['h1']), one.preheat('rel-7:preheat', artifact, ['h1'])]);
    expect(c.jobId).toBe(d.jobId);
    expect(posts() - before).toBe(3);
    const restarted = dragonflyP2P(config(), { jobs });
    expect((await restarted.preheat('rel-5:preheat', artifact, ['h1'])).jobId).toBe(a.jobId);
    expect(await jobs.get('rel-6:preheat')).toBe(b.jobId);
    expect(posts() - before).toBe(3);
  });

  it('a job still PENDING after jobTimeoutMs is reported failed with the reason', async () => {
    const slow = await startFakeDragonflyManager({ pollsToFinish: 1_000 });
    try {
      const clock = manualClock();
      const p2p = dragonflyP2P({ baseUrl: slow.url, token: 'test-token', jobTimeoutMs: 60_000 }, { clock });
      const first = await p2p.preheat('rel-8:preheat', artifact, ['h1']);
      clock.advance(30_000);
      expect((await p2p.progress(first.jobId)).state).toBe('pending');
      clock.advance(31_000);
      expect(await p2p.progress(first.jobId)).toMatchObject({
        state: 'failed',
        message: `Dragonfly job ${first.jobId} still PENDING 61 s after it was started (timeout 60 s)`,
      });
    } finally {
      await slow.close();
    }
  });

  it('FAILURE names the failed peers among our hosts and carries the manager’s error', async () => {
    const p2p = dragonflyP2P(config());
    const url = `${origin.url}/b.bin`;
    origin.put('/b.bin', testBytes(10, 'b'));
    manager.failUrls.add(url);
    const last = await waitForPreheat(p2p, await p2p.preheat('rel-9:preheat', { url, digest: artifact.digest }, ['h1', 'h2', 'elsewhere']), { pollIntervalMs: 5 });
    expect(last).toMatchObject({ state: 'failed', hostsTotal: 3, hostsDone: 0, failedHosts: ['h1', 'h2'] });
    expect(last.message).toBe(
      `Dragonfly job ${last.jobId} failed: download failed: injected failure: 2 hosts failed: h1: download failed: injected failure; h2: download failed: injected failure`,
    );
  });

  it('verify without a verifier says "not verifiable"; with the agent verifier it checks each host', async () => {
    const p2p = dragonflyP2P(config());
    expect(await p2p.verify(artifact, ['h1'])).toEqual([{ host: 'h1', ok: true, reason: expect.stringMatching(/^not verifiable: /) }]);
    const agent = fakeAgent(mkdtempSync(join(tmpdir(), 'sluice-p2p-df-')));
    const checked = dragonflyP2P(config(), { verifier: agentVerifier(agent, { cacheDir: 'artifacts' }) });
    expect(await checked.verify(artifact, ['h1'])).toEqual([{ host: 'h1', ok: false, reason: expect.stringMatching(/^failed: missing artifacts\//) }]);
  });

  it('rejects a bad config naming the field, and a job id that is not a number', async () => {
    expect(() => dragonflyP2P({ baseUrl: manager.url })).toThrow(/token: is required for the Open API/);
    expect(() => dragonflyP2P({ baseUrl: 'ftp://manager', token: 't' })).toThrow(/baseUrl/);
    expect(() => dragonflyP2P({ baseUrl: 'http://user:pw@manager', token: 't' })).toThrow(/baseUrl: must not carry credentials/);
    expect(() => dragonflyP2P({ baseUrl: manager.url, token: 't', schedulerClusterIds: [0] })).toThrow(/schedulerClusterIds\.0/);
    await expect(dragonflyP2P(config()).progress('abc')).rejects.toThrow(/not a Dragonfly job id/);
  });
});

describe('fake Dragonfly manager: error bodies as the real manager sends them', () => {
  let manager: FakeDragonflyManager;
  beforeAll(async () => {
    manager = await startFakeDragonflyManager();
  });
  afterAll(() => manager.close());
  const post = async (body: string, token = 'test-token') => {
    const response = await fetch(`${manager.url}/oapi/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it('401 without a valid personal access token', async () => {
    expect(await post('{}', 'wrong')).toEqual({ status: 401, body: { message: 'Unauthorized' } });
    const bare = await fetch(`${manager.url}/oapi/v1/jobs/1`);
    expect({ status: bare.status, body: await bare.json() }).toEqual({ status: 401, body: { message: 'Unauthorized' } });
  });

  it('422 with {"errors": …} for a body that does not bind', async () => {
    expect(await post('{')).toMatchObject({ status: 422, body: { errors: expect.any(String) } });
    expect(await post('{"args":{}}')).toEqual({ status: 422, body: { errors: "Key: 'CreateJobRequest.Type' Error:Field validation for 'Type' failed on the 'required' tag" } });
    expect(await post('{"type":"nope"}')).toEqual({ status: 422, body: { errors: 'Unknow type' } });
    expect(await post('{"type":"preheat","args":{"type":"layer","url":"http://x/"}}')).toEqual({
      status: 422,
      body: { errors: "Key: 'CreatePreheatJobRequest.Args.Type' Error:Field validation for 'Type' failed on the 'oneof' tag" },
    });
  });

  it('404 {"message":"Not Found"} for an unknown scheduler cluster or job', async () => {
    expect(await post('{"type":"preheat","args":{"type":"file","url":"http://127.0.0.1:1/x"},"scheduler_cluster_ids":[7]}')).toEqual({ status: 404, body: { message: 'Not Found' } });
    const missing = await fetch(`${manager.url}/oapi/v1/jobs/4242`, { headers: { authorization: 'Bearer test-token' } });
    expect({ status: missing.status, body: await missing.json() }).toEqual({ status: 404, body: { message: 'Not Found' } });
  });

  it('a created job is PENDING, then SUCCESS with per-peer success_tasks', async () => {
    const origin = await startArtifactServer();
    try {
      manager.peers = ['p1'];
      const url = origin.put('/z', testBytes(10, 'z')).url;
      const created = await post(JSON.stringify({ type: 'preheat', args: { type: 'file', url } }));
      expect(created).toMatchObject({ status: 200, body: { id: expect.any(Number), state: 'PENDING', type: 'preheat', result: null, task_id: expect.stringMatching(/^group_/) } });
      const id = (created.body as { id: number }).id;
      const get = () => fetch(`${manager.url}/oapi/v1/jobs/${id}`, { headers: { authorization: 'Bearer test-token' } }).then((r) => r.json() as Promise<Record<string, unknown>>);
      expect((await get()).state).toBe('PENDING');
      const done = await get();
      expect(done).toMatchObject({
        state: 'SUCCESS',
        result: { state: 'SUCCESS', job_states: [{ state: 'SUCCESS', error: '', results: [{ success_tasks: [{ url, hostname: 'p1', ip: 'p1' }], failure_tasks: [], scheduler_cluster_id: 1 }] }] },
      });
    } finally {
      await origin.close();
    }
  });
});
