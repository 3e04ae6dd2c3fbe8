/**
 * What every agent adapter shares: validating a `CommandRequest` at the port's boundary, the
 * output cap, the `unreachable` result, and bounded parallelism over hosts.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SluiceError } from '../../../src/core/errors.js';
import type { CommandRequest, CommandStatus, FileToPush, HostResult, PingResult } from '../../ports/agent.js';

/** Each of stdout and stderr is kept to its last 64 KiB. */
export const OUTPUT_LIMIT_BYTES = 64 * 1024;

/** Longest command an adapter accepts: one day. */
export const MAX_TIMEOUT_MS = 24 * 3600 * 1000;

const noNul = (s: string) => !s.includes('\0');

/** Keys name directories on hosts, so besides the port's alphabet they may not be `.` or `..`. */
export const keySchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'must be 1–200 characters of [A-Za-z0-9._:-]')
  .refine((key) => !/^\.+$/.test(key), 'must not consist of dots only');

/** Host names become directory names (local fleet) and log fields. */
export const hostNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/, 'must be 1–253 characters of [A-Za-z0-9._-], starting with a letter or digit');

const envSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are [A-Za-z_][A-Za-z0-9_]*'),
  z.string().refine(noNul, 'must not contain NUL'),
);

export const commandRequestSchema = z.object({
  key: keySchema,
  argv: z.array(z.string().refine(noNul, 'must not contain NUL')).min(1, 'needs at least the program'),
  hosts: z.array(hostNameSchema).refine((hosts) => new Set(hosts).size === hosts.length, 'must not repeat a host'),
  timeoutMs: z.number().int().min(1).max(MAX_TIMEOUT_MS),
  env: envSchema.optional(),
}).refine((request) => request.argv[0] !== '', { message: 'the program must not be empty', path: ['argv', 0] });

export const fileToPushSchema = z.object({
  path: z.string().refine((p) => p.startsWith('/') && noNul(p), 'must be an absolute path without NUL'),
  content: z.instanceof(Uint8Array),
  mode: z.number().int().min(0).max(0o7777).optional(),
});

function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    code: 'invalid_input' as const,
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const text = issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
  throw new SluiceError('invalid_input', issues[0]?.path ?? '', `${where}: ${text}`, issues);
}

/** Validates a request at the port; throws `SluiceError('invalid_input')` naming the field. */
export function parseCommandRequest(request: CommandRequest): CommandRequest {
  return parseOrThrow(commandRequestSchema, request, 'command request');
}

/** Validates `pushFile`'s arguments; throws `SluiceError('invalid_input')` naming the field. */
export function parsePush(key: string, file: FileToPush, hosts: string[], timeoutMs: number): void {
  parseOrThrow(keySchema, key, 'pushFile key');
  parseOrThrow(fileToPushSchema, file, 'pushFile file');
  parseOrThrow(z.array(hostNameSchema), hosts, 'pushFile hosts');
  parseOrThrow(z.number().int().min(1).max(MAX_TIMEOUT_MS), timeoutMs, 'pushFile timeoutMs');
}

/** The result of a host the command never reached. */
export function unreachableResult(host: string, reason: string, at = Date.now()): HostResult {
  return { host, status: 'unreachable', exitCode: null, stdout: '', stderr: reason, startedAt: at, finishedAt: at, replayed: false };
}

/** Keeps the last `OUTPUT_LIMIT_BYTES` of a text (by UTF-8 bytes). */
export function tailText(text: string, limit = OUTPUT_LIMIT_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= limit ? text : bytes.subarray(bytes.length - limit).toString('utf8');
}

/** Runs `task` over `items` with at most `parallelism` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], parallelism: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, parallelism), items.length) }, worker));
  return results;
}

/**
 * A counting semaphore shared by every call on one adapter, so two concurrent `run`s together stay
 * within the adapter's parallelism.
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly capacity: number) {}

  async use<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.capacity) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const wake = this.waiting.shift();
      if (wake) wake();
      else this.active--;
    }
  }
}

/** A requester id used once: a second call with the same key is then a replay, as on every adapter. */
export const freshRequester = (): string => randomBytes(12).toString('base64url');

/**
 * One requester id per (key, host) for a client's life, so the client's own re-sends of a key are
 * never reported as replays. Past 100 000 pairs the oldest is forgotten.
 */
export class Requesters {
  private readonly ids = new Map<string, string>();

  /** The id this client uses for `key` on `host`. */
  of(key: string, host: string): string {
    const id = `${key}\n${host}`;
    let requester = this.ids.get(id);
    if (!requester) {
      requester = freshRequester();
      this.ids.set(id, requester);
      if (this.ids.size > 100_000) this.ids.delete(this.ids.keys().next().value!);
    }
    return requester;
  }

  clear(): void {
    this.ids.clear();
  }
}

/**
 * A key's status from each asked host's finished result, `null` where it has none yet: done when
 * every asked host has one.
 */
export function statusOf(key: string, asked: readonly string[], results: ReadonlyArray<HostResult | null>): CommandStatus {
  const done = results.filter((r): r is HostResult => r !== null);
  return { key, done: done.length === asked.length, results: done };
}

/**
 * Pings each host within `slots`: a host the adapter does not know is not alive; otherwise
 * `probe` answers the host's info, or throws why it is not alive. Latency is the probe's, in ms.
 */
export function pingEach(
  hosts: readonly string[],
  slots: Semaphore,
  isKnown: (host: string) => boolean,
  probe: (host: string) => Promise<Record<string, string>>,
): Promise<PingResult[]> {
  return Promise.all(
    hosts.map((host) =>
      slots.use(async (): Promise<PingResult> => {
        if (!isKnown(host)) return { host, alive: false, latencyMs: null, error: `unknown host ${host}` };
        const t0 = performance.now();
        try {
          const info = await probe(host);
          return { host, alive: true, latencyMs: performance.now() - t0, info };
        } catch (error) {
          return { host, alive: false, latencyMs: null, error: (error as Error).message };
        }
      }),
    ),
  );
}

/** Races a promise against an abort signal (the work itself goes on; only the wait ends). */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
