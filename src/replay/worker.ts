/**
 * A replay worker: receives batches of cases with a configuration and answers their outcomes.
 */
import { parentPort } from 'node:worker_threads';
import type { ParsedCase } from '../datasets/case.js';
import type { ReplayConfig } from './config.js';
import { replayCase } from './replay.js';

parentPort?.on('message', (message: { job: number; config: ReplayConfig; cases: ParsedCase[]; splits: ('train' | 'test' | undefined)[] }) => {
  const outcomes = message.cases.map((c, i) => replayCase(c, message.config, message.splits[i]).outcome);
  parentPort?.postMessage({ job: message.job, outcomes });
});
