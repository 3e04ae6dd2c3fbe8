/**
 * How an unattended release on the simulated fleet fares, minute by minute: batches of 20 of its
 * 80 hosts (40 unreleased hosts as the control, as the fleet's judge reads them) deployed every 37
 * minutes around the clock, judged by the default gate after each minute of the window — healthy
 * ones (a FAIL rolls a good release back), the fleet's bad build (latency ×1.4, error rate +2.5
 * points, CPU ×1.15, a new fatal exception; a PASS lets it go on) and a subtle one (latency ×1.05
 * alone). A batch watched for the fleet's 5 minutes stops at its first FAIL; the per-batch columns
 * count a batch as failed when any of its evaluations up to that minute failed. Then the same for
 * 40 hosts released all at once (no unreleased hosts: judged against their own past and each
 * other), deployed every 97 minutes, from minute 3 (before it, too few points to judge).
 */
import type { ParsedCase } from '../src/datasets/case.js';
import { fleetBatch } from '../service/fleet/batch.js';
import { versionEffectSchema, type VersionEffect } from '../service/fleet/model.js';
import { evaluate } from '../src/gate/evaluate.js';
import { report, type BenchOptions, type Row } from './lib/harness.js';

const MINUTE = 60_000;
const FIRST = Date.UTC(2026, 11, 3);

/** Judges `batches` deployments after each of `minutes`; one row per version and minute. */
function minuteByMinute(versions: readonly (readonly [string, VersionEffect | null])[], batches: number, minutes: number[], batchOf: (b: number, effect: VersionEffect | null) => ParsedCase, progress: string): Row[] {
  const lastMinute = minutes[minutes.length - 1];
  const started = Date.now();
  const rows: Row[] = [];
  for (const [label, effect] of versions) {
    // decisions[i]: counts at minutes[i]; firstFail[b]: the first minute batch b failed (Infinity: never).
    const decisions = minutes.map(() => ({ PASS: 0, INCONCLUSIVE: 0, FAIL: 0 }));
    const firstFail: number[] = [];
    for (let b = 0; b < batches; b++) {
      const full = batchOf(b, effect);
      let first = Infinity;
      minutes.forEach((m, i) => {
        const cut = full.metrics[0].released[0].values.length - lastMinute + m;
        const at = { ...full, metrics: full.metrics.map((x) => ({ ...x, released: x.released.map((h) => ({ host: h.host, values: h.values.subarray(0, cut) })), unreleased: x.unreleased.map((h) => ({ host: h.host, values: h.values.subarray(0, cut) })) })), logs: full.logs.filter((e) => e.t < full.start + cut * MINUTE) };
        const decision = evaluate(at).decision;
        decisions[i][decision]++;
        if (decision === 'FAIL' && first === Infinity) first = m;
      });
      firstFail.push(first);
      if ((b + 1) % Math.max(1, Math.floor(batches / 4)) === 0) console.error(`fleet-batches: ${progress}${label} ${b + 1}/${batches} batches (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
    minutes.forEach((m, i) => {
      const d = decisions[i];
      const failedBy = firstFail.filter((f) => f <= m).length;
      rows.push({ version: label, minute: m, batches, PASS: d.PASS, INCONCLUSIVE: d.INCONCLUSIVE, FAIL: d.FAIL, 'batches failed by then': failedBy, 'share failed by then': Number((failedBy / batches).toFixed(3)) });
    });
  }
  return rows;
}

export async function run(options: BenchOptions): Promise<void> {
  const batches = options.quick ? 12 : 200;
  const lastMinute = options.quick ? 6 : 12;
  const minutes = Array.from({ length: lastMinute }, (_, i) => i + 1);
  const bad = versionEffectSchema.parse({});
  const subtle = versionEffectSchema.parse({ latency: 1.05, errorRate: 0, cpu: 1, fatal: '', fatalRate: 0 });
  const versions = [['healthy', null], ['bad build', bad], ['latency ×1.05', subtle]] as const;
  const rows = minuteByMinute(versions, batches, minutes, (b, effect) => fleetBatch({ deployedAt: FIRST + b * 37 * MINUTE, minutes: lastMinute, effect }), '');
  report(`fleet batches: the default gate on the simulated fleet's batches, minute by minute (${batches} deployments 37 minutes apart)`, rows);

  const whole = options.quick ? 8 : 96;
  const wholeMinutes = Array.from({ length: lastMinute - 2 }, (_, i) => i + 3);
  const wholeRows = minuteByMinute([versions[0], versions[2]], whole, wholeMinutes, (b, effect) => fleetBatch({ hosts: 40, released: 40, control: 0, deployedAt: FIRST + b * 97 * MINUTE, minutes: lastMinute, effect }), 'all released, ');
  report(`fleet batches, all 40 hosts released at once (no unreleased hosts; ${whole} deployments 97 minutes apart)`, wholeRows);
}
