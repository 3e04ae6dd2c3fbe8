/**
 * The `nab` notebook: runs our streaming detectors over a NAB corpus, scores them for every
 * profile and shows them beside the published scoreboard, with one series' anomaly scores
 * against its label windows.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  readCsvColumns,
  readProfiles,
  readPublishedScoreboard,
  runNab,
  scoreAllProfiles,
  scoreboardRows,
  streamingDetectors,
  writeScoreFiles,
  type DetectorScores,
  type RunOutput,
} from '../src/nab/index.js';
import { page, paragraph, section, table } from './html.js';
import { barChart, lineChart, palette } from './svg.js';

export interface NabNotebookOptions {
  /** The NAB corpus folder (data/, labels/, config/, results/). */
  nabDir: string;
  /** Where NAB's result layout and score files are written. */
  resultsDir: string;
  /** Streaming detectors to run (default: every registered one). */
  detectors?: string[];
  /** Series shown with its scores (default: `realKnownCause/nyc_taxi.csv` when present, else the first with a label window). */
  example?: string;
  log?: (line: string) => void;
}

export interface NabNotebookResult {
  html: string;
  /** Normalised score per detector and profile. */
  scores: Record<string, Record<string, number>>;
}

/**
 * Whether the notebook can run: `run` when the corpus is there; otherwise `skip` with the
 * reason, or `fail` when `CI` is set (a missing corpus in CI is a broken set-up, not a skip).
 */
export function nabCorpusStatus(nabDir: string, env: Record<string, string | undefined> = process.env): { action: 'run' | 'skip' | 'fail'; reason?: string } {
  if (existsSync(join(nabDir, 'data')) && existsSync(join(nabDir, 'labels', 'combined_windows.json'))) return { action: 'run' };
  const reason = `no NAB corpus at ${nabDir} (expected data/ and labels/combined_windows.json); pass --nab <dir>`;
  return { action: env.CI ? 'fail' : 'skip', reason };
}

/** Runs the notebook; throws when the corpus is missing (check `nabCorpusStatus` first). */
export function nabNotebook(options: NabNotebookOptions): NabNotebookResult {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const names = options.detectors ?? Object.keys(streamingDetectors);
  const profiles = readProfiles(options.nabDir);
  const published = readPublishedScoreboard(options.nabDir);
  const runs: RunOutput[] = [];
  const ours: Record<string, DetectorScores> = {};
  for (const name of names) {
    const factory = streamingDetectors[name];
    if (!factory) throw new Error(`unknown streaming detector '${name}' (known: ${Object.keys(streamingDetectors).join(', ')})`);
    let lastReported = 0;
    const run = runNab({
      nabDir: options.nabDir,
      outDir: options.resultsDir,
      detector: factory,
      onProgress: (done, total, series) => {
        if (done === total || done - lastReported >= Math.max(1, Math.ceil(total / 5))) {
          lastReported = done;
          log(`nab: ${name} ${done}/${total} series (${series})`);
        }
      },
    });
    log(`nab: scoring ${name} for ${Object.keys(profiles).length} profiles`);
    const scores = scoreAllProfiles(run.files, profiles);
    writeScoreFiles(options.resultsDir, name, scores);
    runs.push(run);
    ours[name] = scores;
  }

  const rows = scoreboardRows(ours, published);
  const profileNames = Object.keys(profiles);
  const sections: string[] = [];
  sections.push(
    section(
      'Scoreboard',
      paragraph(`Normalised NAB scores (0 = the null detector, 100 = perfect); our detectors (thresholds optimised on this corpus, as NAB does) are marked "ours"; the rest are NAB's published results${Object.keys(published).length === 0 ? ' (none in this corpus folder)' : ''}.`),
      barChart(
        'NAB standard profile',
        rows.filter((r) => r.scores.standard !== undefined).map((r) => ({ label: r.source === 'ours' ? `${r.detector} (ours)` : r.detector, value: r.scores.standard, highlight: r.source === 'ours' })),
        { xLabel: 'normalised score' },
      ),
      table(
        ['Detector', 'Source', ...profileNames],
        rows.map((r) => [r.detector, r.source, ...profileNames.map((p) => (r.scores[p] === undefined ? '' : r.scores[p]))]),
        2,
      ),
    ),
  );
  sections.push(
    section(
      'Our runs',
      table(
        ['Detector', 'Profile', 'Threshold', 'Raw score', 'Normalised', 'TP', 'FP', 'FN', 'Detection ms', 'Points/s'],
        runs.flatMap((run) =>
          Object.values(ours[run.detector]).map((r) => [run.detector, r.profile, r.threshold, r.rawScore, r.normalizedScore, r.tp, r.fp, r.fn, Math.round(run.detectMs), Math.round(run.pointsPerSecond)]),
        ),
        3,
      ),
    ),
  );

  const files = runs[0]?.files ?? [];
  const example = files.find((f) => f.name === (options.example ?? 'realKnownCause/nyc_taxi.csv')) ?? files.find((f) => f.windows.length > 0) ?? files[0];
  if (example) {
    const spans = example.windows.map(([from, to]) => ({ from, to, label: 'label window' }));
    const values = readCsvColumns(join(options.nabDir, 'data', example.name)).value ?? [];
    sections.push(
      section(
        `Example: ${example.name}`,
        lineChart({
          title: `${example.name}: values (label windows shaded)`,
          xKind: 'time',
          yLabel: 'value',
          spans,
          lines: [{ name: 'value', x: Array.from(example.timestamps), y: values.map((v) => (v.trim() === '' ? null : Number(v))), color: '#333', width: 1 }],
        }),
        lineChart({
          title: `${example.name}: anomaly scores (label windows shaded)`,
          xKind: 'time',
          yLabel: 'anomaly score',
          yDomain: [0, 1],
          spans,
          lines: runs.map((run, i) => {
            const file = run.files.find((f) => f.name === example.name);
            return { name: run.detector, x: Array.from(example.timestamps), y: Array.from(file?.anomalyScores ?? []), color: palette[i], width: 1 };
          }),
        }),
        ...runs.map((run) => {
          const perFile = ours[run.detector].standard?.files.find((f) => f.name === example.name);
          return perFile ? paragraph(`${run.detector}, standard profile: TP ${perFile.tp}, FP ${perFile.fp}, FN ${perFile.fn}, file score ${perFile.score.toFixed(3)}.`) : '';
        }),
      ),
    );
  }
  const totalSeries = files.length;
  const html = page('NAB: our streaming detectors beside the published scoreboard', `${totalSeries} series of ${options.nabDir}; generated ${new Date().toISOString()} in ${((Date.now() - started) / 1000).toFixed(1)} s`, sections);
  const scores = Object.fromEntries(Object.entries(ours).map(([d, s]) => [d, Object.fromEntries(Object.entries(s).map(([p, r]) => [p, r.normalizedScore]))]));
  return { html, scores };
}
