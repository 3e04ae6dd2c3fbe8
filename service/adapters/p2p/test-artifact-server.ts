/**
 * An origin for artifacts in tests: serves fixed bytes over HTTP on loopback with `Range: bytes=N-`
 * support (206 / 416 as RFC 9110 says), records every request's Range header, and can cut a response
 * off after some bytes so that resuming a download can be tested.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Artifact } from '../../ports/p2p.js';

export interface ArtifactRequest {
  path: string;
  range: string | undefined;
}

export interface ArtifactServer {
  readonly url: string;
  readonly requests: ArtifactRequest[];
  /** Serves `content` at `path` and returns the artifact (URL and true digest). */
  put(path: string, content: Uint8Array): Artifact;
  /** The next `times` responses for `path` stop after `bytes` bytes of body and drop the connection. */
  dropAfter(path: string, bytes: number, times?: number): void;
  close(): Promise<void>;
}

export const sha256Digest = (content: Uint8Array): string => `sha256:${createHash('sha256').update(content).digest('hex')}`;

/** Deterministic bytes of a given length (a counter through a hash), so tests need no fixture files. */
export function testBytes(length: number, seed = 'sluice'): Buffer {
  const out = Buffer.alloc(length);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < length; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, length - offset));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export async function startArtifactServer(): Promise<ArtifactServer> {
  const files = new Map<string, Buffer>();
  const drops = new Map<string, { bytes: number; times: number }>();
  const requests: ArtifactRequest[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://origin').pathname;
    const range = req.headers.range;
    requests.push({ path, range });
    const content = files.get(path);
    if (!content || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    let start = 0;
    const match = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (match) {
      start = Number(match[1]);
      if (start >= content.length) {
        res.writeHead(416, { 'content-range': `bytes */${content.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'content-type': 'application/octet-stream',
        'content-length': content.length - start,
        'content-range': `bytes ${start}-${content.length - 1}/${content.length}`,
        'accept-ranges': 'bytes',
      });
    } else {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': content.length, 'accept-ranges': 'bytes' });
    }
    if (req.method === 'HEAD') return void res.end();
    const body = content.subarray(start);
    const drop = drops.get(path);
    if (drop && drop.times > 0) {
      drop.times--;
      res.write(body.subarray(0, drop.bytes), () => {
        // Give the bytes a moment to leave before the reset, so the client keeps a partial file.
        setTimeout(() => res.socket?.destroy(), 20);
      });
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    requests,
    put(path, content) {
      files.set(path, Buffer.from(content));
      return { url: `${url}${path}`, digest: sha256Digest(content) };
    },
    dropAfter(path, bytes, times = 1) {
      drops.set(path, { bytes, times });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
