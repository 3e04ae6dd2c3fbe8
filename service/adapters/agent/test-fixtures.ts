/** Set-up the agent adapters' tests share: throw-away host directories and a port nobody serves. */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/**
 * Returns a maker of fresh temporary directories named `prefix…`, all removed after the file's
 * tests; `mode` (e.g. 0o777, so another user's sshd session can write) is applied to each.
 */
export function tempRoots(prefix: string, mode?: number): () => string {
  const roots: string[] = [];
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });
  return () => {
    const root = mkdtempSync(path.join(tmpdir(), prefix));
    if (mode !== undefined) chmodSync(root, mode);
    roots.push(root);
    return root;
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
