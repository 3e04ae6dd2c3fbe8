/**
 * Reading the NAB corpus from its own folder layout: `data/<category>/<file>.csv`,
 * `labels/combined_windows.json`, `config/profiles.json`, `config/thresholds.json`,
 * `results/final_results.json` and result trees `<results>/<detector>/<category>/…csv`.
 * The corpus is read in place, never copied.
 */
import { parseNabTimestamp } from '../datasets/nab.js';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { NAB_PROFILES, type CostMatrix } from './scorer.js';

/** One NAB series with its label windows. */
export interface NabSeries {
  /** Corpus-relative path, `<category>/<file>.csv`. */
  name: string;
  category: string;
  /** File name, e.g. `nyc_taxi.csv`. */
  file: string;
  /** Timestamps as written in the data file (kept to write results verbatim). */
  timestampText: string[];
  /** Epoch ms, the text read as UTC. */
  timestamps: Float64Array;
  /** Values; NaN where a value is missing or unparsable. */
  values: Float64Array;
  /** Label windows, inclusive epoch-ms limits. */
  windows: [number, number][];
}

// One NAB timestamp parser for the whole library: the dataset importer's.
export { parseNabTimestamp } from '../datasets/nab.js';

/** A CSV file with a header row, split into named columns of strings. Quoting is not used by NAB. */
export function readCsvColumns(path: string): Record<string, string[]> {
  const text = readFileSync(path, 'utf8');
  const lines = text.split(/\r?\n/);
  const header = lines[0].split(',').map((h) => h.trim());
  const columns: Record<string, string[]> = {};
  for (const h of header) columns[h] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.length === 0) continue;
    const cells = line.split(',');
    for (let c = 0; c < header.length; c++) columns[header[c]].push(cells[c] ?? '');
  }
  return columns;
}

function toNumbers(cells: string[]): Float64Array {
  const out = new Float64Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const text = cells[i].trim();
    out[i] = text === '' ? NaN : Number(text);
  }
  return out;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/**
 * Reads every series under `<nabDir>/data` (categories and files in name order) with its windows
 * from `<nabDir>/labels/<labelFile>`. Series without an entry in the label file are skipped, as
 * NAB's runner does. Throws if the folder is not a NAB corpus.
 */
export function readNabCorpus(nabDir: string, labelFile = 'combined_windows.json'): NabSeries[] {
  const dataDir = join(nabDir, 'data');
  const labelPath = join(nabDir, 'labels', labelFile);
  if (!existsSync(dataDir) || !existsSync(labelPath)) {
    throw new Error(`not a NAB corpus: expected ${dataDir} and ${labelPath}`);
  }
  const labels = readJson(labelPath) as Record<string, [string, string][]>;
  const out: NabSeries[] = [];
  for (const category of readdirSync(dataDir).sort()) {
    const categoryDir = join(dataDir, category);
    if (!statSync(categoryDir).isDirectory()) continue;
    for (const file of readdirSync(categoryDir).sort()) {
      if (!file.endsWith('.csv')) continue;
      const name = `${category}/${file}`;
      const windows = labels[name];
      if (windows === undefined) continue;
      const columns = readCsvColumns(join(categoryDir, file));
      const timestampText = columns.timestamp ?? [];
      const timestamps = new Float64Array(timestampText.length);
      for (let i = 0; i < timestampText.length; i++) timestamps[i] = parseNabTimestamp(timestampText[i]);
      out.push({
        name,
        category,
        file,
        timestampText,
        timestamps,
        values: toNumbers(columns.value ?? []),
        windows: windows.map(([a, b]) => [parseNabTimestamp(a), parseNabTimestamp(b)] as [number, number]),
      });
    }
  }
  return out;
}

/** The scoring profiles of `<nabDir>/config/profiles.json`, or NAB's standard three if absent. */
export function readProfiles(nabDir: string): Record<string, CostMatrix> {
  const path = join(nabDir, 'config', 'profiles.json');
  if (!existsSync(path)) return { ...NAB_PROFILES };
  const raw = readJson(path) as Record<string, { CostMatrix: CostMatrix }>;
  const out: Record<string, CostMatrix> = {};
  for (const [name, p] of Object.entries(raw)) {
    out[name] = { tpWeight: p.CostMatrix.tpWeight, fpWeight: p.CostMatrix.fpWeight, fnWeight: p.CostMatrix.fnWeight };
  }
  return out;
}

/** `<nabDir>/config/thresholds.json`: detector → profile → { threshold, score }; `{}` if absent. */
export function readThresholds(nabDir: string): Record<string, Record<string, { threshold: number; score: number }>> {
  const path = join(nabDir, 'config', 'thresholds.json');
  return existsSync(path) ? (readJson(path) as Record<string, Record<string, { threshold: number; score: number }>>) : {};
}

/** `<nabDir>/results/final_results.json`: the published normalised scoreboard; `{}` if absent. */
export function readPublishedScoreboard(nabDir: string): Record<string, Record<string, number>> {
  const path = join(nabDir, 'results', 'final_results.json');
  return existsSync(path) ? (readJson(path) as Record<string, Record<string, number>>) : {};
}

/**
 * Path of a detector's result file for a series: NAB's `<detector>/<category>/<detector>_<file>`,
 * or the bare `<detector>/<category>/<file>` of the published excerpt. `undefined` if neither.
 */
export function resultFilePath(resultsDir: string, detector: string, seriesName: string): string | undefined {
  const category = dirname(seriesName);
  const file = basename(seriesName);
  for (const candidate of [join(resultsDir, detector, category, `${detector}_${file}`), join(resultsDir, detector, category, file)]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The `anomaly_score` column of a result file. */
export function readAnomalyScores(path: string): Float64Array {
  const columns = readCsvColumns(path);
  const scores = columns.anomaly_score;
  if (scores === undefined) throw new Error(`${path}: no anomaly_score column`);
  return toNumbers(scores);
}

/** Detector names under a results folder (sub-folders holding at least one category folder). */
export function listResultDetectors(resultsDir: string): string[] {
  if (!existsSync(resultsDir)) return [];
  return readdirSync(resultsDir)
    .filter((d) => statSync(join(resultsDir, d)).isDirectory())
    .sort();
}
