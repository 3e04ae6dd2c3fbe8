/**
 * The `replay` notebook: replays a labeled dataset with two gate configurations (the default
 * gate and the gate without its per-host view) and reports confusion matrices, precision and
 * recall over the FAIL threshold, and the seed-style accuracy table.
 */
import type { ParsedCase } from '../src/datasets/case.js';
import { iterateDataset, readSplit } from '../src/datasets/dataset.js';
import { parsePolicy } from '../src/gate/policy.js';
import { accuracy, accuracyIntervals, compareOutcomes, describeComparison, parseReplayConfig, replayAll, tuneThreshold, type Accuracy, type CaseOutcome, type ReplayConfig } from '../src/replay/index.js';
import { page, paragraph, section, table } from './html.js';
import { confusionMatrix, lineChart, palette } from './svg.js';

export interface ReplayNotebookOptions {
  /** Dataset directory (default `datasets/release-cases-v1`). */
  dataset?: string;
  /** Which cases: the dataset's test split (default), its train split, or every case. */
  split?: 'test' | 'train' | 'all';
  /** Only the first `limit` cases of the split, in reading order (`--small` is 40). */
  limit?: number;
  /** Worker threads for replay (default: the machine's parallelism). */
  workers?: number;
  /** Largest false-positive rate the tuned threshold may have (default 0.1). */
  maxFpr?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** One row of the seed's table. */
export interface SeedRow {
  method: string;
  precision: number;
  recall: number;
  f1: number;
  /** 95 % bootstrap interval of the F1 (src/replay/uncertainty.ts). */
  f1Interval: [number, number];
  falsePositives: number;
  falseNegatives: number;
}

/** Precision and recall when a case is flagged from `threshold` on (or forced INCONCLUSIVE). */
export interface CurvePoint {
  threshold: number;
  precision: number;
  recall: number;
  falsePositiveRate: number;
}

export interface ReplayNotebookResult {
  html: string;
  cases: number;
  rows: SeedRow[];
  curves: Record<string, CurvePoint[]>;
}

/** The two configurations the notebook compares. */
export function replayNotebookConfigs(): ReplayConfig[] {
  return [
    parseReplayConfig({ name: 'Sluice gate' }),
    parseReplayConfig({ name: 'Gate without per-host view', policy: { views: { perHost: { enabled: false } } } }),
  ];
}

/** Reads the cases of one split in reading order, stopping after `limit` (so `--small` reads only the shards it needs). */
export async function loadSplitCases(dir: string, split: 'test' | 'train' | 'all', limit = Infinity): Promise<ParsedCase[]> {
  const ids = split === 'all' ? undefined : new Set((await readSplit(dir))?.[split] ?? []);
  if (ids && ids.size === 0) throw new Error(`${dir} has no ${split} split`);
  const out: ParsedCase[] = [];
  for await (const item of iterateDataset(dir)) {
    if (!item.ok || (ids && !ids.has(item.value.id))) continue;
    out.push(item.value);
    if (out.length >= limit) break;
  }
  return out;
}

/**
 * Precision, recall and false-positive rate at every threshold from 0 to 100 (step 1) and at
 * every distinct score, ascending, with the same flagging rule as `tuneThreshold`.
 */
export function thresholdCurve(outcomes: readonly CaseOutcome[]): CurvePoint[] {
  const thresholds = [...new Set([...Array.from({ length: 101 }, (_, i) => i), ...outcomes.map((o) => o.score).filter((s) => s > 0 && s <= 100)])].sort((a, b) => a - b);
  return thresholds.map((threshold) => {
    const a = accuracy(outcomes, (o) => o.forced || o.score >= threshold);
    return { threshold, precision: a.precision, recall: a.recall, falsePositiveRate: a.falsePositiveRate };
  });
}

const rowOf = (method: string, a: Accuracy, outcomes: readonly CaseOutcome[], flagged?: (o: CaseOutcome) => boolean): SeedRow => ({
  method,
  precision: a.precision,
  recall: a.recall,
  f1: a.f1,
  f1Interval: ((i) => [i.low, i.high] as [number, number])(accuracyIntervals(outcomes, {}, flagged).f1),
  falsePositives: a.falsePositives,
  falseNegatives: a.falseNegatives,
});

/** Runs the notebook and returns the report with its numbers. */
export async function replayNotebook(options: ReplayNotebookOptions = {}): Promise<ReplayNotebookResult> {
  const log = options.log ?? (() => {});
  const dir = options.dataset ?? 'datasets/release-cases-v1';
  const split = options.split ?? 'test';
  const maxFpr = options.maxFpr ?? 0.1;
  const started = Date.now();
  log(`replay: reading ${split === 'all' ? 'every case' : `the ${split} split`} of ${dir}${options.limit ? ` (first ${options.limit})` : ''}`);
  const cases = await loadSplitCases(dir, split, options.limit);
  if (cases.length === 0) throw new Error(`no cases in ${dir}`);
  const bad = cases.filter((c) => c.label?.bad === true).length;
  log(`replay: ${cases.length} cases (${bad} bad, ${cases.length - bad} good)`);

  const configs = replayNotebookConfigs();
  const results: { config: ReplayConfig; outcomes: CaseOutcome[]; accuracy: Accuracy; curve: CurvePoint[]; tuned: { threshold: number; accuracy: Accuracy } }[] = [];
  for (const config of configs) {
    const t0 = Date.now();
    let lastReported = 0;
    const outcomes = await replayAll(cases, config, {
      workers: options.workers,
      onProgress: (done, total) => {
        // One line per tenth of the run keeps long runs visible without flooding the terminal.
        if (done === total || done - lastReported >= Math.max(1, Math.ceil(total / 10))) {
          lastReported = done;
          log(`replay: ${config.name} ${done}/${total}`);
        }
      },
    });
    log(`replay: ${config.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    results.push({ config, outcomes, accuracy: accuracy(outcomes), curve: thresholdCurve(outcomes), tuned: tuneThreshold(outcomes, maxFpr) });
  }

  // The seed's risk-free baseline fails every batch: perfect recall, precision = share of bad cases.
  const alwaysFail = cases.map((c) => ({ id: c.id, bad: c.label?.bad, categories: [], decision: 'FAIL' as const, score: 100, forced: true, reasons: [] }));
  const rows: SeedRow[] = [
    ...results.map((r) => rowOf(r.config.name, r.accuracy, r.outcomes)),
    ...results.map((r) => rowOf(`${r.config.name}, FAIL ≥ ${r.tuned.threshold > 100 ? 'never' : r.tuned.threshold.toFixed(1)} (tuned here)`, r.tuned.accuracy, r.outcomes, (o) => o.forced || o.score >= r.tuned.threshold)),
    rowOf('Risk-free (always FAIL)', accuracy(alwaysFail), alwaysFail),
  ];
  const comparison = results.length === 2 ? describeComparison(results[0].config.name, results[1].config.name, compareOutcomes(results[0].outcomes, results[1].outcomes)) : null;

  const sections: string[] = [];
  sections.push(
    section(
      'Accuracy (the seed table)',
      paragraph(
        `A case counts as flagged when the gate does not answer PASS (INCONCLUSIVE stops the release for a person). The tuned rows pick, on these same cases, the FAIL threshold with the best F1 at a false-positive rate of at most ${maxFpr}: an optimistic, in-sample figure. The F1 interval is 95 %, over 2000 bootstrap resamples of the cases: differences inside it are noise.`,
      ),
      table(
        ['Method', 'Precision', 'Recall', 'F1', 'F1 95 % interval', 'False Positives', 'False Negatives'],
        rows.map((r) => [r.method, r.precision, r.recall, r.f1, `${r.f1Interval[0].toFixed(3)}–${r.f1Interval[1].toFixed(3)}`, r.falsePositives, r.falseNegatives]),
      ),
      ...(comparison ? [paragraph(comparison)] : []),
    ),
  );
  sections.push(
    section(
      'Confusion matrices',
      ...results.map((r) => confusionMatrix(`${r.config.name} (${r.accuracy.inconclusive} INCONCLUSIVE)`, r.accuracy)),
    ),
  );
  const policyThreshold = parsePolicy(configs[0].policy).failThreshold;
  sections.push(
    section(
      'Precision and recall over the FAIL threshold',
      paragraph('Each case is flagged when its score reaches the threshold or when it is INCONCLUSIVE for a data reason (those stay flagged at any threshold).'),
      lineChart({
        title: 'Precision and recall by threshold',
        xLabel: 'FAIL threshold (score)',
        yLabel: 'rate',
        yDomain: [0, 1],
        xDomain: [0, 100],
        lines: results.flatMap((r, i) => [
          { name: `${r.config.name}: precision`, x: r.curve.map((p) => p.threshold), y: r.curve.map((p) => p.precision), color: palette[i * 2], width: 2 },
          { name: `${r.config.name}: recall`, x: r.curve.map((p) => p.threshold), y: r.curve.map((p) => p.recall), color: palette[i * 2 + 1], dash: '5 3', width: 2 },
        ]),
        markers: [{ x: policyThreshold, label: `policy ${policyThreshold}` }],
      }),
      lineChart({
        title: 'Precision against recall',
        xLabel: 'recall',
        yLabel: 'precision',
        xDomain: [0, 1],
        yDomain: [0, 1],
        lines: results.map((r, i) => ({ name: r.config.name, x: r.curve.map((p) => p.recall), y: r.curve.map((p) => p.precision), color: palette[i * 2], width: 2 })),
        points: results.map((r, i) => ({ name: `${r.config.name} at the policy`, x: [r.accuracy.recall], y: [r.accuracy.precision], color: palette[i * 2 + 1], radius: 5 })),
      }),
    ),
  );
  if (results.length === 2) {
    // Each case's score under both configurations: points off the diagonal are the cases the
    // variant changes; the dashed lines are the policy threshold.
    const [a, b] = results;
    const pick = (bad: boolean) => cases.map((c, i) => ({ c, i })).filter(({ c }) => (c.label?.bad ?? false) === bad);
    sections.push(
      section(
        'Scores case by case',
        lineChart({
          title: `Score: ${a.config.name} (x) against ${b.config.name} (y)`,
          xLabel: `${a.config.name} score`,
          yLabel: `${b.config.name} score`,
          xDomain: [0, 100],
          yDomain: [0, 100],
          height: 420,
          lines: [{ name: 'same score', x: [0, 100], y: [0, 100], color: '#bbb', dash: '2 3', width: 1 }],
          points: [
            { name: 'bad releases', x: pick(true).map(({ i }) => a.outcomes[i].score), y: pick(true).map(({ i }) => b.outcomes[i].score), color: palette[2] },
            { name: 'good releases', x: pick(false).map(({ i }) => a.outcomes[i].score), y: pick(false).map(({ i }) => b.outcomes[i].score), color: palette[0] },
          ],
          markers: [{ x: policyThreshold, label: `policy ${policyThreshold}` }],
        }),
      ),
    );
  }
  const kinds = [...new Set(results.flatMap((r) => Object.keys(r.accuracy.byKind)))].sort();
  sections.push(
    section(
      'By kind of case',
      paragraph('Bad kinds: share flagged (recall). Good kinds (confounders): share passed.'),
      table(
        ['Kind', 'Bad', 'Cases', ...results.map((r) => r.config.name)],
        kinds.map((kind) => {
          const first = results.find((r) => r.accuracy.byKind[kind])?.accuracy.byKind[kind];
          return [kind, first?.bad ? 'yes' : 'no', first?.cases ?? 0, ...results.map((r) => r.accuracy.byKind[kind]?.rate ?? 0)];
        }),
        2,
      ),
    ),
  );
  const disagreements = cases
    .map((c, i) => ({ c, answers: results.map((r) => r.outcomes[i]) }))
    .filter(({ answers }) => new Set(answers.map((o) => o.decision)).size > 1);
  sections.push(
    section(
      'Cases the configurations answer differently',
      disagreements.length === 0
        ? paragraph('None.')
        : table(
            ['Case', 'Kind', 'Bad', ...results.map((r) => r.config.name)],
            disagreements.map(({ c, answers }) => [c.id, c.label?.kind ?? '', c.label?.bad ? 'yes' : 'no', ...answers.map((o) => `${o.decision} ${o.score.toFixed(1)}`)]),
          ),
    ),
  );

  const html = page(
    'Replay: default gate vs gate without per-host view',
    `${cases.length} cases of ${dir} (${split} split${options.limit ? `, first ${options.limit}` : ''}); ${bad} bad; generated ${new Date().toISOString()} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    sections,
  );
  return { html, cases: cases.length, rows, curves: Object.fromEntries(results.map((r) => [r.config.name, r.curve])) };
}
