/**
 * Where the SSH agent tests find the loopback sshd that `.ci/start-sshd` starts, and whether it
 * answers. Paths come from `SLUICE_TEST_SSH_*`, defaulting to /tmp/sluice-sshd.
 */
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import type { ServerCheck } from '../../test/servers.js';

const dir = process.env.SLUICE_TEST_SSH_DIR ?? '/tmp/sluice-sshd';

export const SSH_TEST = {
  host: process.env.SLUICE_TEST_SSH_HOST ?? '127.0.0.1',
  port: Number(process.env.SLUICE_TEST_SSH_PORT ?? 2222),
  username: process.env.SLUICE_TEST_SSH_USER ?? os.userInfo().username,
  privateKeyPath: process.env.SLUICE_TEST_SSH_KEY ?? `${dir}/client_ed25519`,
  /** A file holding the server's host key fingerprint (`SHA256:…`). */
  fingerprintPath: process.env.SLUICE_TEST_SSH_FINGERPRINT ?? `${dir}/host_fingerprint`,
};

/** The pinned fingerprint of the test sshd's host key. */
export function testHostFingerprint(): string {
  return readFileSync(SSH_TEST.fingerprintPath, 'utf8').trim();
}

/** Is the loopback sshd up, with the client key and fingerprint the tests need? */
export async function checkSshd(): Promise<ServerCheck> {
  for (const file of [SSH_TEST.privateKeyPath, SSH_TEST.fingerprintPath]) {
    if (!existsSync(file)) return { available: false, reason: `${file} is missing; run .ci/start-sshd` };
  }
  const banner = await new Promise<string | Error>((resolve) => {
    const socket = net.connect({ host: SSH_TEST.host, port: SSH_TEST.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(new Error('no banner within 3 s'));
    }, 3000);
    socket.once('data', (chunk) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(chunk.toString('utf8'));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
  if (banner instanceof Error) return { available: false, reason: `sshd at ${SSH_TEST.host}:${SSH_TEST.port} is not reachable (${banner.message}); start it with .ci/start-sshd` };
  if (!banner.startsWith('SSH-2.0-')) return { available: false, reason: `${SSH_TEST.host}:${SSH_TEST.port} does not speak SSH (${banner.slice(0, 40)})` };
  return { available: true, reason: '' };
}
