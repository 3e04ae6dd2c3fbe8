/**
 * Accuracy, the seed's table: precision, recall, F1, false positives and false negatives of each
 * method on the test split of the shipped dataset, then the gate on cases it has never seen (the
 * `unseen` generator preset: other seed, fleet and fault magnitudes), the same world with v1's
 * fault magnitudes, and (full pass) 2000 fresh cases of the v1 world, also with the released hosts
 * new (no history of their own) and with every other released host new. Every F1 and gap comes
 * with its 95 % interval (src/replay/uncertainty.ts): a test split of 176 cases measures F1 to
 * about ±0.02.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCases, unseenPreset, v1Preset, withoutReleasedHistory } from '../datasets/generator/index.js';
import type { ParsedCase } from '../src/datasets/case.js';
import { readDataset, readSplit } from '../src/datasets/dataset.js';
import { parseReplayConfig, seedTableConfigs } from '../src/replay/config.js';
import { accuracy } from '../src/replay/metrics.js';
import type { CaseOutcome } from '../src/replay/metrics.js';
import { replayAll } from '../src/replay/pool.js';
import { accuracyIntervals, f1Gap, type Interval } from '../src/replay/uncertainty.js';
import { SEED_HEADER, seedRow, summary } from '../service/commands/replay.js';
import type { BenchOptions } from './lib/harness.js';

const dataset = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'datasets', 'release-cases-v1');

export async function run(options: BenchOptions): Promise<void> {
  const { cases } = await readDataset(dataset);
  const split = await readSplit(dataset);
  const test = new Set(split?.test ?? []);
  const testCases = cases.filter((c) => test.has(c.id));
  const rows: string[] = [];
  let gateF1 = 0;
  let gateOutcomes: CaseOutcome[] = [];
  for (const config of seedTableConfigs()) {
    const started = Date.now();
    const outcomes = await replayAll(testCases, config);
    const a = accuracy(outcomes);
    if (config.name === 'Sluice gate') {
      gateF1 = a.f1;
      gateOutcomes = outcomes;
    }
    console.log(`BENCH ${JSON.stringify({ bench: 'accuracy: seed table', split: 'test', method: config.name, seconds: (Date.now() - started) / 1000, ...summary(a), byKind: undefined, byCategory: undefined })}`);
    rows.push(seedRow(config.name, a));
  }
  console.log(`\naccuracy: release-cases-v1, test split (${testCases.length} cases; INCONCLUSIVE counts as flagged)\n${SEED_HEADER}\n${rows.join('\n')}\n`);
  const range = (x: Interval) => `${x.low.toFixed(3)}–${x.high.toFixed(3)}`;
  const testIntervals = accuracyIntervals(gateOutcomes);
  console.log(`the gate on the test split, 95 % intervals: F1 ${gateF1.toFixed(3)} (${range(testIntervals.f1)}), false-positive rate ${(testIntervals.falsePositiveRate.estimate * 100).toFixed(1)} % (${(testIntervals.falsePositiveRate.low * 100).toFixed(1)}–${(testIntervals.falsePositiveRate.high * 100).toFixed(1)} %)\n`);

  // Never-seen cases: the unseen preset as it is, then the same world (seed, apps, fleet sizes,
  // noise, mix) with v1's fault sizes, which separates a new world from smaller faults; then, in
  // the full pass, 2000 fresh cases of the v1 world (indices past the shipped 600) for per-kind
  // recall on more than a test split's handful of cases.
  const count = options.quick ? 100 : unseenPreset.cases;
  const sets: { name: string; label: string; cases: ParsedCase[] }[] = [
    { name: 'unseen', label: 'preset unseen', cases: [...generateCases(unseenPreset, { count })] },
    { name: 'unseen, v1 sizes', label: 'unseen world with v1 fault sizes', cases: [...generateCases({ ...unseenPreset, effects: v1Preset.effects }, { count })] },
  ];
  if (!options.quick) {
    const fresh = [...generateCases(v1Preset, { count: 2600, from: 600 })];
    sets.push({ name: 'fresh v1', label: 'v1 world, cases 600–2599', cases: fresh });
    // Released hosts new with the release (pods of a rolling update): no history of their own,
    // so only the released-vs-unreleased comparison judges them.
    sets.push({ name: 'new released hosts', label: 'the fresh v1 cases with unreleased hosts, the released hosts\' history removed', cases: fresh.filter((c) => c.metrics.every((m) => m.unreleased.length > 0)).map((c) => withoutReleasedHistory(c)) });
    // Some released hosts new beside hosts with a past (a scale-out with the release).
    sets.push({ name: 'part new', label: 'the fresh v1 cases with unreleased hosts and two or more released, every other released host\'s history removed', cases: fresh.filter((c) => c.metrics.every((m) => m.unreleased.length > 0 && m.released.length >= 2)).map((c) => withoutReleasedHistory(c, (j) => j % 2 === 1)) });
  }
  const rowsOut: string[] = [];
  for (const set of sets) {
    const outcomes = await replayAll(set.cases, parseReplayConfig({}));
    const a = accuracy(outcomes);
    const f1 = accuracyIntervals(outcomes).f1;
    const gap = f1Gap(gateOutcomes, outcomes);
    console.log(`BENCH ${JSON.stringify({ bench: `accuracy: ${set.name}`, ...summary(a), byCategory: undefined, f1Interval: [f1.low, f1.high], f1GapToTest: gap.estimate, f1GapInterval: [gap.low, gap.high] })}`);
    const weakest = Object.entries(a.byKind).filter(([, k]) => k.bad).sort(([, x], [, y]) => x.rate - y.rate).slice(0, 3).map(([kind, k]) => `${kind} ${(k.rate * 100).toFixed(0)} % of ${k.cases}`).join(', ');
    rowsOut.push(`${seedRow(set.name, a)}  F1 ${range(f1)}  gap ${gap.estimate.toFixed(3)} (${range(gap)})  FPR ${(a.falsePositiveRate * 100).toFixed(1)} %  (${set.cases.length} cases, ${set.label}; weakest recall: ${weakest})`);
  }
  console.log(`\naccuracy: the gate on never-seen cases (F1 and its gap to the test split with 95 % intervals; goal: gap ≤ 0.03)\n${SEED_HEADER}\n${rowsOut.join('\n')}\n`);
}
