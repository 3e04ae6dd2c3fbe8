/**
 * What every P2P adapter checks at its boundary: the idempotency key, the artifact and the host
 * names, plus the small store that remembers which job a key started (so a restarted service
 * finds its job instead of starting a second one).
 */
import { z } from 'zod';
import { parseConfig } from '../../../src/core/config.js';
import type { Artifact, PreheatProgress, PreheatState } from '../../ports/p2p.js';

/** Same alphabet and length as the agent port's command keys, so a P2P key can prefix one. */
export const keySchema = z
  .string()
  .min(1, 'must not be empty')
  .max(160, 'must be at most 160 characters')
  .regex(/^[A-Za-z0-9._:-]+$/, 'must use only letters, digits and . _ : -');

export const artifactSchema = z.object({
  url: z
    .string()
    .url('must be an absolute URL')
    .refine((u) => /^https?:\/\//i.test(u), 'must be http:// or https://'),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be 'sha256:' followed by 64 lowercase hex digits"),
});

/** Host names become directory names and command arguments: no slashes, no leading dot or dash. */
export const hostSchema = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._:-]{0,252}$/, 'must be a host name (letters, digits, . _ : -; not starting with . or -)');

export const hostsSchema = z
  .array(hostSchema)
  .min(1, 'must name at least one host')
  .refine((hosts) => new Set(hosts).size === hosts.length, 'must not repeat a host');

export interface PreheatRequest {
  key: string;
  artifact: Artifact;
  hosts: string[];
}

/** Validates `preheat`'s arguments; throws `SluiceError('invalid_config')` naming the field. */
export function parsePreheat(key: unknown, artifact: unknown, hosts: unknown, where: string): PreheatRequest {
  return parseConfig(z.object({ key: keySchema, artifact: artifactSchema, hosts: hostsSchema }), { key, artifact, hosts }, where);
}

/** Validates `verify`'s arguments. */
export function parseVerify(artifact: unknown, hosts: unknown, where: string): { artifact: Artifact; hosts: string[] } {
  return parseConfig(z.object({ artifact: artifactSchema, hosts: hostsSchema }), { artifact, hosts }, where);
}

/** The 64 hex digits of a `sha256:<hex>` digest. */
export const digestHex = (digest: string): string => digest.slice('sha256:'.length);

/**
 * Remembers, per idempotency key, the job it started. The orchestrator passes one backed by its
 * durable state; the default lives in memory (lost on restart, so a restart could start a second job).
 */
export interface PreheatJobStore {
  get(key: string): Promise<string | undefined> | string | undefined;
  set(key: string, jobId: string): Promise<void> | void;
}

/** A `PreheatJobStore` in a Map, for tests and single-process use. */
export function memoryJobStore(): PreheatJobStore & { readonly size: number } {
  const map = new Map<string, string>();
  return {
    get: (key) => map.get(key),
    set: (key, jobId) => void map.set(key, jobId),
    get size() {
      return map.size;
    },
  };
}

export const isTerminal = (state: PreheatState): boolean => state === 'succeeded' || state === 'failed';

/** Progress of a job over `hosts` from the per-host outcomes known so far. */
export function progressOf(
  jobId: string,
  hosts: readonly string[],
  done: ReadonlySet<string>,
  failed: ReadonlyMap<string, string>,
  finished: boolean,
): PreheatProgress {
  const failedHosts = hosts.filter((h) => failed.has(h));
  const hostsDone = hosts.filter((h) => done.has(h)).length;
  let state: PreheatState;
  if (finished || hostsDone + failedHosts.length === hosts.length) state = failedHosts.length > 0 ? 'failed' : 'succeeded';
  else state = hostsDone + failedHosts.length > 0 ? 'running' : 'pending';
  const progress: PreheatProgress = { jobId, state, hostsTotal: hosts.length, hostsDone, failedHosts };
  if (state === 'failed') progress.message = failureMessage(failedHosts.map((h) => [h, failed.get(h) ?? 'failed']));
  return progress;
}

/** "2 of 5 hosts failed: h1: digest mismatch …; h2: …" — at most three reasons, then a count. */
export function failureMessage(reasons: ReadonlyArray<readonly [string, string]>): string {
  const shown = reasons.slice(0, 3).map(([host, why]) => `${host}: ${why}`);
  const more = reasons.length > 3 ? `; and ${reasons.length - 3} more` : '';
  return `${reasons.length} host${reasons.length === 1 ? '' : 's'} failed: ${shown.join('; ')}${more}`;
}
