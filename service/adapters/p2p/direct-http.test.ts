import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directHttpP2P } from './direct-http.js';
import { describeP2P } from './p2p.contract.js';
import { fakeAgent } from './test-fake-agent.js';
import { startArtifactServer, testBytes, type ArtifactServer } from './test-artifact-server.js';
import { waitForPreheat } from './wait.js';
import { memoryJobStore } from './common.js';
import { localFleet } from '../agent/local.js';

const HOSTS = ['app-1', 'app-2', 'app-3'];
const newRoot = (): string => mkdtempSync(join(tmpdir(), 'sluice-p2p-direct-'));
const FAST = { cacheDir: 'artifacts', retryDelaySeconds: 0, pollIntervalMs: 20 };

describeP2P('direct-http (fake agent)', async () => {
  const origin = await startArtifactServer();
  const good = origin.put('/app-2.0.tar.gz', testBytes(200_000));
  const agent = fakeAgent(newRoot());
  return {
    p2p: directHttpP2P(FAST, { agent }),
    hosts: HOSTS,
    good,
    failing: { url: good.url, digest: `sha256:${'c'.repeat(64)}` },
    verifiesHosts: true,
    pollIntervalMs: 20,
    close: () => origin.close(),
  };
});

describeP2P('direct-http (local fleet agent)', async () => {
  const origin = await startArtifactServer();
  const good = origin.put('/app-2.1.tar.gz', testBytes(150_000, 'fleet'));
  const agent = localFleet({ root: newRoot(), hosts: HOSTS });
  return {
    p2p: directHttpP2P(FAST, { agent }),
    hosts: HOSTS,
    good,
    failing: { url: `${origin.url}/missing.tar.gz`, digest: `sha256:${'f'.repeat(64)}` },
    verifiesHosts: true,
    pollIntervalMs: 20,
    close: async () => {
      await agent.close();
      await origin.close();
    },
  };
});

describe('directHttpP2P', () => {
  let origin: ArtifactServer;
  beforeAll(async () => {
    origin = await startArtifactServer();
  });
  afterAll(() => origin.close());
  const settle = (p2p: ReturnType<typeof directHttpP2P>, key: string, artifact: { url: string; digest: string }, hosts: string[]) =>
    p2p.preheat(key, artifact, hosts).then((first) => waitForPreheat(p2p, first, { pollIntervalMs: 20, timeoutMs: 30_000 }));

  it('resumes a dropped download from the partial file: the second request asks for Range bytes=<what it has>-', async () => {
    const content = testBytes(1_000_000, 'resume');
    const artifact = origin.put('/resume.bin', content);
    origin.dropAfter('/resume.bin', 300_000);
    const agent = fakeAgent(newRoot());
    const last = await settle(directHttpP2P(FAST, { agent }), 'r1:preheat', artifact, ['one']);
    expect(last).toMatchObject({ state: 'succeeded', hostsDone: 1 });
    const requests = origin.requests.filter((r) => r.path === '/resume.bin');
    expect(requests).toHaveLength(2);
    expect(requests[0]!.range).toBeUndefined();
    const resumedFrom = Number(/^bytes=(\d+)-$/.exec(requests[1]!.range ?? '')?.[1]);
    expect(resumedFrom).toBeGreaterThan(0);
    expect(resumedFrom).toBeLessThanOrEqual(300_000);
    const dir = join(agent.hostDir('one'), 'artifacts');
    expect(readFileSync(join(dir, artifact.digest.slice(7))).equals(content)).toBe(true);
    expect(readdirSync(dir)).toEqual([artifact.digest.slice(7)]);
  });

  it('a digest mismatch deletes the partial file and fails the host with both digests in the message', async () => {
    const served = origin.put('/tampered.bin', testBytes(50_000, 'tampered'));
    const claimed = `sha256:${'d'.repeat(64)}`;
    const agent = fakeAgent(newRoot());
    const last = await settle(directHttpP2P(FAST, { agent }), 'r2:preheat', { url: served.url, digest: claimed }, ['one', 'two']);
    expect(last).toMatchObject({ state: 'failed', hostsDone: 0, failedHosts: ['one', 'two'] });
    expect(last.message).toContain(`one: digest mismatch: expected ${claimed}, got ${served.digest}`);
    for (const host of ['one', 'two']) expect(readdirSync(join(agent.hostDir(host), 'artifacts'))).toEqual([]);
  });

  it('a host that already holds the artifact does not download it again', async () => {
    const content = testBytes(20_000, 'cached');
    const artifact = origin.put('/cached.bin', content);
    const agent = fakeAgent(newRoot());
    mkdirSync(join(agent.hostDir('warm'), 'artifacts'), { recursive: true });
    writeFileSync(join(agent.hostDir('warm'), 'artifacts', artifact.digest.slice(7)), content);
    const last = await settle(directHttpP2P(FAST, { agent }), 'r3:preheat', artifact, ['warm', 'cold']);
    expect(last.state).toBe('succeeded');
    expect(origin.requests.filter((r) => r.path === '/cached.bin')).toHaveLength(1);
  });

  it('the URL reaches curl as an argument, never as shell text', async () => {
    const artifact = origin.put('/odd', testBytes(1_000, 'odd'));
    // Each of these would create a file in the host's directory if a shell ever read the URL.
    const url = artifact.url + '?q=$(touch${IFS}pwned)&x=`touch${IFS}pwned2`;touch${IFS}pwned3';
    const agent = fakeAgent(newRoot());
    const last = await settle(directHttpP2P(FAST, { agent }), 'r4:preheat', { url, digest: artifact.digest }, ['h']);
    expect(last.state).toBe('succeeded');
    expect(readdirSync(agent.hostDir('h')).filter((f) => f.startsWith('pwned'))).toEqual([]);
    expect(agent.executions[0]!.argv).toContain(url);
  });

  it('an unreachable host and a 404 are failed hosts with their reasons', async () => {
    const agent = fakeAgent(newRoot());
    agent.unreachable.add('down');
    const artifact = origin.put('/some.bin', testBytes(1_000, 'some'));
    const last = await settle(directHttpP2P(FAST, { agent }), 'r5:preheat', artifact, ['up', 'down']);
    expect(last).toMatchObject({ state: 'failed', hostsDone: 1, failedHosts: ['down'] });
    expect(last.message).toBe('1 host failed: down: unreachable: host unreachable');
    const missing = await settle(directHttpP2P(FAST, { agent }), 'r6:preheat', { url: `${origin.url}/gone`, digest: `sha256:${'e'.repeat(64)}` }, ['up']);
    expect(missing.state).toBe('failed');
    expect(missing.message).toBe('1 host failed: up: download failed: curl: (22) The requested URL returned error: 404 (curl exit 22)');
  });

  it('runs each key once per host; a new adapter with the same job store reports the job by key', async () => {
    const agent = fakeAgent(newRoot());
    const jobs = memoryJobStore();
    const artifact = origin.put('/once.bin', testBytes(5_000, 'once'));
    const first = await settle(directHttpP2P(FAST, { agent, jobs }), 'r7:preheat', artifact, HOSTS);
    const restarted = directHttpP2P(FAST, { agent, jobs });
    expect(await restarted.progress('r7:preheat')).toEqual(first);
    expect((await restarted.preheat('r7:preheat', artifact, HOSTS)).state).toBe('succeeded');
    expect(agent.executions.filter((e) => e.key === 'p2p:r7:preheat')).toHaveLength(HOSTS.length);
  });

  it('after a restart (new fleet and adapter on the same root and job store) preheat under the key replays, never re-downloads', async () => {
    const root = newRoot();
    const jobs = memoryJobStore();
    const artifact = origin.put('/restart.bin', testBytes(30_000, 'restart'));
    const fleet = localFleet({ root, hosts: HOSTS });
    const first = await settle(directHttpP2P(FAST, { agent: fleet, jobs }), 'r8:preheat', artifact, HOSTS);
    await fleet.close();
    const fetched = origin.requests.filter((r) => r.path === '/restart.bin').length;
    const reopened = localFleet({ root, hosts: HOSTS });
    const again = await settle(directHttpP2P(FAST, { agent: reopened, jobs }), 'r8:preheat', artifact, HOSTS);
    expect(again).toEqual(first);
    expect(origin.requests.filter((r) => r.path === '/restart.bin').length).toBe(fetched);
    for (const host of HOSTS) expect((await reopened.commandLog(host)).filter((e) => e.key === 'p2p:r8:preheat')).toHaveLength(1);
    await reopened.close();
  });

  it('rejects a bad config naming the field', () => {
    const agent = fakeAgent(newRoot());
    expect(() => directHttpP2P({ attempts: 0 }, { agent })).toThrow(/attempts/);
    expect(() => directHttpP2P({ cacheDir: 'a\nb' }, { agent })).toThrow(/cacheDir/);
    expect(existsSync(agent.root)).toBe(true);
  });
});
