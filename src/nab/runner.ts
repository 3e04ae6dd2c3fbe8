/**
 * The NAB runner: feeds every series of a NAB corpus to a streaming detector and writes NAB's
 * own result layout, then scores result trees (ours or published ones) per profile.
 *
 * Layout written: `<out>/<detector>/<category>/<detector>_<file>` with the columns
 * `timestamp,value,anomaly_score,label`, one row per data row, and after scoring
 * `<out>/<detector>/<detector>_<profile>_scores.csv` as NAB's scorer writes them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAnomalyScores, readNabCorpus, readProfiles, resultFilePath, type NabSeries } from './corpus.js';
import { scoreCorpus, type CostMatrix, type ProfileResult, type ScoredFile } from './scorer.js';
import { scoreSeries, type StreamingDetectorFactory } from './streaming.js';

/** Progress callback: `done` of `total` series finished, the last one named. */
export type Progress = (done: number, total: number, name: string) => void;

/** Per row: 1 inside a label window (inclusive limits), else 0. O(n · windows). */
export function windowLabels(timestamps: ArrayLike<number>, windows: readonly (readonly [number, number])[]): Uint8Array {
  const labels = new Uint8Array(timestamps.length);
  for (const [start, end] of windows) {
    for (let i = 0; i < timestamps.length; i++) {
      if (timestamps[i] >= start && timestamps[i] <= end) labels[i] = 1;
    }
  }
  return labels;
}

function formatNumber(x: number): string {
  return Number.isFinite(x) ? String(x) : '';
}

/** The text of one result file: header and one row per data row. */
export function resultCsv(series: NabSeries, scores: ArrayLike<number>): string {
  const labels = windowLabels(series.timestamps, series.windows);
  const lines: string[] = ['timestamp,value,anomaly_score,label'];
  for (let i = 0; i < series.values.length; i++) {
    lines.push(`${series.timestampText[i]},${formatNumber(series.values[i])},${formatNumber(scores[i])},${labels[i]}`);
  }
  return lines.join('\n') + '\n';
}

export interface RunOptions {
  nabDir: string;
  outDir: string;
  detector: StreamingDetectorFactory;
  /** Detector config (validated by the detector's schema). */
  config?: unknown;
  onProgress?: Progress;
}

/** What a run produced, kept in memory so it can be scored without re-reading. */
export interface RunOutput {
  detector: string;
  files: ScoredFile[];
  /** Wall time of detection alone, ms, and points per second. */
  detectMs: number;
  pointsPerSecond: number;
}

/**
 * Runs one detector over the corpus (a fresh state per series) and writes NAB's layout.
 * Single-threaded: the detectors cost microseconds per point, so the run is I/O-bound.
 */
export function runNab(options: RunOptions): RunOutput {
  const corpus = readNabCorpus(options.nabDir);
  const detector = options.detector.create(options.config ?? {});
  const name = options.detector.name;
  const files: ScoredFile[] = [];
  let detectMs = 0;
  let points = 0;
  corpus.forEach((series, index) => {
    const started = performance.now();
    const scores = scoreSeries(detector, series.timestamps, series.values);
    detectMs += performance.now() - started;
    points += series.values.length;
    const dir = join(options.outDir, name, series.category);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}_${series.file}`), resultCsv(series, scores));
    files.push({ name: series.name, timestamps: series.timestamps, windows: series.windows, anomalyScores: scores });
    options.onProgress?.(index + 1, corpus.length, series.name);
  });
  return { detector: name, files, detectMs, pointsPerSecond: detectMs > 0 ? (points / detectMs) * 1000 : Infinity };
}

/** Reads a detector's result tree as scorable files (missing result files are an error). */
export function readResultTree(nabDir: string, resultsDir: string, detector: string, corpus: NabSeries[] = readNabCorpus(nabDir)): ScoredFile[] {
  return corpus.map((series) => {
    const path = resultFilePath(resultsDir, detector, series.name);
    if (path === undefined) throw new Error(`no result file for ${series.name} under ${join(resultsDir, detector)}`);
    const scores = readAnomalyScores(path);
    if (scores.length !== series.values.length) {
      throw new Error(`${path}: ${scores.length} rows, the data file has ${series.values.length}`);
    }
    return { name: series.name, timestamps: series.timestamps, windows: series.windows, anomalyScores: scores };
  });
}

/** Scores of one detector for every profile, keyed by profile name. */
export type DetectorScores = Record<string, ProfileResult>;

/**
 * Scores files for every profile; the threshold per profile is optimised over the corpus unless
 * `thresholds` gives it (NAB's `config/thresholds.json` entry of the detector).
 */
export function scoreAllProfiles(files: readonly ScoredFile[], profiles: Record<string, CostMatrix>, thresholds?: Record<string, { threshold: number }>): DetectorScores {
  const out: DetectorScores = {};
  for (const [profile, cost] of Object.entries(profiles)) {
    out[profile] = scoreCorpus(files, profile, cost, thresholds?.[profile]?.threshold);
  }
  return out;
}

/** NAB's per-profile score file: one row per series and a `Totals` row. */
export function scoresCsv(detector: string, result: ProfileResult): string {
  const lines = ['Detector,Profile,File,Threshold,Score,TP,TN,FP,FN,Total_Count'];
  for (const f of result.files) {
    lines.push([detector, result.profile, f.name, result.threshold, f.score, f.tp, f.tn, f.fp, f.fn, f.total].join(','));
  }
  const total = result.tp + result.tn + result.fp + result.fn;
  lines.push(['Totals', '', '', '', result.rawScore, result.tp, result.tn, result.fp, result.fn, total].join(','));
  return lines.join('\n') + '\n';
}

/** Writes `<outDir>/<detector>/<detector>_<profile>_scores.csv` for every profile. */
export function writeScoreFiles(outDir: string, detector: string, scores: DetectorScores): void {
  mkdirSync(join(outDir, detector), { recursive: true });
  for (const result of Object.values(scores)) {
    writeFileSync(join(outDir, detector, `${detector}_${result.profile}_scores.csv`), scoresCsv(detector, result));
  }
}

/** Convenience: profiles of the corpus folder. */
export function corpusProfiles(nabDir: string): Record<string, CostMatrix> {
  return readProfiles(nabDir);
}
