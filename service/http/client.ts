/**
 * Keep-alive on both ends of the service's HTTP connections.
 *
 * A kept-alive connection dies when the server closes it at the moment a client reuses it: the
 * client's request reaches a closed socket and fails with ECONNRESET ("fetch failed"). Node's
 * fetch (undici) counts its idle time on a coarse timer that advances by a fixed tick per run of
 * the event loop, so a loop blocked for seconds (a long synchronous gate evaluation in the same
 * process) leaves the client believing an idle socket is fresh while the server's wall-clock
 * keep-alive timer (keepAliveTimeout plus Node's one-second grace) has already fired. The server
 * therefore keeps idle connections far longer than any loop stall (`keepConnectionsAlive`), and
 * clients retry an idempotent request once when the connection is reset (`fetchIdempotent`).
 */
import type { Server } from 'node:http';

/** How long the service keeps an idle connection, ms; clients close theirs a second before. */
export const SERVER_KEEP_ALIVE_MS = 65_000;

/** Sets a server's idle keep-alive time and, above it as Node requires, its headers timeout. */
export function keepConnectionsAlive(server: Server, keepAliveMs = SERVER_KEEP_ALIVE_MS): void {
  server.keepAliveTimeout = keepAliveMs;
  server.headersTimeout = keepAliveMs + 1_000;
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** True when `error` (a fetch rejection) is a connection the peer closed under the request. */
export function isConnectionReset(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = (e as Error & { cause?: unknown }).cause, depth++) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === 'string' && RESET_CODES.has(code)) return true;
  }
  return false;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * `fetch`, retried once on a fresh connection when a GET, HEAD or OPTIONS request's connection is
 * reset. Other methods and other errors (refused, timed out, aborted) reject as fetch does: a
 * reset POST may have been applied, so repeating it is the caller's decision.
 */
export async function fetchIdempotent(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (!IDEMPOTENT.has((init.method ?? 'GET').toUpperCase()) || !isConnectionReset(error) || init.signal?.aborted) throw error;
    return fetch(url, init);
  }
}
