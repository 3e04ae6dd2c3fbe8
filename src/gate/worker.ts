/**
 * A gate worker thread: judges the cases it is sent with its own cache and its own copies of the
 * batches' series (the pool sends every evaluation of one batch to the same worker: the first
 * whole, the later ones as the points from the release on; see resident.ts). Series moved to it
 * go back with the verdict.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SluiceError } from '../core/errors.js';
import type { ParsedCase } from '../datasets/case.js';
import { GateCache } from './cache.js';
import { evaluate } from './evaluate.js';
import { ResidentCases, seriesOf } from './resident.js';
import type { GateJob, GateJobAnswer } from './workers.js';

const options = workerData as { cacheEntries: number; cacheBytes: number; residentCases: number; residentBytes: number };
const cache = new GateCache(options.cacheEntries, options.cacheBytes);
const resident = new ResidentCases(options.residentCases, options.residentBytes);

const counters = () => ({ hits: cache.hits, misses: cache.misses, bytes: cache.bytes, residentCases: resident.size, residentBytes: resident.bytes });

// A job that cannot be read has no id to answer: stopping fails every job this worker holds, with
// the reason, instead of leaving one waiting for ever.
parentPort?.on('messageerror', (error) => {
  console.error(`sluice gate worker: a job could not be read (${error.message})`);
  process.exit(70);
});

parentPort?.on('message', (job: GateJob) => {
  let c: ParsedCase | null;
  try {
    c = job.kind === 'full' ? resident.keep(job.key, job.case) : resident.update(job.key, job.update);
  } catch {
    // Out of memory for the copy: judge the case as sent and keep nothing.
    c = job.kind === 'full' ? job.case : null;
  }
  let answer: GateJobAnswer;
  if (!c) answer = { job: job.job, missing: true, counters: counters() };
  else {
    try {
      answer = { job: job.job, verdict: evaluate(c, job.policy, { cache }), counters: counters() };
    } catch (error) {
      const e = error as Error;
      answer = { job: job.job, counters: counters(), error: error instanceof SluiceError ? { message: e.message, code: error.code, path: error.path, issues: error.issues } : { message: e.message } };
    }
  }
  if (job.kind === 'full' && job.moved) {
    const series = seriesOf(job.case);
    parentPort?.postMessage({ ...answer, series }, series.map((v) => v.buffer as ArrayBuffer));
  } else parentPort?.postMessage(answer);
});
