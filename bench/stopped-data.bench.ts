/**
 * Data that stopped meaning anything is never a PASS: healthy v1-world batches (and batches of a
 * new fatal exception, for the logs) with their released hosts' data broken after the release —
 * one metric frozen at its last value, one reading 0, one silent, the logs cut — judged by the
 * default gate, and with the check that catches each turned off where the policy has a switch. The
 * counts of PASS, INCONCLUSIVE and FAIL are what the README's stopped-reporting section quotes.
 */
import { generateCase, v1Preset, type CaseKind } from '../datasets/generator/index.js';
import type { ParsedCase } from '../src/datasets/case.js';
import { evaluate } from '../src/gate/evaluate.js';
import type { PolicyInput } from '../src/gate/policy.js';
import { report, type BenchOptions, type Row } from './lib/harness.js';

const cutOf = (c: ParsedCase) => Math.ceil((c.release.deployedAt - c.start) / c.step);

/** Case `i`'s metric `i mod metrics` on every released host, from the release on, as `value(host values, cut)`. */
function breakMetric(c: ParsedCase, i: number, value: (v: Float64Array, cut: number) => number): ParsedCase {
  const cut = cutOf(c);
  const target = c.metrics[i % c.metrics.length].name;
  return {
    ...c,
    metrics: c.metrics.map((m) => (m.name !== target ? m : { ...m, released: m.released.map((h) => ({ host: h.host, values: Float64Array.from(h.values, (x, j) => (j >= cut ? value(h.values, cut) : x)) })) })),
  };
}

/** The released hosts' log events from the release on removed. */
function cutLogs(c: ParsedCase): ParsedCase {
  const released = new Set(c.metrics.flatMap((m) => m.released.map((h) => h.host)));
  return { ...c, logs: c.logs.filter((e) => !(released.has(e.host) && e.t >= c.release.deployedAt)) };
}

export async function run(options: BenchOptions): Promise<void> {
  const count = options.quick ? 10 : 40;
  const batches = (kind: CaseKind) => Array.from({ length: count }, (_, i) => generateCase(v1Preset, 5000 + i, kind));
  const healthy = batches('normal');
  const fatal = batches('new fatal exception');
  const scenarios: { data: string; cases: ParsedCase[]; check: string; off?: PolicyInput }[] = [
    { data: 'as generated (healthy)', cases: healthy, check: '—' },
    { data: 'one metric frozen at its last value before the release', cases: healthy.map((c, i) => breakMetric(c, i, (v, cut) => v[cut - 1])), check: 'frozenPoints', off: { minData: { frozenPoints: 0 } } },
    { data: 'one metric reading 0', cases: healthy.map((c, i) => breakMetric(c, i, () => 0)), check: 'frozenPoints', off: { minData: { frozenPoints: 0 } } },
    { data: 'one metric silent (no point)', cases: healthy.map((c, i) => breakMetric(c, i, () => NaN)), check: 'silentPoints' },
    { data: 'new fatal exception, as generated', cases: fatal, check: '—' },
    { data: 'new fatal exception, released hosts\' logs cut at the release', cases: fatal.map(cutLogs), check: 'silentLogsAlpha', off: { minData: { silentLogsAlpha: 0 } } },
  ];
  const rows: Row[] = [];
  for (const s of scenarios) {
    for (const [on, policy] of [[true, {}], ...(s.off ? [[false, s.off]] : [])] as [boolean, PolicyInput][]) {
      const tally = { PASS: 0, INCONCLUSIVE: 0, FAIL: 0 };
      for (const c of s.cases) tally[evaluate(c, policy).decision]++;
      rows.push({ data: s.data, check: s.check === '—' ? '—' : `${s.check} ${on ? 'on' : 'off'}`, cases: s.cases.length, PASS: tally.PASS, INCONCLUSIVE: tally.INCONCLUSIVE, FAIL: tally.FAIL });
    }
  }
  report(`stopped data: decisions on v1-world batches 5000–${5000 + count - 1} with the released hosts' data broken after the release`, rows);
}
