import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchIdempotent, isConnectionReset, keepConnectionsAlive } from './client.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A loopback server answering `ok`, counting the requests it read; `keepAliveMs` as Node's default is 5 s. */
async function serve(configure: (server: Server) => void): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    res.end('ok');
  });
  configure(server);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`, requests: () => requests };
}

/** Blocks the event loop (without spinning a core) as a long synchronous evaluation would. */
const blockLoop = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * One kept-alive connection, then the loop blocked past the server's keep-alive time (3 s, plus
 * Node's 1 s grace) with the next request already due: the client reuses the socket the server
 * closes. Answers how the second request ended.
 */
async function secondRequestAfterStall(url: string, send: (url: string, init?: RequestInit) => Promise<Response>, init?: RequestInit): Promise<string> {
  await (await fetch(url)).text();
  const second = new Promise<string>((resolve) => {
    setTimeout(() => send(url, init).then((r) => r.text()).then(resolve, (error: unknown) => resolve(isConnectionReset(error) ? 'reset' : `error: ${(error as Error).message}`)), 1);
  });
  blockLoop(4_200);
  return second;
}

describe('a kept-alive connection across an event-loop stall', () => {
  it('fetch reuses the socket the server closed and fails with a reset (the bug this module prevents)', async () => {
    const { url } = await serve((s) => { s.keepAliveTimeout = 3_000; });
    expect(await secondRequestAfterStall(url, fetch)).toBe('reset');
  }, 20_000);

  it('fetchIdempotent(GET) retries once on a fresh connection and gets the answer', async () => {
    const { url, requests } = await serve((s) => { s.keepAliveTimeout = 3_000; });
    expect(await secondRequestAfterStall(url, fetchIdempotent)).toBe('ok');
    expect(requests()).toBe(2);
  }, 20_000);

  it('fetchIdempotent(POST) does not repeat a request that may have been applied', async () => {
    const { url } = await serve((s) => { s.keepAliveTimeout = 3_000; });
    expect(await secondRequestAfterStall(url, fetchIdempotent, { method: 'POST', body: '{}' })).toBe('reset');
  }, 20_000);

  it('a server with keepConnectionsAlive keeps the connection through the same stall', async () => {
    const { url, requests } = await serve((s) => keepConnectionsAlive(s));
    expect(await secondRequestAfterStall(url, fetch)).toBe('ok');
    expect(requests()).toBe(2);
  }, 20_000);
});

describe('isConnectionReset(error)', () => {
  it('finds the code on the error or its causes, and nothing else counts', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(isConnectionReset(new TypeError('fetch failed', { cause: reset }))).toBe(true);
    expect(isConnectionReset(new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }))).toBe(true);
    expect(isConnectionReset(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }))).toBe(false);
    expect(isConnectionReset('ECONNRESET')).toBe(false);
  });
});
