/**
 * The gate on the service's own thread or on worker threads (`gateWorkers`, the service's
 * default): how long the calling thread is blocked while batches are judged — its event-loop
 * delay, which every HTTP request and orchestrator step waits behind — and how many evaluations
 * a second get done. Several batches are judged at once, each first and then re-judged a few
 * times (the minutes of an observation window), as an orchestrator running releases does.
 */
import { performance } from 'node:perf_hooks';
import type { ParsedCase } from '../src/datasets/case.js';
import { inThreadRunner, type GateRunner } from '../src/gate/runner.js';
import { gateWorkers } from '../src/gate/workers.js';
import { syntheticCase } from './gate.bench.js';
import { report, type BenchOptions, type Row } from './lib/harness.js';

/** Judges every batch `rounds` times (batches at once, each batch's rounds in turn). */
async function judgeAll(runner: GateRunner, batches: ParsedCase[], rounds: number): Promise<void> {
  await Promise.all(batches.map(async (c) => {
    for (let r = 0; r < rounds; r++) await runner.evaluate(c);
  }));
}

/**
 * Watches the calling thread: a 1 ms timer whose late firings are the stalls (the time the
 * thread could not answer anything). `stop` waits for one more firing, so a stall still going on
 * is counted.
 */
function stallMonitor(): { stop: () => Promise<{ longestMs: number; over50: number }> } {
  let last = performance.now();
  let longestMs = 0;
  let over50 = 0;
  const tick = () => {
    const now = performance.now();
    const gap = now - last - 1;
    if (gap > longestMs) longestMs = gap;
    if (gap > 50) over50++;
    last = now;
  };
  const timer = setInterval(tick, 1);
  return {
    stop: () => new Promise((resolve) => setTimeout(() => {
      tick();
      clearInterval(timer);
      resolve({ longestMs, over50 });
    }, 0)),
  };
}

export async function run(options: BenchOptions): Promise<void> {
  const size = options.quick ? { metrics: 6, released: 10, unreleased: 90, days: 1, batches: 4, rounds: 3 } : { metrics: 20, released: 20, unreleased: 180, days: 2, batches: 8, rounds: 5 };
  const batches = Array.from({ length: size.batches }, (_, i) => {
    const c = syntheticCase(size.metrics, size.released, size.unreleased, size.days);
    // Each batch its own app: no two share fitted history in a cache, as in a real fleet.
    return { ...c, id: `${c.id}-b${i}`, app: `bench-${i}`, release: { ...c.release, batch: i + 1 } };
  });
  const modes: { name: string; workers: number; make: () => GateRunner }[] = [
    { name: 'service thread', workers: 0, make: () => inThreadRunner() },
    { name: '1 worker', workers: 1, make: () => gateWorkers({ workers: 1, move: true }) },
    { name: '2 workers', workers: 2, make: () => gateWorkers({ workers: 2, move: true }) },
  ];
  const rows: Row[] = [];
  for (const mode of modes) {
    const runner = mode.make();
    // Warm-up, as in a service that has been running a while: each worker starts, loads the gate
    // and compiles it on batches of the same size (other apps: nothing shared with the batches
    // timed). Batches seen at once go to different workers.
    const warm = Array.from({ length: Math.max(1, mode.workers) }, (_, i) => ({ ...syntheticCase(size.metrics, size.released, size.unreleased, size.days), app: `warm-${i}` }));
    await judgeAll(runner, warm, size.rounds);
    const stalls = stallMonitor();
    const started = performance.now();
    await judgeAll(runner, batches, size.rounds);
    const seconds = (performance.now() - started) / 1000;
    const stall = await stalls.stop();
    await runner.close();
    const evaluations = size.batches * size.rounds;
    rows.push({
      runner: mode.name, batches: size.batches, evaluationsEach: size.rounds, metrics: size.metrics, hosts: size.released + size.unreleased, historyDays: size.days,
      evaluationsPerSecond: evaluations / seconds,
      longestStallMs: stall.longestMs, stallsOver50Ms: stall.over50,
    });
  }
  report('gate: judging on the service thread or on worker threads (event-loop delay of the calling thread)', rows);
}
