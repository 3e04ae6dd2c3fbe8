/**
 * `sluice replay <dataset>`: judge every case of a dataset (JSON case files or Arrow) with a
 * configuration and print the seed-style table, the confusion matrix and recall per fault kind
 * and category, each figure with its interval (src/replay/uncertainty.ts). `--compare a.json b.json`
 * runs two configurations side by side and tests their difference; `--seed-table` runs the seed's
 * rows; `--tune` searches the FAIL threshold on the train split.
 */
import { readFileSync } from 'node:fs';
import { readDataset, readSplit } from '../../src/datasets/dataset.js';
import type { ParsedCase } from '../../src/datasets/case.js';
import { parseReplayConfig, seedTableConfigs, type ReplayConfig } from '../../src/replay/config.js';
import { accuracy, tuneThreshold, type Accuracy, type CaseOutcome } from '../../src/replay/metrics.js';
import { replayAll } from '../../src/replay/pool.js';
import { accuracyIntervals, compareOutcomes, describeComparison, uncertaintyOptionsSchema, type AccuracyIntervals, type Interval, type UncertaintyOptions } from '../../src/replay/uncertainty.js';
import { parseConfig } from '../../src/core/config.js';
import { optionString, parseArgs } from './args.js';
import { progressBar } from './progress.js';

const HELP = `usage: sluice replay <dataset> [--config FILE] [--compare A B] [--seed-table] [--split all|train|test]
                     [--tune --max-fpr 0.02] [--level 0.95] [--resamples 2000] [--json] [--workers N]

  --config      a replay config JSON: { "name": "...", "policy": { ...gate policy... } } (default: the default gate)
  --compare     two config files, side by side on the same cases
  --seed-table  the seed's rows: AUC, DTW, AUC+DTW, risk-free, Holt-Winters band, the gate
  --split       which cases (default: test when the dataset has a split, else all)
  --tune        search the FAIL threshold maximising F1 on the train split with FPR ≤ --max-fpr; report train and test
  --level       confidence level of the intervals (default 0.95)
  --resamples   bootstrap resamples for the F1 and precision intervals (default 2000)
  --json        print one JSON object (per configuration) instead of tables
  --workers     worker threads (default: all cores)`;

const pct = (x: number) => (x * 100).toFixed(1);
const f2 = (x: number) => x.toFixed(2);

export function seedRow(name: string, a: Accuracy): string {
  return `${name.padEnd(20)} ${f2(a.precision).padStart(9)} ${f2(a.recall).padStart(6)} ${f2(a.f1).padStart(5)} ${String(a.falsePositives).padStart(15)} ${String(a.falseNegatives).padStart(15)} ${String(a.truePositives + a.falseNegatives).padStart(14)} ${String(a.inconclusive).padStart(12)}`;
}
export const SEED_HEADER = `${'Method'.padEnd(20)} ${'Precision'.padStart(9)} ${'Recall'.padStart(6)} ${'F1'.padStart(5)} ${'False Positives'.padStart(15)} ${'False Negatives'.padStart(15)} ${'Total Positive'.padStart(14)} ${'Inconclusive'.padStart(12)}`;

const range = (x: Interval, scale = 1, digits = 3) => `${(x.low * scale).toFixed(digits)}–${(x.high * scale).toFixed(digits)}`;

function details(a: Accuracy, intervals: AccuracyIntervals): string {
  const level = `${Math.round(intervals.level * 100)} %`;
  const lines = [
    `confusion matrix      flagged   passed`,
    `  bad cases        ${String(a.truePositives).padStart(8)} ${String(a.falseNegatives).padStart(8)}`,
    `  good cases       ${String(a.falsePositives).padStart(8)} ${String(a.trueNegatives).padStart(8)}`,
    `false-positive rate ${pct(a.falsePositiveRate)} %; inconclusive ${a.inconclusive} (counted as flagged)`,
    '',
    `${level} intervals (exact for rates; F1 and precision over ${intervals.resamples} bootstrap resamples of the cases):`,
    `  F1 ${f2(a.f1)} (${range(intervals.f1)})  precision ${f2(a.precision)} (${range(intervals.precision)})  recall ${f2(a.recall)} (${range(intervals.recall)})  false-positive rate ${pct(a.falsePositiveRate)} % (${range(intervals.falsePositiveRate, 100, 1)} %)`,
    '',
    `by kind (bad: recall; good: passed; ${level} interval)`,
    ...Object.entries(a.byKind)
      .sort(([x, p], [y, q]) => Number(q.bad) - Number(p.bad) || x.localeCompare(y))
      .map(([kind, k]) => `  ${k.bad ? 'bad ' : 'good'} ${kind.padEnd(36)} ${String(k.cases).padStart(4)} cases  ${pct(k.rate).padStart(5)} %  (${range(intervals.byKind[kind], 100, 1)})`),
    '',
    'recall by metric category',
    ...Object.entries(a.byCategory).map(([c, e]) => `  ${c.padEnd(12)} ${String(e.cases).padStart(4)} cases  ${pct(e.recall).padStart(5)} %`),
  ];
  return lines.join('\n');
}

export function summary(a: Accuracy, intervals?: AccuracyIntervals): Record<string, unknown> {
  return {
    cases: a.cases,
    precision: a.precision,
    recall: a.recall,
    f1: a.f1,
    falsePositives: a.falsePositives,
    falseNegatives: a.falseNegatives,
    truePositives: a.truePositives,
    trueNegatives: a.trueNegatives,
    inconclusive: a.inconclusive,
    falsePositiveRate: a.falsePositiveRate,
    byKind: a.byKind,
    byCategory: a.byCategory,
    ...(intervals ? { intervals } : {}),
  };
}

function loadConfig(file: string): ReplayConfig {
  return parseReplayConfig(JSON.parse(readFileSync(file, 'utf8')), file);
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['help', 'json', 'tune', 'seed-table'], values: ['config', 'split', 'max-fpr', 'workers', 'compare', 'level', 'resamples'] });
  if (args.options.help || args.positionals.length === 0) {
    console.log(HELP);
    return args.options.help ? 0 : 2;
  }
  // --compare takes two files: the option's value and the next positional.
  const dir = args.positionals[0];
  const compare = optionString(args, 'compare');
  const configs: ReplayConfig[] = args.options['seed-table']
    ? seedTableConfigs()
    : compare
      ? [loadConfig(compare), loadConfig(args.positionals[1] ?? (() => { throw new Error('--compare needs two config files'); })())]
      : [optionString(args, 'config') ? loadConfig(optionString(args, 'config')!) : parseReplayConfig({})];
  const json = Boolean(args.options.json);
  const numberOption = (name: string) => (optionString(args, name) === undefined ? undefined : Number(optionString(args, name)));
  const uncertainty: UncertaintyOptions = parseConfig(uncertaintyOptionsSchema, { level: numberOption('level'), resamples: numberOption('resamples') }, 'replay options');
  const log = (line: string) => (json ? process.stderr.write(`${line}\n`) : console.log(line));

  const { encoding, cases, errors } = await readDataset(dir);
  for (const e of errors) process.stderr.write(`${e.file}: ${e.path ? `${e.path}: ` : ''}${e.message}\n`);
  const split = await readSplit(dir);
  const tune = Boolean(args.options.tune);
  const which = optionString(args, 'split') ?? (split && !tune ? 'test' : 'all');
  if (!['all', 'train', 'test'].includes(which)) throw new Error(`--split must be all, train or test, got '${which}'`);
  if (which !== 'all' && !split) throw new Error(`--split ${which}: ${dir} has no split.json`);
  const chosen: ParsedCase[] = which === 'all' ? cases : cases.filter((c) => new Set(split![which as 'train' | 'test']).has(c.id));
  // One bad file can carry several issues; what is skipped is the file.
  const skipped = new Set(errors.map((e) => e.file)).size;
  log(`${dir}: ${cases.length} cases (${encoding}), ${skipped} skipped; replaying ${chosen.length} (${which})`);

  const workers = optionString(args, 'workers') ? Number(optionString(args, 'workers')) : undefined;
  const results: { config: ReplayConfig; outcomes: CaseOutcome[] }[] = [];
  for (const config of configs) {
    const bar = progressBar(`${config.name}`, chosen.length);
    const outcomes = await replayAll(chosen, config, { workers, split, onProgress: bar.update });
    bar.done();
    results.push({ config, outcomes });
  }

  if (tune) {
    const maxFpr = Number(optionString(args, 'max-fpr') ?? 0.02);
    const out = results.map(({ config, outcomes }) => {
      const train = outcomes.filter((o) => o.split === 'train');
      const test = outcomes.filter((o) => o.split === 'test');
      const tuned = tuneThreshold(train.length ? train : outcomes, maxFpr);
      const testAccuracy = accuracy(test, (o) => o.forced || o.score >= tuned.threshold);
      return { name: config.name, threshold: tuned.threshold, train: tuned.accuracy, test: testAccuracy };
    });
    if (json) console.log(JSON.stringify(out.map((o) => ({ name: o.name, failThreshold: o.threshold, maxFalsePositiveRate: maxFpr, train: summary(o.train), test: summary(o.test) }))));
    else {
      for (const o of out) {
        log(`\n${o.name}: FAIL threshold ${o.threshold.toFixed(2)} (F1-optimal on train with FPR ≤ ${maxFpr})`);
        log(SEED_HEADER);
        log(seedRow('train', o.train));
        log(seedRow('test', o.test));
      }
    }
    return 0;
  }

  const accuracies = results.map((r) => ({ name: r.config.name, accuracy: accuracy(r.outcomes), intervals: accuracyIntervals(r.outcomes, uncertainty), outcomes: r.outcomes }));
  const comparison = compare && results.length === 2 ? compareOutcomes(results[0].outcomes, results[1].outcomes, uncertainty) : null;
  if (json) {
    const objects = accuracies.map((a) => ({ name: a.name, split: which, ...summary(a.accuracy, a.intervals) }));
    console.log(JSON.stringify(comparison ? { configurations: objects, comparison } : objects.length === 1 ? objects[0] : objects));
    return 0;
  }
  log('');
  log(SEED_HEADER);
  for (const a of accuracies) log(seedRow(a.name, a.accuracy));
  if (comparison) log(`\n${describeComparison(accuracies[0].name, accuracies[1].name, comparison)}`);
  for (const a of accuracies) {
    if (configs.length > 2 && a !== accuracies[accuracies.length - 1]) continue;
    log(`\n== ${a.name} ==\n${details(a.accuracy, a.intervals)}`);
    const wrong = a.outcomes.filter((o) => o.bad !== undefined && (o.bad !== (o.decision !== 'PASS')));
    if (wrong.length) {
      log(`\nmisjudged (${wrong.length}):`);
      for (const o of wrong.slice(0, 30)) log(`  ${o.id} ${o.bad ? 'bad ' : 'good'} ${o.kind ?? ''}: ${o.decision} ${o.score.toFixed(1)} ${o.reasons[0] ?? ''}`);
    }
  }
  return 0;
}
