/**
 * The gate on worker threads: `gateWorkers` judges cases off the calling thread, so a service
 * stays responsive while a wide batch is judged, and judges as many batches at once as it has
 * workers. Every evaluation of one batch (same app, release, batch, deployment time and history
 * start) goes to the worker that judged it first; a new batch goes to the worker with the fewest
 * evaluations waiting. That worker keeps what was fitted on the batch's history (its GateCache)
 * and a copy of the batch's series (resident.ts), so a later evaluation with the same metrics
 * and hosts is sent as the points from the release on, not as the whole history.
 *
 * A case is sent whole by copy, or with `move` by transfer: its arrays are detached, judged, and
 * put back into the same case objects with the verdict. A worker that dies (out of memory under
 * `maxMemoryMb`, say) fails the evaluations it held with `SluiceError('unavailable')` and the
 * reason, and a new one is started for the next evaluation.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { SluiceError, type ErrorCode, type SluiceIssue } from '../core/errors.js';
import { startModuleWorker } from '../core/worker-thread.js';
import type { ParsedCase, HostSeries } from '../datasets/case.js';
import type { Policy, PolicyInput } from './policy.js';
import { hostsOf, windowUpdate, type WindowUpdate } from './resident.js';
import type { GateRunner } from './runner.js';
import type { Verdict } from './verdict.js';

export interface GateWorkersOptions {
  /** Worker threads (default: one fewer than the machine's cores, at least 1, at most 4). */
  workers?: number;
  /** Each worker's cache bounds (see GateCache): entries and bytes. */
  cacheEntries?: number;
  cacheBytes?: number;
  /** Each worker's copies of the batches it judges (see resident.ts): batches and bytes. */
  residentCases?: number;
  residentBytes?: number;
  /** Each worker's heap limit, MiB (default: V8's); a worker over it fails its evaluations and is replaced. */
  maxMemoryMb?: number;
  /**
   * Transfer the case's series to the worker and back instead of copying them. The caller must
   * not read the case while it is judged; if the worker dies, the series are lost with it.
   */
  move?: boolean;
}

/** One evaluation sent to a worker: the whole case, or what changed since the batch's last one. */
export type GateJob = { job: number; key: string; policy: PolicyInput | Policy } & ({ kind: 'full'; case: ParsedCase; moved: boolean } | { kind: 'window'; update: WindowUpdate });

/** A worker's answer: the verdict or the error (or `missing`: the batch is no longer resident), and with `moved` the case's series in order. */
export type GateJobAnswer = {
  job: number;
  series?: Float64Array[];
  counters: { hits: number; misses: number; bytes: number; residentCases: number; residentBytes: number };
} & ({ verdict: Verdict } | { error: { message: string; code?: ErrorCode; path?: string; issues?: SluiceIssue[] } } | { missing: true });

export interface GateWorkers extends GateRunner {
  /** Evaluations sent and not yet answered. */
  readonly pending: number;
  /** Workers that died and were replaced since the start. */
  readonly restarts: number;
  /** Per worker: evaluations answered and its cache's hits, misses and bytes at the last answer. */
  stats(): WorkerStats[];
}

export interface WorkerStats {
  evaluations: number;
  cacheHits: number;
  cacheMisses: number;
  cacheBytes: number;
  /** Batches whose series the worker holds, and their bytes. */
  residentCases: number;
  residentBytes: number;
  /** Evaluations sent whole, and sent as the new minutes of a batch the worker held. */
  sentWhole: number;
  sentUpdates: number;
}

interface Waiting {
  slot: number;
  resolve: (answer: GateJobAnswer) => void;
  reject: (error: Error) => void;
}

/** What the pool remembers of a batch: its worker, that worker's generation and the batch's shape when it was sent whole. */
interface Routed {
  slot: number;
  generation: number;
  shape: string | null;
}

/** Batches remembered for routing; the oldest are forgotten beyond this (their worker's cache has moved on). */
const REMEMBERED = 10_000;

const defaultWorkers = (): number => Math.max(1, Math.min(4, availableParallelism() - 1));

/** The batch a case belongs to: its evaluations share a worker. */
const batchKey = (c: ParsedCase): string => `${c.app}|${c.release.id ?? ''}|${c.release.batch ?? ''}|${c.release.deployedAt}|${c.start}|${c.step}`;

/**
 * Metric and host names in order, hashed (thousands of host names per batch, for thousands of
 * batches remembered): a later evaluation is sent as an update only when they are the same.
 */
const shapeOf = (c: ParsedCase): string => {
  const hash = createHash('sha256');
  for (const m of c.metrics) hash.update(`${m.name}\u0000${m.released.map((h) => h.host).join('\u0000')}\u0001${m.unreleased.map((h) => h.host).join('\u0000')}\u0002`);
  return hash.digest('base64');
};

/** Judges on `options.workers` threads; close it when done (its threads keep a process alive). */
export function gateWorkers(options: GateWorkersOptions = {}): GateWorkers {
  const count = Math.max(1, Math.floor(options.workers ?? defaultWorkers()));
  const move = options.move ?? false;
  const workerData = {
    cacheEntries: options.cacheEntries ?? 5_000, cacheBytes: options.cacheBytes ?? 512 * 2 ** 20,
    residentCases: options.residentCases ?? 64, residentBytes: options.residentBytes ?? 1024 * 2 ** 20,
  };
  const resourceLimits = options.maxMemoryMb ? { maxOldGenerationSizeMb: options.maxMemoryMb } : undefined;
  const waiting = new Map<number, Waiting>();
  const load = new Array<number>(count).fill(0);
  const generation = new Array<number>(count).fill(0);
  const stats: WorkerStats[] = Array.from({ length: count }, () => ({ evaluations: 0, cacheHits: 0, cacheMisses: 0, cacheBytes: 0, residentCases: 0, residentBytes: 0, sentWhole: 0, sentUpdates: 0 }));
  const routes = new Map<string, Routed>();
  const workers: (Worker | null)[] = [];
  let nextJob = 0;
  let closed = false;
  let restarts = 0;

  const settle = (job: number): Waiting | undefined => {
    const w = waiting.get(job);
    if (w) {
      waiting.delete(job);
      load[w.slot]--;
    }
    return w;
  };

  const start = (slot: number): Worker => {
    const worker = startModuleWorker(import.meta.url, 'worker', { workerData, resourceLimits });
    generation[slot]++;
    let failure = '';
    worker.on('message', (answer: GateJobAnswer) => {
      const w = settle(answer.job);
      if (!w) return;
      const { hits, misses, bytes, residentCases, residentBytes } = answer.counters;
      Object.assign(stats[slot], { evaluations: stats[slot].evaluations + ('missing' in answer ? 0 : 1), cacheHits: hits, cacheMisses: misses, cacheBytes: bytes, residentCases, residentBytes });
      w.resolve(answer);
    });
    worker.on('error', (error) => (failure = error.message));
    // An answer that cannot be read names no job: the worker is stopped, which fails what it holds.
    worker.on('messageerror', (error) => {
      failure = `an answer could not be read (${error.message})`;
      void worker.terminate();
    });
    worker.on('exit', (code) => {
      if (workers[slot] !== worker) return;
      const reason = `the gate worker stopped${failure ? `: ${failure}` : ` (exit code ${code})`}`;
      for (const [job, w] of [...waiting]) if (w.slot === slot) settle(job)?.reject(new SluiceError('unavailable', '', reason));
      // Replaced when next needed, not here: a worker that cannot start would otherwise be restarted in a loop.
      workers[slot] = null;
      if (!closed) restarts++;
    });
    workers[slot] = worker;
    return worker;
  };

  /** Sends one job to the worker of `slot` (started when there is none) and waits for its answer. */
  const post = (slot: number, job: GateJob, transfer: ArrayBuffer[]): Promise<GateJobAnswer> =>
    new Promise<GateJobAnswer>((resolve, reject) => {
      waiting.set(job.job, { slot, resolve, reject });
      load[slot]++;
      try {
        (workers[slot] ?? start(slot)).postMessage(job, transfer);
      } catch (error) {
        settle(job.job);
        reject(error as Error);
      }
    });

  const routeOf = (key: string): Routed => {
    let routed = routes.get(key);
    if (routed) routes.delete(key);
    else {
      routed = { slot: load.indexOf(Math.min(...load)), generation: -1, shape: null };
      if (routes.size >= REMEMBERED) routes.delete(routes.keys().next().value as string);
    }
    routes.set(key, routed);
    return routed;
  };

  const verdictOf = (answer: GateJobAnswer): Verdict => {
    if ('verdict' in answer) return answer.verdict;
    if ('error' in answer) {
      const e = answer.error;
      throw e.code ? new SluiceError(e.code, e.path ?? '', e.issues?.[0]?.message ?? e.message, e.issues) : new Error(e.message);
    }
    throw new SluiceError('unavailable', '', 'the gate worker lost the batch it was sent');
  };

  return {
    get pending() {
      return waiting.size;
    },
    get restarts() {
      return restarts;
    },
    stats() {
      return stats.map((s) => ({ ...s }));
    },
    async evaluate(c, policy = {}) {
      if (closed) throw new SluiceError('unavailable', '', 'the gate runner is closed');
      const key = batchKey(c);
      const routed = routeOf(key);
      const { slot } = routed;
      const shape = shapeOf(c);
      // The batch's series are with this worker already (same worker, not restarted, same hosts):
      // send what changed. A worker that dropped them answers `missing`, and gets the whole case.
      if (routed.shape === shape && routed.generation === generation[slot] && workers[slot]) {
        const update = windowUpdate(c);
        stats[slot].sentUpdates++;
        const answer = await post(slot, { job: nextJob++, key, policy, kind: 'window', update }, [update.window.buffer as ArrayBuffer]);
        if (!('missing' in answer)) return verdictOf(answer);
      }
      const { message, transfer, hosts } = packed(c, move);
      const worker = workers[slot] ?? start(slot);
      stats[slot].sentWhole++;
      const answer = await post(slot, { job: nextJob++, key, policy, kind: 'full', case: message, moved: move }, transfer);
      if (hosts && answer.series) answer.series.forEach((values, i) => (hosts[i].values = values));
      if (workers[slot] === worker) Object.assign(routed, { generation: generation[slot], shape });
      return verdictOf(answer);
    },
    async close() {
      closed = true;
      for (const [job] of [...waiting]) settle(job)?.reject(new SluiceError('unavailable', '', 'the gate runner is closed'));
      await Promise.all(workers.map((w) => w?.terminate()));
    },
  };
}

/** Whether `buffer` was transferred away (Node 20 has no `ArrayBuffer.prototype.detached`: a view on it cannot be made). */
function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength > 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/**
 * The case as sent: a series that is a view into a larger buffer is sliced (a structured clone
 * would copy the whole buffer); with `move`, every series' buffer is transferred and the host
 * objects are returned so the answer's series can be put back into them.
 */
function packed(c: ParsedCase, move: boolean): { message: ParsedCase; transfer: ArrayBuffer[]; hosts: HostSeries[] | null } {
  const seen = new Set<ArrayBufferLike>();
  const transfer: ArrayBuffer[] = [];
  const send = (h: HostSeries): HostSeries => {
    let values = h.values;
    // Sent again, a moved-away (detached) buffer would be dropped on the way without an error.
    if (isDetached(values.buffer)) throw new SluiceError('invalid_input', 'metrics', `the series of host "${h.host}" was moved to a gate worker and is not back yet: a case is judged once at a time with \`move\``);
    const own = values.byteOffset === 0 && values.byteLength === values.buffer.byteLength && values.buffer instanceof ArrayBuffer && !seen.has(values.buffer);
    if (!own) values = values.slice();
    seen.add(values.buffer);
    if (move) transfer.push(values.buffer as ArrayBuffer);
    return { host: h.host, values };
  };
  const message: ParsedCase = { ...c, metrics: c.metrics.map((m) => ({ ...m, released: m.released.map(send), unreleased: m.unreleased.map(send) })) };
  // The worker sends moved series back in `hostsOf` order of the message, which is this case's.
  return { message, transfer, hosts: move ? hostsOf(c) : null };
}
