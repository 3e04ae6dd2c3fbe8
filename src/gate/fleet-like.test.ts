import { describe, expect, it } from 'vitest';
import { createRandom, seedFrom } from '../core/random.js';
import type { ParsedCase, ParsedMetric } from '../datasets/case.js';
import { evaluate } from './evaluate.js';

/**
 * Batches as a service's fleet produces them: traffic on a daily cycle (0.4…1.6), hosts of
 * different sizes and speeds, a few percent of noise, two days of one-minute history; a batch is
 * 10 % of the fleet and the unreleased 90 % are the control; the batch is judged every minute of a
 * five-minute window. Healthy batches should PASS at every minute, a bad build FAIL.
 */
const MINUTE = 60_000;
const DAY = 86_400_000;

const traffic = (t: number): number => 1 + 0.6 * Math.cos((2 * Math.PI * (((t / 3_600_000) % 24) - 6)) / 24);

const metrics = [
  { name: 'system.cpu_util', category: 'system', direction: 'up', critical: false },
  { name: 'container.jvm_heap_pct', category: 'container', direction: 'up', critical: false },
  { name: 'rpc.rt', category: 'middleware', direction: 'up', critical: false },
  { name: 'rpc.qps', category: 'middleware', direction: 'both', critical: false },
  { name: 'app.error_rate', category: 'application', direction: 'up', critical: true },
  { name: 'business.order_count', category: 'business', direction: 'down', critical: false },
] as const;

/** A bad version's effect on the released hosts from the deployment on (the fleet's default bad build). */
interface Effect {
  latency: number;
  errorRate: number;
  cpu: number;
}

/** One batch: `released` and `unreleased` hosts, deployed at `deployedAt`, observed `window` minutes; healthy unless `effect`. */
function fleetCase(seed: number, deployedAt: number, released: number, unreleased: number, window: number, effect?: Effect): ParsedCase {
  const start = deployedAt - 2 * DAY;
  const length = (deployedAt - start) / MINUTE + window;
  const random = createRandom(seedFrom('fleet-like', seed));
  const hosts = Array.from({ length: released + unreleased }, (_, i) => {
    const size = random.logNormal(0, 0.1);
    const speed = random.logNormal(0, 0.05);
    const values = metrics.map(() => new Float64Array(length));
    const r = random.fork(i);
    for (let k = 0; k < length; k++) {
      const t = start + k * MINUTE;
      const bad = effect && i < released && t >= deployedAt ? effect : null;
      const load = traffic(t);
      const qps = 120 * size * load * (1 + 0.04 * r.normal());
      const errors = Math.max(0, (0.4 + (bad?.errorRate ?? 0)) * (1 + 0.1 * r.normal()));
      values[0][k] = Math.round(10 * Math.min(100, 8 + 30 * size * load * (bad?.cpu ?? 1) + 1.5 * r.normal())) / 10;
      values[1][k] = Math.round(10 * (52 + 6 * load + 1.2 * r.normal())) / 10;
      values[2][k] = Math.round(100 * (18 + 6 * load) * speed * (bad?.latency ?? 1) * (1 + 0.05 * r.normal())) / 100;
      values[3][k] = Math.round(10 * qps) / 10;
      values[4][k] = Math.round(1000 * errors) / 1000;
      values[5][k] = r.poisson(qps * 0.6 * (1 - errors / 100));
    }
    return { host: `host-${i}`, values };
  });
  const group = (from: number, to: number, m: number) => hosts.slice(from, to).map((h) => ({ host: h.host, values: h.values[m] }));
  const parsed: ParsedMetric[] = metrics.map((m, j) => ({ ...m, released: group(0, released, j), unreleased: group(released, released + unreleased, j) }));
  return { id: `fleet-${seed}`, app: 'fleet', release: { deployedAt }, step: MINUTE, start, metrics: parsed, logs: [] };
}

/** The case judged after `minutes` of its window (the orchestrator's evaluation at that minute). */
function after(c: ParsedCase, minutes: number): ParsedCase {
  const length = Math.ceil((c.release.deployedAt - c.start) / c.step) + minutes;
  const cut = (hosts: ParsedMetric['released']) => hosts.map((h) => ({ host: h.host, values: h.values.subarray(0, length) }));
  return { ...c, metrics: c.metrics.map((m) => ({ ...m, released: cut(m.released), unreleased: cut(m.unreleased) })) };
}

describe('evaluate(case): batches of a fleet (10 % released, the rest unreleased) at the default sensitivity', () => {
  it('judged every minute of a five-minute window, no healthy batch fails', () => {
    const base = Date.UTC(2026, 10, 20);
    let worst = 0;
    // Deployment times over the day; in runs 31 and 32 a rank test on three or four minutes alone
    // (auc and dtw want five) scored a critical error rate 71.8 and qps 62.4: FAIL on noise.
    for (const run of [0, 2, 6, 31, 32, 35]) {
      const c = fleetCase(run, base + run * 97 * MINUTE + 7 * MINUTE, 20, 64, 5);
      for (let minutes = 3; minutes <= 5; minutes++) {
        const v = evaluate(after(c, minutes));
        worst = Math.max(worst, v.score);
        expect(v.decision, `run ${run}, minute ${minutes}: ${v.reasons.join('; ')}`).toBe('PASS');
      }
    }
    expect(worst).toBeGreaterThan(0);
  }, 60_000);

  it('a bad build (latency ×1.4, error rate +2.5 points, CPU ×1.15) still fails from minute 3 on its metrics alone', () => {
    for (const run of [31, 32]) {
      const c = fleetCase(run, Date.UTC(2026, 10, 20) + run * 97 * MINUTE + 7 * MINUTE, 20, 64, 5, { latency: 1.4, errorRate: 2.5, cpu: 1.15 });
      for (let minutes = 3; minutes <= 5; minutes++) {
        const v = evaluate(after(c, minutes));
        expect(v.decision, `run ${run}, minute ${minutes}: ${v.reasons.join('; ')}`).toBe('FAIL');
        expect(v.metrics.find((m) => m.name === 'rpc.rt')!.anomalous).toBe(true);
      }
    }
  }, 60_000);

  it('a sum (qps) over 20 released and 180 unreleased hosts is compared per host: the daily ramp alone does not score', () => {
    // 06:00–09:00 local: the traffic climbs fastest, so sums over unequal host counts drift apart most.
    for (const hour of [7, 19]) {
      const c = fleetCase(100 + hour, Date.UTC(2026, 10, 21, hour, 3), 20, 180, 5);
      const v = evaluate(c, { maxControlHosts: 180 });
      const qps = v.metrics.find((m) => m.name === 'rpc.qps')!;
      expect(qps.status).toBe('ok');
      expect(qps.score, qps.reasons.join('; ')).toBeLessThan(50);
      expect(v.decision, v.reasons.join('; ')).toBe('PASS');
    }
  }, 60_000);
});
