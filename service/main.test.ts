/**
 * The composition root picks every agent and P2P kind from configuration: each kind starts the
 * service against a real counterpart (the loopback sshd, an HTTP agent server, the fake Dragonfly
 * manager), and a bad setting fails naming its field without quoting a secret.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../src/core/errors.js';
import { startHttpAgentServer, type HttpAgentServer } from './adapters/agent/http-agent.js';
import { SSH_TEST, checkSshd, testHostFingerprint } from './adapters/agent/test-sshd.js';
import { startFakeDragonflyManager, type FakeDragonflyManager } from './adapters/p2p/dragonfly-fake-manager.js';
import { startService, type ServiceConfig } from './main.js';
import { shouldRun } from './test/servers.js';

const sshAvailable = shouldRun('service with the ssh agent (loopback sshd)', await checkSshd());
const SECRET = 'a-shared-secret-of-at-least-32-characters!';
const TOKEN = 'dragonfly-personal-access-token';

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), `sluice-main-${prefix}-`));
/** A file only its owner can read, as secrets must be. */
function secretFile(content: string, mode = 0o600): string {
  const file = join(tmp('secret'), 'secret');
  writeFileSync(file, `${content}\n`);
  chmodSync(file, mode);
  return file;
}
const base = (extra: Partial<ServiceConfig>): ServiceConfig => ({ dataDir: tmp('data'), port: 0, orchestrator: { enabled: false }, ...extra });

/** The error startService fails with; fails the test when it starts. */
async function startError(config: ServiceConfig): Promise<SluiceError> {
  const started = await startService(config).then(
    async (service) => {
      await service.close();
      return null;
    },
    (error: unknown) => error,
  );
  expect(started).toBeInstanceOf(SluiceError);
  return started as SluiceError;
}

let agentServer: HttpAgentServer;
let manager: FakeDragonflyManager;
beforeAll(async () => {
  agentServer = await startHttpAgentServer({ port: 0, secrets: { ops: SECRET }, dir: tmp('http-agent'), hostName: 'web-1', onRefused: () => undefined });
  manager = await startFakeDragonflyManager({ tokens: [TOKEN], peers: ['web-1'] });
});
afterAll(async () => {
  await agentServer?.close();
  await manager?.close();
});

describe('startService(config) with each agent kind', () => {
  it('none: every host is unreachable; local: the local-process fleet answers', async () => {
    const none = await startService(base({}));
    expect(none.agent.name).toBe('none');
    expect((await none.agent.ping(['web-1'], 1000))[0].alive).toBe(false);
    await none.close();
    const local = await startService(base({ agent: { kind: 'local', hosts: ['web-1', 'web-2'] }, p2p: { kind: 'local' } }));
    expect([local.agent.name, local.p2p.name]).toEqual(['local', 'local']);
    expect((await local.agent.ping(['web-1', 'web-2'], 5000)).map((p) => p.alive)).toEqual([true, true]);
    await local.close();
  });

  it.runIf(sshAvailable)('ssh: commands reach the loopback sshd with the key from its file and the pinned host key', async () => {
    const service = await startService(base({
      agent: { kind: 'ssh', hosts: { 'web-1': { host: SSH_TEST.host, port: SSH_TEST.port, username: SSH_TEST.username, privateKeyPath: SSH_TEST.privateKeyPath, hostKeyFingerprints: [testHostFingerprint()], agentDir: join(tmp('ssh-agent'), 'records') } } },
    }));
    expect(service.agent.name).toBe('ssh');
    const [result] = await service.agent.run({ key: 'main-test-ssh-1', hosts: ['web-1'], argv: ['echo', 'over ssh'], timeoutMs: 10_000 });
    expect(result).toMatchObject({ host: 'web-1', status: 'ok', exitCode: 0 });
    expect(result.stdout.trim()).toBe('over ssh');
    await service.close();
  }, 30_000);

  it('http: signed requests reach the agent server with the secret from a file or the environment', async () => {
    const fromFile = await startService(base({ agent: { kind: 'http', hosts: { 'web-1': agentServer.url }, keyId: 'ops', secretFile: secretFile(SECRET) } }));
    expect(fromFile.agent.name).toBe('http');
    const [result] = await fromFile.agent.run({ key: 'main-test-http-1', hosts: ['web-1'], argv: ['echo', 'over http'], timeoutMs: 10_000 });
    expect(result).toMatchObject({ host: 'web-1', status: 'ok' });
    expect(result.stdout.trim()).toBe('over http');
    await fromFile.close();
    process.env.SLUICE_MAIN_TEST_SECRET = SECRET;
    const fromEnv = await startService(base({ agent: { kind: 'http', hosts: { 'web-1': agentServer.url }, keyId: 'ops', secretEnv: 'SLUICE_MAIN_TEST_SECRET' } }));
    expect((await fromEnv.agent.ping(['web-1'], 5000))[0].alive).toBe(true);
    await fromEnv.close();
  });
});

describe('startService(config) with each P2P kind', () => {
  it('direct-http downloads through the configured agent', async () => {
    const service = await startService(base({ agent: { kind: 'local', hosts: ['web-1'] }, p2p: { kind: 'direct-http', cacheDir: '/tmp/sluice-main-test-cache' } }));
    expect(service.p2p.name).toBe('direct-http');
    await service.close();
  });

  it('dragonfly: the token from a file reaches the manager; after a restart the same key finds its job instead of starting another', async () => {
    const dataDir = tmp('dragonfly');
    const config = base({ dataDir, p2p: { kind: 'dragonfly', baseUrl: manager.url, tokenFile: secretFile(TOKEN), schedulerClusterIds: [1], pollIntervalMs: 10 } });
    const artifact = { url: `${manager.url}/artifact.tar.gz`, digest: `sha256:${'0'.repeat(64)}` };
    const first = await startService(config);
    expect(first.p2p.name).toBe('dragonfly');
    const started = await first.p2p.preheat('rel-9:preheat', artifact, ['web-1']);
    await first.close();
    const created = manager.requests.filter((r) => r.method === 'POST');
    expect(created).toHaveLength(1);
    expect(created[0].authorization).toBe(`Bearer ${TOKEN}`);

    process.env.SLUICE_MAIN_TEST_TOKEN = TOKEN;
    const second = await startService({ ...config, p2p: { kind: 'dragonfly', baseUrl: manager.url, tokenEnv: 'SLUICE_MAIN_TEST_TOKEN', schedulerClusterIds: [1] } });
    const again = await second.p2p.preheat('rel-9:preheat', artifact, ['web-1']);
    expect(again.jobId).toBe(started.jobId);
    expect(manager.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(await second.store.getPreheatJob('dragonfly:rel-9:preheat')).toBe(started.jobId);
    await second.close();
  });
});

describe('startService(config) refuses a bad setting, naming its field', () => {
  // A key of the test's own: checking the config needs a readable private key, not the sshd
  // that .ci/start-sshd sets up (a machine without it still runs these).
  const keyFile = join(tmp('ssh-key'), 'id_ed25519');
  writeFileSync(keyFile, ssh2.utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
  const sshHost = { host: '127.0.0.1', username: 'deploy', privateKeyPath: keyFile };

  it.each([
    ['an unknown agent kind', { agent: { kind: 'telnet' } }, 'agent.kind'],
    ['an unknown P2P kind', { p2p: { kind: 'bittorrent' } }, 'p2p.kind'],
    ['a local fleet without hosts', { agent: { kind: 'local', hosts: [] } }, 'agent.hosts'],
    ['an ssh key written into the config', { agent: { kind: 'ssh', hosts: { 'web-1': { host: 'h', username: 'u', privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----' } } } }, 'agent.hosts.web-1.privateKey'],
    ['an ssh passphrase written into the config', { agent: { kind: 'ssh', hosts: { 'web-1': { ...sshHost, privateKeyPath: '/x', passphrase: 'hunter2' } } } }, 'agent.hosts.web-1.passphrase'],
    ['an ssh host without a key file', { agent: { kind: 'ssh', hosts: { 'web-1': { host: 'h', username: 'u' } } } }, 'agent.hosts.web-1.privateKeyPath'],
    ['a missing ssh key file', { agent: { kind: 'ssh', hosts: { 'web-1': { ...sshHost, privateKeyPath: '/nonexistent/key' } } } }, 'agent.hosts.web-1.privateKeyPath'],
    ['an http secret written into the config', { agent: { kind: 'http', hosts: { 'web-1': 'http://127.0.0.1:1' }, keyId: 'ops', secret: SECRET } }, 'agent.secret'],
    ['an http agent without a secret', { agent: { kind: 'http', hosts: { 'web-1': 'http://127.0.0.1:1' }, keyId: 'ops' } }, 'agent.secretFile'],
    ['an unset secret variable', { agent: { kind: 'http', hosts: { 'web-1': 'http://127.0.0.1:1' }, keyId: 'ops', secretEnv: 'SLUICE_MAIN_TEST_UNSET' } }, 'agent.secretEnv'],
    ['a Dragonfly token written into the config', { p2p: { kind: 'dragonfly', baseUrl: 'http://127.0.0.1:1', token: TOKEN } }, 'p2p.token'],
    ['a Dragonfly Open API without a token', { p2p: { kind: 'dragonfly', baseUrl: 'http://127.0.0.1:1' } }, 'p2p.token'],
    ['a Dragonfly manager URL that is not one', { p2p: { kind: 'dragonfly', api: 'api', baseUrl: 'manager:8080' } }, 'p2p.baseUrl'],
    ['direct-http without an agent', { p2p: { kind: 'direct-http', cacheDir: '/tmp/x' } }, 'p2p.kind'],
  ] as const)('%s → %s', async (_what, extra, field) => {
    const error = await startError(base(extra as Partial<ServiceConfig>));
    expect(error.path).toBe(field);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain('hunter2');
  });

  it('adapter fields are named under agent.: a bad fingerprint, a short secret (not quoted)', async () => {
    const fingerprint = await startError(base({ agent: { kind: 'ssh', hosts: { 'web-1': { ...sshHost, hostKeyFingerprints: ['MD5:00'] } } } }));
    expect(fingerprint.path).toBe('agent.hosts.web-1.hostKeyFingerprints.0');
    const short = await startError(base({ agent: { kind: 'http', hosts: { 'web-1': 'http://127.0.0.1:1' }, keyId: 'ops', secretFile: secretFile('too-short-secret') } }));
    expect(short.path).toBe('agent.secret');
    expect(short.message).not.toContain('too-short-secret');
  });

  it('a secret file others can read is refused', async () => {
    const error = await startError(base({ agent: { kind: 'http', hosts: { 'web-1': 'http://127.0.0.1:1' }, keyId: 'ops', secretFile: secretFile(SECRET, 0o644) } }));
    expect(error.path).toBe('agent.secretFile');
    expect(error.message).toMatch(/readable by group or others; chmod 600 it/);
  });
});
