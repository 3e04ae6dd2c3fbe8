/**
 * Request and response signing of the HTTP agent protocol (see `http-agent.ts` for the protocol).
 *
 * Request canonical string (lines joined by "\n"):
 *   SLUICE-HMAC-SHA256
 *   <METHOD, upper case>
 *   <path with query, exactly as sent>
 *   <x-sluice-timestamp: epoch milliseconds, decimal>
 *   <x-sluice-nonce: 16–128 characters of [A-Za-z0-9_-]>
 *   <hex sha256 of the body bytes (of the empty string when there is no body)>
 * signature = lower-case hex HMAC-SHA256(secret, canonical string), in `x-sluice-signature`, with
 * the secret's id in `x-sluice-key-id`.
 *
 * Response canonical string: SLUICE-HMAC-SHA256-RESPONSE, the status code, the request's nonce,
 * the response's `x-sluice-timestamp`, the hex sha256 of the body — so a client knows the answer
 * came from a holder of the secret and belongs to its own request.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const HEADER_KEY_ID = 'x-sluice-key-id';
export const HEADER_TIMESTAMP = 'x-sluice-timestamp';
export const HEADER_NONCE = 'x-sluice-nonce';
export const HEADER_SIGNATURE = 'x-sluice-signature';

/** A request is accepted within ±5 minutes of the server's clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

export const sha256Hex = (body: Uint8Array | string) => createHash('sha256').update(body).digest('hex');

export function requestCanonical(method: string, pathWithQuery: string, timestamp: string, nonce: string, body: Uint8Array | string): string {
  return ['SLUICE-HMAC-SHA256', method.toUpperCase(), pathWithQuery, timestamp, nonce, sha256Hex(body)].join('\n');
}

export function responseCanonical(status: number, requestNonce: string, timestamp: string, body: Uint8Array | string): string {
  return ['SLUICE-HMAC-SHA256-RESPONSE', String(status), requestNonce, timestamp, sha256Hex(body)].join('\n');
}

export const hmacHex = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');

/** Compares two hex signatures in time independent of where they differ. */
export function signaturesEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  // Compare against itself when lengths differ, so the time does not tell the length either.
  return timingSafeEqual(a, a.length === b.length ? b : a) && a.length === b.length;
}

/** Headers for one signed request. */
export function signRequest(keyId: string, secret: string, method: string, pathWithQuery: string, body: Uint8Array | string, now = Date.now()): Record<string, string> {
  const timestamp = String(now);
  const nonce = randomBytes(18).toString('base64url');
  return {
    [HEADER_KEY_ID]: keyId,
    [HEADER_TIMESTAMP]: timestamp,
    [HEADER_NONCE]: nonce,
    [HEADER_SIGNATURE]: hmacHex(secret, requestCanonical(method, pathWithQuery, timestamp, nonce, body)),
  };
}

/**
 * Nonces seen within the accepted window, per key id. An entry can be forgotten once its
 * timestamp has left the window: a replay of it is then refused as stale.
 */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly capacity = 1_000_000) {}

  /** Records the nonce; false when it was seen before (a replay) or the cache is full. */
  remember(keyId: string, nonce: string, timestamp: number, now: number): boolean {
    const id = `${keyId}\n${nonce}`;
    if (this.seen.has(id)) return false;
    if (this.seen.size >= this.capacity) this.prune(now);
    if (this.seen.size >= this.capacity) return false;
    this.seen.set(id, timestamp + MAX_CLOCK_SKEW_MS);
    return true;
  }

  private prune(now: number): void {
    for (const [id, expires] of this.seen) if (expires < now) this.seen.delete(id);
  }

  get size(): number {
    return this.seen.size;
  }
}

export type HeaderCheck = { ok: true; keyId: string; nonce: string; timestamp: number; signature: string } | { ok: false; reason: string };

/** Checks everything but the body: which key, a sane timestamp, a well-formed nonce. */
export function checkHeaders(headers: Record<string, string | string[] | undefined>, secrets: ReadonlyMap<string, string>, now: number): HeaderCheck {
  const one = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? undefined : value;
  };
  const keyId = one(HEADER_KEY_ID);
  const timestampText = one(HEADER_TIMESTAMP);
  const nonce = one(HEADER_NONCE);
  const signature = one(HEADER_SIGNATURE);
  if (!keyId || !timestampText || !nonce || !signature) return { ok: false, reason: 'missing signature headers' };
  if (!secrets.has(keyId)) return { ok: false, reason: 'unknown key id' };
  if (!/^\d{1,16}$/.test(timestampText)) return { ok: false, reason: 'malformed timestamp' };
  const timestamp = Number(timestampText);
  if (Math.abs(now - timestamp) > MAX_CLOCK_SKEW_MS) return { ok: false, reason: 'timestamp outside ±5 minutes of the agent clock' };
  if (!NONCE_PATTERN.test(nonce)) return { ok: false, reason: 'malformed nonce' };
  if (!/^[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: 'malformed signature' };
  return { ok: true, keyId, nonce, timestamp, signature };
}
