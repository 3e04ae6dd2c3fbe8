/**
 * Local P2P for the demo and tests: "downloads" the artifact into each simulated host's directory of
 * the local fleet root (`<root>/<host>/<cacheSubdir>/<hex>`, next to what the local agent keeps
 * there). The source is fetched once, in-process, from an http(s) URL or read from a `file:` URL;
 * every host's copy is written as a partial file, its sha256 checked, then renamed into place.
 *
 * Durable like the local fleet: each key's job is recorded under `<root>/.p2p/jobs/` before any
 * copying, and a host counts as done when its cache file holds the right digest; so a new process
 * on the same root finds the job (same key → same job) and finishes only the hosts still missing.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseConfig } from '../../../src/core/config.js';
import type { Artifact, P2P, PreheatProgress } from '../../ports/p2p.js';
import { digestHex, hostsSchema, keySchema, progressOf } from './common.js';

export const localP2PConfigSchema = z.object({
  /** The local fleet's root directory; each host's directory is `<root>/<host>`. */
  root: z.string().min(1, 'must not be empty'),
  /** Directory under each host's directory that holds artifacts. */
  cacheSubdir: z
    .string()
    .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'must be a relative path of plain names')
    .refine((p) => !p.split('/').includes('..'), "must not contain '..'")
    .default('artifacts'),
  /** Hosts copied at once. */
  concurrency: z.number().int().min(1).max(256).default(16),
  /** Simulated per-host transfer time, in ms (0 = as fast as the disk). */
  perHostDelayMs: z.number().int().min(0).max(60_000).default(0),
  /** How often callers should poll `progress`, in ms. */
  pollIntervalMs: z.number().int().min(10).max(600_000).default(200),
});

export type LocalP2PConfigInput = z.input<typeof localP2PConfigSchema>;

export interface LocalP2POptions {
  /** Test hook: a reason makes that host fail (a full disk, say); undefined lets it succeed. */
  failHost?: (host: string) => string | undefined;
}

export interface LocalP2P extends P2P {
  readonly pollIntervalMs: number;
  /** Where `host` keeps the artifact with this digest. */
  pathOf(host: string, digest: string): string;
}

const localArtifactSchema = z.object({
  url: z.string().refine((u) => /^(https?|file):\/\//i.test(u) && URL.canParse(u), 'must be an http://, https:// or file:// URL'),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be 'sha256:' followed by 64 lowercase hex digits"),
});
const jobFileSchema = z.object({ key: z.string(), artifact: localArtifactSchema, hosts: z.array(z.string()) });

interface Job {
  artifact: Artifact;
  hosts: string[];
  done: Set<string>;
  failed: Map<string, string>;
  finished: boolean;
  work?: Promise<void>;
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Builds the local adapter; throws `SluiceError('invalid_config')` naming the field. */
export function localP2P(input: LocalP2PConfigInput, options: LocalP2POptions = {}): LocalP2P {
  const config = parseConfig(localP2PConfigSchema, input, 'local p2p config');
  const jobsDir = join(config.root, '.p2p', 'jobs');
  const jobs = new Map<string, Job>();
  const pathOf = (host: string, digest: string): string => join(config.root, host, config.cacheSubdir, digestHex(digest));
  const jobFile = (key: string): string => join(jobsDir, `${key.replace(/:/g, '%3A')}.json`);

  async function fetchSource(url: string): Promise<Uint8Array> {
    if (url.startsWith('file:')) return readFile(fileURLToPath(url));
    const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
    if (!response.ok) throw new Error(`download failed: ${url} answered ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  async function holds(host: string, digest: string): Promise<boolean> {
    const path = pathOf(host, digest);
    return existsSync(path) && sha256Hex(await readFile(path)) === digestHex(digest);
  }

  async function copyTo(host: string, bytes: Uint8Array, digest: string): Promise<void> {
    const injected = options.failHost?.(host);
    if (injected !== undefined) throw new Error(injected);
    if (config.perHostDelayMs > 0) await new Promise((r) => setTimeout(r, config.perHostDelayMs));
    const final = pathOf(host, digest);
    const partial = `${final}.partial`;
    await mkdir(join(config.root, host, config.cacheSubdir), { recursive: true });
    await writeFile(partial, bytes);
    const got = sha256Hex(await readFile(partial));
    if (got !== digestHex(digest)) {
      await rm(partial, { force: true });
      throw new Error(`digest mismatch: expected ${digest}, got sha256:${got}`);
    }
    await rename(partial, final);
  }

  /** Copies to the hosts that do not hold the artifact yet; `job.done` already names the others. */
  async function run(job: Job): Promise<void> {
    const pending = job.hosts.filter((host) => !job.done.has(host));
    if (pending.length > 0) {
      let bytes: Uint8Array;
      try {
        bytes = await fetchSource(job.artifact.url);
        const got = sha256Hex(bytes);
        if (got !== digestHex(job.artifact.digest)) throw new Error(`digest mismatch: expected ${job.artifact.digest}, got sha256:${got}`);
      } catch (error) {
        for (const host of pending) job.failed.set(host, (error as Error).message);
        job.finished = true;
        return;
      }
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < pending.length) {
          const host = pending[next++]!;
          try {
            await copyTo(host, bytes, job.artifact.digest);
            job.done.add(host);
          } catch (error) {
            job.failed.set(host, (error as Error).message);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(config.concurrency, pending.length) }, worker));
    }
    job.finished = true;
  }

  /** Starts (or resumes) a job: hosts already holding the artifact count as done before this returns. */
  async function startJob(key: string, artifact: Artifact, hosts: string[]): Promise<Job> {
    const job: Job = { artifact, hosts, done: new Set(), failed: new Map(), finished: false };
    for (const host of hosts) if (await holds(host, artifact.digest)) job.done.add(host);
    job.work = run(job).catch((error: unknown) => {
      for (const host of hosts) if (!job.done.has(host)) job.failed.set(host, (error as Error).message);
      job.finished = true;
    });
    jobs.set(key, job);
    return job;
  }

  /** The job under `key`: in memory, or resumed from its record on disk, or undefined. */
  async function find(key: string): Promise<Job | undefined> {
    const running = jobs.get(key);
    if (running) return running;
    const file = jobFile(key);
    if (!existsSync(file)) return undefined;
    const record = jobFileSchema.parse(JSON.parse(await readFile(file, 'utf8')));
    return startJob(key, record.artifact, record.hosts);
  }

  /** Finds or creates the job under `key`; the record goes to disk, atomically, before any copying. */
  async function findOrCreate(key: string, artifact: Artifact, hosts: string[]): Promise<Job> {
    const known = await find(key);
    if (known) return known;
    await mkdir(jobsDir, { recursive: true });
    const temp = `${jobFile(key)}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify({ key, artifact, hosts }));
    await rename(temp, jobFile(key));
    return startJob(key, artifact, hosts);
  }

  // Concurrent calls for one key (preheat or progress) share one lookup, so a job starts once.
  const inflight = new Map<string, Promise<Job | undefined>>();
  function once(key: string, make: () => Promise<Job | undefined>): Promise<Job | undefined> {
    const done = jobs.get(key);
    if (done) return Promise.resolve(done);
    let promise = inflight.get(key);
    if (!promise) {
      promise = make().finally(() => inflight.delete(key));
      inflight.set(key, promise);
    }
    return promise;
  }

  const report = (key: string, job: Job): PreheatProgress => progressOf(key, job.hosts, job.done, job.failed, job.finished);

  return {
    name: 'local',
    pollIntervalMs: config.pollIntervalMs,
    pathOf,
    async preheat(key, artifact, hosts) {
      const request = parseConfig(
        z.object({ key: keySchema, artifact: localArtifactSchema, hosts: hostsSchema }),
        { key, artifact, hosts },
        'local preheat',
      );
      const job = await once(request.key, () => findOrCreate(request.key, request.artifact, request.hosts));
      return report(request.key, job!);
    },
    async progress(jobId) {
      const job = keySchema.safeParse(jobId).success ? await once(jobId, () => find(jobId)) : undefined;
      if (!job) throw new Error(`local progress: no preheat job '${jobId}'`);
      return report(jobId, job);
    },
    async verify(artifact, hosts) {
      const request = parseConfig(z.object({ artifact: localArtifactSchema, hosts: hostsSchema }), { artifact, hosts }, 'local verify');
      return Promise.all(
        request.hosts.map(async (host) => {
          const path = pathOf(host, request.artifact.digest);
          if (!existsSync(path)) return { host, ok: false, reason: `missing ${path}` };
          const got = sha256Hex(await readFile(path));
          return got === digestHex(request.artifact.digest) ? { host, ok: true } : { host, ok: false, reason: `digest mismatch: expected ${request.artifact.digest}, found sha256:${got}` };
        }),
      );
    },
  };
}
