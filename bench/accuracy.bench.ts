/**
 * Accuracy, the seed's table: precision, recall, F1, false positives and false negatives of each
 * method on the test split of the shipped dataset, then the gate on cases it has never seen (the
 * `unseen` generator preset: other seed, fleet and fault magnitudes).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCases, unseenPreset } from '../datasets/generator/index.js';
import { readDataset, readSplit } from '../src/datasets/dataset.js';
import { parseReplayConfig, seedTableConfigs } from '../src/replay/config.js';
import { accuracy } from '../src/replay/metrics.js';
import { replayAll } from '../src/replay/pool.js';
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
  for (const config of seedTableConfigs()) {
    const started = Date.now();
    const a = accuracy(await replayAll(testCases, config));
    if (config.name === 'Sluice gate') gateF1 = a.f1;
    console.log(`BENCH ${JSON.stringify({ bench: 'accuracy: seed table', split: 'test', method: config.name, seconds: (Date.now() - started) / 1000, ...summary(a), byKind: undefined, byCategory: undefined })}`);
    rows.push(seedRow(config.name, a));
  }
  console.log(`\naccuracy: release-cases-v1, test split (${testCases.length} cases; INCONCLUSIVE counts as flagged)\n${SEED_HEADER}\n${rows.join('\n')}\n`);

  const unseen = [...generateCases(unseenPreset, { count: options.quick ? 100 : unseenPreset.cases })];
  const a = accuracy(await replayAll(unseen, parseReplayConfig({})));
  console.log(`BENCH ${JSON.stringify({ bench: 'accuracy: unseen', cases: unseen.length, ...summary(a), byKind: undefined, byCategory: undefined, f1GapToTest: gateF1 - a.f1 })}`);
  console.log(`\naccuracy: the gate on ${unseen.length} never-seen cases (preset unseen)\n${SEED_HEADER}\n${seedRow('Sluice gate', a)}\nF1 gap to the test split: ${(gateF1 - a.f1).toFixed(3)} (goal ≤ 0.03)\n`);
}
