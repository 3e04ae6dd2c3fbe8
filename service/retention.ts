/**
 * Retention: what the service deletes as data ages, so that a service judging batches every
 * minute for months does not fill its disk. Every evaluation records its whole input (a batch's
 * history once, each minute's window per row), the built-in ingest keeps every metric point and
 * exception event it is sent, and nothing else removes them.
 *
 * - Evaluation inputs older than `evaluationInputsDays` lose their series and logs (the verdict,
 *   score, reasons and report stay); evaluations with feedback keep theirs, since the labeled
 *   record is what replay and export read. History blobs no input refers to any more go too.
 * - Metric points and exception events of the built-in ingest older than `metricsDays` and
 *   `logsDays`. The gate reads two days of history by default and up to a week for weekly
 *   seasons, hence the floors.
 *
 * A pass runs every `everyMinutes` of real time; ages are read off the service's clock (the
 * demo's accelerated one too). Each pass that deletes anything is written to the audit log.
 */
import { z } from 'zod';
import { serialQueue } from '../src/core/serial.js';
import type { Store } from './ports/store.js';

const DAY = 86_400_000;

/** `0` keeps for ever; otherwise at least `min` days. */
const days = (fallback: number, min: number, why: string) =>
  z.number().min(0).default(fallback).refine((d) => d === 0 || d >= min, { message: `must be 0 (keep for ever) or at least ${min} days: ${why}` });

export const retentionConfigSchema = z.object({
  /** Days an evaluation keeps its recorded input unless it has feedback (0: for ever). */
  evaluationInputsDays: days(30, 1, 'a batch is judged from its recorded input while it is observed'),
  /** Days of points the built-in metric ingest keeps (0: for ever). */
  metricsDays: days(35, 8, 'the gate reads up to a week of history'),
  /** Days of exception events the built-in log ingest keeps (0: for ever). */
  logsDays: days(14, 3, 'the gate reads two days of logs before a release by default'),
  /** Minutes of real time between passes. */
  everyMinutes: z.number().int().min(1).max(1440).default(60),
});
export type RetentionConfig = z.output<typeof retentionConfigSchema>;

/** What retention works on: the store and the built-in ingest (anything with `prune(before)`). */
export interface RetentionTargets {
  store: Pick<Store, 'pruneEvaluationInputs' | 'appendAudit'>;
  metrics: { prune(before: number): number };
  logs: { prune(before: number): number };
}

export interface RetentionPass {
  evaluationInputs: number;
  blobs: number;
  points: number;
  logEvents: number;
}

/** One pass at clock time `now` (epoch ms): deletes what is older than each setting allows. */
export async function pruneOnce(targets: RetentionTargets, config: RetentionConfig, now: number): Promise<RetentionPass> {
  const before = (d: number) => now - d * DAY;
  const pass: RetentionPass = { evaluationInputs: 0, blobs: 0, points: 0, logEvents: 0 };
  if (config.evaluationInputsDays > 0) {
    const pruned = await targets.store.pruneEvaluationInputs(before(config.evaluationInputsDays));
    pass.evaluationInputs = pruned.inputs;
    pass.blobs = pruned.blobs;
  }
  if (config.metricsDays > 0) pass.points = targets.metrics.prune(before(config.metricsDays));
  if (config.logsDays > 0) pass.logEvents = targets.logs.prune(before(config.logsDays));
  if (pass.evaluationInputs + pass.blobs + pass.points + pass.logEvents > 0) {
    const kept = (d: number) => (d > 0 ? `${d} d` : 'for ever');
    await targets.store.appendAudit({
      at: now, keyId: null, action: 'retention.prune', target: 'store', result: 'ok',
      detail: `${pass.evaluationInputs} evaluation inputs, ${pass.blobs} history blobs, ${pass.points} metric points, ${pass.logEvents} log events (kept: inputs ${kept(config.evaluationInputsDays)}, metrics ${kept(config.metricsDays)}, logs ${kept(config.logsDays)})`,
    });
  }
  return pass;
}

export interface RetentionTimer {
  /** Runs a pass now (after any pass in progress); resolves to what it deleted. */
  runNow(): Promise<RetentionPass>;
  stop(): Promise<void>;
}

/**
 * Runs `pruneOnce` every `everyMinutes`, one pass at a time. A failed pass is logged and retried
 * at the next tick; `onPass` sees every pass (for the service's counters).
 */
export function startRetention(targets: RetentionTargets, config: RetentionConfig, now: () => number, log: (line: string) => void, onPass: (pass: RetentionPass) => void = () => undefined): RetentionTimer {
  const serially = serialQueue();
  const run = (): Promise<RetentionPass> =>
    serially(async () => {
      const pass = await pruneOnce(targets, config, now());
      onPass(pass);
      return pass;
    });
  const timer = setInterval(() => {
    run().catch((error: unknown) => log(`retention: pass failed: ${error instanceof Error ? error.message : String(error)}`));
  }, config.everyMinutes * 60_000);
  timer.unref();
  return {
    runNow: run,
    async stop() {
      clearInterval(timer);
      // Queued behind any pass in progress: resolves once it is done.
      await serially(async () => undefined);
    },
  };
}
