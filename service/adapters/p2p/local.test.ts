import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localP2P } from './local.js';
import { describeP2P } from './p2p.contract.js';
import { sha256Digest, startArtifactServer, testBytes, type ArtifactServer } from './test-artifact-server.js';
import { waitForPreheat } from './wait.js';

const HOSTS = ['web-1', 'web-2', 'web-3'];
const newRoot = (): string => mkdtempSync(join(tmpdir(), 'sluice-p2p-local-'));

describeP2P('local', async () => {
  const origin = await startArtifactServer();
  const good = origin.put('/app-1.0.tar.gz', testBytes(100_000));
  return {
    p2p: localP2P({ root: newRoot(), pollIntervalMs: 10 }),
    hosts: HOSTS,
    good,
    failing: { url: good.url, digest: `sha256:${'a'.repeat(64)}` },
    verifiesHosts: true,
    pollIntervalMs: 10,
    close: () => origin.close(),
  };
});

describe('localP2P', () => {
  let origin: ArtifactServer;
  beforeAll(async () => {
    origin = await startArtifactServer();
  });
  afterAll(() => origin.close());

  it('copies a file: URL into <root>/<host>/artifacts/<hex> on every host', async () => {
    const root = newRoot();
    const content = testBytes(4096, 'file');
    const source = join(root, 'source.bin');
    writeFileSync(source, content);
    const p2p = localP2P({ root, pollIntervalMs: 10 });
    const artifact = { url: pathToFileURL(source).href, digest: sha256Digest(content) };
    const last = await waitForPreheat(p2p, await p2p.preheat('r1:preheat', artifact, HOSTS), { pollIntervalMs: 10 });
    expect(last.state).toBe('succeeded');
    for (const host of HOSTS) {
      const path = join(root, host, 'artifacts', artifact.digest.slice(7));
      expect(p2p.pathOf(host, artifact.digest)).toBe(path);
      expect(readFileSync(path).equals(content)).toBe(true);
    }
  });

  it('a new adapter on the same root finds the job under its key and does not download again', async () => {
    const root = newRoot();
    const artifact = origin.put('/durable.bin', testBytes(10_000, 'durable'));
    const first = localP2P({ root, pollIntervalMs: 10 });
    const done = await waitForPreheat(first, await first.preheat('rel-7:preheat', artifact, HOSTS), { pollIntervalMs: 10 });
    const fetches = origin.requests.filter((r) => r.path === '/durable.bin').length;
    expect(fetches).toBe(1);
    const restarted = localP2P({ root, pollIntervalMs: 10 });
    expect(await restarted.progress('rel-7:preheat')).toMatchObject({ jobId: done.jobId, state: 'succeeded', hostsDone: 3 });
    const again = await waitForPreheat(restarted, await restarted.preheat('rel-7:preheat', artifact, HOSTS), { pollIntervalMs: 10 });
    expect(again).toMatchObject({ jobId: done.jobId, state: 'succeeded' });
    expect(origin.requests.filter((r) => r.path === '/durable.bin').length).toBe(fetches);
  });

  it('a host that fails is named in failedHosts with its reason; the others still get the artifact', async () => {
    const root = newRoot();
    const artifact = origin.put('/partial.bin', testBytes(2048, 'partial'));
    const p2p = localP2P({ root, pollIntervalMs: 10 }, { failHost: (h) => (h === 'web-2' ? 'no space left on device' : undefined) });
    const last = await waitForPreheat(p2p, await p2p.preheat('r2:preheat', artifact, HOSTS), { pollIntervalMs: 10 });
    expect(last).toMatchObject({ state: 'failed', hostsDone: 2, failedHosts: ['web-2'] });
    expect(last.message).toBe('1 host failed: web-2: no space left on device');
    expect((await p2p.verify(artifact, HOSTS)).map((r) => r.ok)).toEqual([true, false, true]);
  });

  it('an origin error fails every host with the status in the message', async () => {
    const p2p = localP2P({ root: newRoot(), pollIntervalMs: 10 });
    const last = await waitForPreheat(p2p, await p2p.preheat('r3:preheat', { url: `${origin.url}/nope`, digest: `sha256:${'b'.repeat(64)}` }, HOSTS), { pollIntervalMs: 10 });
    expect(last.state).toBe('failed');
    expect(last.failedHosts).toEqual(HOSTS);
    expect(last.message).toMatch(/answered 404/);
  });

  it('rejects a bad config naming the field', () => {
    expect(() => localP2P({ root: '/tmp/x', cacheSubdir: '../escape' })).toThrow(/cacheSubdir/);
    expect(() => localP2P({ root: '' })).toThrow(/root/);
  });
});
