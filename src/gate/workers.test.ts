import { afterEach, describe, expect, it } from 'vitest';
import { generateCase, v1Preset, type CaseKind } from '../../datasets/generator/index.js';
import { SluiceError } from '../core/errors.js';
import type { ParsedCase } from '../datasets/case.js';
import { GateCache } from './cache.js';
import { evaluate } from './evaluate.js';
import { inThreadRunner, type GateRunner } from './runner.js';
import { gateWorkers } from './workers.js';

const kinds: CaseKind[] = ['normal', 'level shift up', 'variance increase', 'traffic peak', 'new fatal exception', 'data gaps'];
const cases = (): ParsedCase[] => kinds.map((kind, i) => generateCase(v1Preset, 20_000 + i, kind));
/** Every series of a case, copied. */
const seriesOf = (c: ParsedCase): Float64Array[] => c.metrics.flatMap((m) => [...m.released, ...m.unreleased].map((h) => h.values.slice()));

const open: GateRunner[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

describe('gateWorkers', () => {
  it('gives the verdicts of evaluate on the calling thread, copying or moving the series', async () => {
    for (const move of [false, true]) {
      const pool = gateWorkers({ workers: 2, move });
      open.push(pool);
      const input = cases();
      const before = input.map(seriesOf);
      const verdicts = await Promise.all(input.map((c) => pool.evaluate(c, {})));
      verdicts.forEach((v, i) => expect(v).toEqual(evaluate(input[i], {})));
      // Moved series come back into the same case objects, value for value.
      input.forEach((c, i) => expect(seriesOf(c)).toEqual(before[i]));
      expect(new Set(verdicts.map((v) => v.decision))).toEqual(new Set(['PASS', 'FAIL']));
    }
  });

  it('sends every evaluation of one batch to the same worker, whose cache then hits', async () => {
    const pool = gateWorkers({ workers: 2 });
    open.push(pool);
    const c = generateCase(v1Preset, 20_100, 'level shift up');
    const other = generateCase(v1Preset, 20_101, 'normal');
    await Promise.all([pool.evaluate(c), pool.evaluate(other)]);
    for (let i = 0; i < 3; i++) await pool.evaluate(c);
    const stats = pool.stats();
    expect(stats.map((s) => s.evaluations).sort()).toEqual([1, 4]);
    const busy = stats.find((s) => s.evaluations === 4)!;
    expect(busy.cacheHits).toBeGreaterThan(busy.cacheMisses);
    // The same verdict as a fresh evaluation: the cache only saves work.
    expect(await pool.evaluate(c)).toEqual(evaluate(c, {}, { cache: new GateCache() }));
  });

  it('sends a batch whole once, then only its new minutes; verdicts stay those of evaluate as the window grows', async () => {
    for (const residentCases of [64, 1]) {
      const pool = gateWorkers({ workers: 1, move: true, residentCases });
      open.push(pool);
      const full = [generateCase(v1Preset, 20_700, 'level shift up'), generateCase(v1Preset, 20_701, 'variance increase')];
      // The batches as their observation windows fill: 4, 6, … 12 points after the release.
      const growing = (c: ParsedCase, points: number): ParsedCase => {
        const keep = c.metrics[0].released[0].values.length - 12 + points;
        const cut = (h: { host: string; values: Float64Array }) => ({ host: h.host, values: h.values.slice(0, keep) });
        return { ...c, metrics: c.metrics.map((m) => ({ ...m, released: m.released.map(cut), unreleased: m.unreleased.map(cut) })) };
      };
      for (let points = 4; points <= 12; points += 2) {
        // Two batches in turn: with room for one resident batch, each evaluation finds the other one there.
        for (const c of full) {
          const now = growing(c, points);
          expect(await pool.evaluate(now)).toEqual(evaluate(now, {}));
        }
      }
      const [stats] = pool.stats();
      expect(stats.evaluations).toBe(10);
      expect(stats.residentCases).toBe(Math.min(2, residentCases));
      // Room for both: each sent whole once, then as updates. Room for one: every update finds
      // the other batch there, and the whole case follows it.
      expect(stats.sentUpdates).toBe(8);
      expect(stats.sentWhole).toBe(residentCases === 1 ? 10 : 2);
    }
  });

  it('sends the whole case again when its hosts change', async () => {
    const pool = gateWorkers({ workers: 1 });
    open.push(pool);
    const c = generateCase(v1Preset, 20_800, 'level shift up');
    await pool.evaluate(c);
    const fewer = { ...c, metrics: c.metrics.map((m) => ({ ...m, unreleased: m.unreleased.slice(1) })) };
    expect(await pool.evaluate(fewer)).toEqual(evaluate(fewer, {}));
  });

  it('keeps the calling thread free while it judges', async () => {
    const pool = gateWorkers({ workers: 1 });
    open.push(pool);
    const c = generateCase(v1Preset, 20_200, 'normal');
    let done = false;
    const judged = pool.evaluate(c).then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    expect(pool.pending).toBe(1);
    await judged;
    expect(pool.pending).toBe(0);

    // On the calling thread the verdict is computed before the call returns.
    const inline = inThreadRunner();
    let inlineDone = false;
    const p = inline.evaluate(c).then(() => (inlineDone = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(inlineDone).toBe(true);
    await p;
  });

  it('rejects a bad policy with the field named, as evaluate throws', async () => {
    const pool = gateWorkers({ workers: 1 });
    open.push(pool);
    const c = generateCase(v1Preset, 20_300, 'normal');
    const error = await pool.evaluate(c, { failThreshold: 140 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SluiceError);
    expect((error as SluiceError).code).toBe('invalid_config');
    expect((error as SluiceError).path).toBe('failThreshold');
    // The worker is still there for the next batch.
    expect((await pool.evaluate(c)).decision).toBe('PASS');
  });

  it('fails the evaluations of a worker that dies, with the reason, and replaces it', async () => {
    const pool = gateWorkers({ workers: 1, maxMemoryMb: 24 });
    open.push(pool);
    // Many metrics of many hosts: more verdict objects than 24 MiB of heap hold.
    const big = generateCase(v1Preset, 20_400, 'normal');
    const metric = big.metrics[0];
    big.metrics = Array.from({ length: 3000 }, (_, i) => ({ ...metric, name: `m${i}.rt` }));
    const error = await pool.evaluate(big).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/the gate worker stopped: .*memory/);
    expect(pool.restarts).toBe(1);
    expect((await pool.evaluate(generateCase(v1Preset, 20_401, 'normal'))).decision).toBe('PASS');
  });

  it('refuses a case whose series are still with a worker (move), naming the host, and carries on', async () => {
    const pool = gateWorkers({ workers: 2, move: true });
    open.push(pool);
    const c = generateCase(v1Preset, 20_900, 'normal');
    // Two batches over the same host objects: the first lends their series to a worker.
    const other = { ...c, app: `${c.app}-other` };
    const [first, second] = await Promise.allSettled([pool.evaluate(c), pool.evaluate(other)]);
    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('rejected');
    expect(String((second as PromiseRejectedResult).reason)).toMatch(/series of host ".+" was moved to a gate worker and is not back yet/);
    // The series came back: the same case is judged again, as evaluate judges it.
    expect(await pool.evaluate(other)).toEqual(evaluate(other, {}));
    expect(pool.pending).toBe(0);
  });

  it('refuses work once closed', async () => {
    const pool = gateWorkers({ workers: 1 });
    await pool.close();
    await expect(pool.evaluate(generateCase(v1Preset, 20_500, 'normal'))).rejects.toThrow(/closed/);
  });
});
