import { readFileSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shouldRun } from '../../test/servers.js';
import { agentContract, uniqueKey } from './agent.contract.js';
import { sshAgent, type SshHostConfig } from './ssh.js';
import { closedPort, tempRoots } from './test-fixtures.js';
import { SSH_TEST, checkSshd, testHostFingerprint } from './test-sshd.js';

const available = shouldRun('ssh agent (loopback sshd)', await checkSshd());
const skip = available ? undefined : 'no sshd on loopback (.ci/start-sshd starts one)';

// The sshd session may run as another user, so the hosts' directories are world-writable.
const newRoot = tempRoots('sluice-ssh-agent-', 0o777);

/** A host entry for the loopback sshd; `agentDir` keeps each simulated host's records apart. */
const loopback = (agentDir: string, extra: Partial<SshHostConfig> = {}): SshHostConfig => ({
  host: SSH_TEST.host,
  port: SSH_TEST.port,
  username: SSH_TEST.username,
  privateKeyPath: SSH_TEST.privateKeyPath,
  hostKeyFingerprints: available ? [testHostFingerprint()] : [],
  agentDir,
  ...extra,
});

agentContract(
  'ssh',
  async () => {
    const root = newRoot();
    const agent = sshAgent({
      hosts: {
        'web-1': loopback(path.join(root, 'web-1')),
        'web-2': loopback(path.join(root, 'web-2')),
        'dead-1': loopback(path.join(root, 'dead-1'), { port: await closedPort() }),
      },
      connectTimeoutMs: 3000,
    });
    return {
      agent,
      hosts: ['web-1', 'web-2'],
      unreachable: 'dead-1',
      readFile: async (_host, file) => fs.readFile(file).catch(() => null),
      close: () => agent.close(),
    };
  },
  skip,
);

describe.skipIf(!available)('ssh agent specifics', () => {
  it('a host key that is not pinned is refused: unreachable, nothing runs', async () => {
    const root = newRoot();
    const wrongPin = `SHA256:${'A'.repeat(43)}`;
    const agent = sshAgent({ hosts: { h: loopback(path.join(root, 'h'), { hostKeyFingerprints: [wrongPin] }) } });
    const [result] = await agent.run({ key: uniqueKey('pin'), argv: ['sh', '-c', `touch ${root}/ran`], hosts: ['h'], timeoutMs: 5000 });
    await agent.close();
    expect(result.status).toBe('unreachable');
    expect(result.stderr).toMatch(/not one of its pinned fingerprints/);
    await expect(fs.access(path.join(root, 'ran'))).rejects.toThrow();
  });

  it('no pin and no trust-on-first-use: refused, naming the fingerprint to pin', async () => {
    const agent = sshAgent({ hosts: { h: loopback('', { hostKeyFingerprints: [] }) } });
    const [pong] = await agent.ping(['h'], 5000);
    await agent.close();
    expect(pong.alive).toBe(false);
    expect(pong.error).toContain(testHostFingerprint());
  });

  it('trust on first use remembers the first key in the known-hosts file and refuses a changed one', async () => {
    const root = newRoot();
    const knownHostsFile = path.join(root, 'known-hosts.json');
    const first = sshAgent({ hosts: { h: loopback('', { hostKeyFingerprints: [] }) }, trustOnFirstUse: true, knownHostsFile });
    expect((await first.ping(['h'], 5000))[0].alive).toBe(true);
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(JSON.parse(readFileSync(knownHostsFile, 'utf8'))).toEqual({ h: testHostFingerprint() });
    writeFileSync(knownHostsFile, JSON.stringify({ h: `SHA256:${'B'.repeat(43)}` }));
    const second = sshAgent({ hosts: { h: loopback('', { hostKeyFingerprints: [] }) }, trustOnFirstUse: true, knownHostsFile });
    const [pong] = await second.ping(['h'], 5000);
    await second.close();
    expect(pong.alive).toBe(false);
    expect(pong.error).toMatch(/changed/);
  });

  it('a private key that cannot be parsed fails at construction, naming the field', () => {
    expect(() => sshAgent({ hosts: { h: loopback('', { privateKeyPath: undefined, privateKey: 'not a key' }) } })).toThrow(/hosts\.h\.privateKey: not a usable private key/);
    expect(() => sshAgent({ hosts: { h: loopback('', { privateKeyPath: '/nonexistent/key' }) } })).toThrow(/hosts\.h\.privateKeyPath: cannot read/);
  });

  it('one connection per host is reused across commands', async () => {
    const root = newRoot();
    const agent = sshAgent({ hosts: { h: loopback(path.join(root, 'h')) } });
    // $PPID of the wrapper is the session's sshd process: one connection ⇒ one sshd parent per channel,
    // so compare the client side instead: the source port seen by the server stays the same.
    const ports = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const [r] = await agent.run({ key: uniqueKey('reuse'), argv: ['sh', '-c', 'printf %s "${SSH_CLIENT%% *} ${SSH_CLIENT#* }"'], hosts: ['h'], timeoutMs: 5000 });
      ports.add(r.stdout.split(' ')[1]);
    }
    await agent.close();
    expect(ports.size).toBe(1);
  });

  it('a dropped connection mid-command: the adapter reconnects, re-sends the key and gets the one result', async () => {
    const root = newRoot();
    const agent = sshAgent({ hosts: { h: loopback(path.join(root, 'h')) } });
    const counter = path.join(root, 'count');
    const pending = agent.run({ key: uniqueKey('drop'), argv: ['sh', '-c', `echo x >> ${counter}; sleep 1; echo done`], hosts: ['h'], timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    agent.closeHost('h');
    const [result] = await pending;
    await agent.close();
    expect(result).toMatchObject({ status: 'ok', stdout: 'done\n', replayed: false });
    expect(readFileSync(counter, 'utf8')).toBe('x\n');
  });

  it('a new adapter (a restarted service) reads a finished key back from the host without running it', async () => {
    const root = newRoot();
    const hosts = { h: loopback(path.join(root, 'h')) };
    const key = uniqueKey('restart');
    const first = sshAgent({ hosts });
    await first.run({ key, argv: ['sh', '-c', `echo x >> ${root}/count; echo out`], hosts: ['h'], timeoutMs: 5000 });
    await first.close();
    const second = sshAgent({ hosts });
    const status = await second.status(key, ['h']);
    const [again] = await second.run({ key, argv: ['sh', '-c', `echo x >> ${root}/count; echo out`], hosts: ['h'], timeoutMs: 5000 });
    await second.close();
    expect(status).toMatchObject({ done: true, results: [{ status: 'ok', stdout: 'out\n' }] });
    expect(again).toMatchObject({ status: 'ok', stdout: 'out\n', replayed: true });
    expect(readFileSync(path.join(root, 'count'), 'utf8')).toBe('x\n');
  });
});
