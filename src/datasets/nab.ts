/**
 * Import of single-series benchmarks in the Numenta Anomaly Benchmark's layout (Lavin & Ahmad,
 * "Evaluating Real-time Anomaly Detection Algorithms — the Numenta Anomaly Benchmark", 2015):
 * `timestamp,value` CSV files and a labels JSON mapping each file to its anomaly windows.
 * Timestamps without a zone are read as UTC.
 */
import { readFile } from 'node:fs/promises';
import { SluiceError } from '../core/errors.js';
import type { Series } from '../core/series.js';

/** One anomaly window, both ends included, epoch ms. A point label has `start === end`. */
export interface LabelWindow {
  start: number;
  end: number;
}

export interface NabSeries {
  /** The values on a regular clock: step = the most common spacing; a slot with no row is `NaN`. */
  series: Series;
  /** Epoch ms of every row, in file order. */
  timestamps: Float64Array;
  /** Values of every row, in file order (`NaN` for an empty or non-numeric cell). */
  rowValues: Float64Array;
  /** Rows that fell off the regular clock or onto an already-filled slot (kept only in `rowValues`). */
  offGrid: number;
}

const STAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Epoch ms of a NAB timestamp (`2014-04-10 07:15:00[.ffffff]`, UTC unless a zone is given); `NaN` if malformed. */
export function parseNabTimestamp(text: string): number {
  // Fast path for the exact `YYYY-MM-DD HH:MM:SS` form of NAB's data files (hundreds of thousands of rows).
  if (text.length === 19 && text[4] === '-' && text[10] === ' ' && text[13] === ':') {
    const value = Date.UTC(+text.slice(0, 4), +text.slice(5, 7) - 1, +text.slice(8, 10), +text.slice(11, 13), +text.slice(14, 16), +text.slice(17, 19));
    if (Number.isFinite(value)) return value;
  }
  const m = STAMP.exec(text.trim());
  if (!m) return NaN;
  const fraction = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  let t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), fraction);
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return t;
}

/**
 * Parses the text of a NAB CSV file (`timestamp,value` header, one row per line).
 * Throws `SluiceError('invalid_input')` naming the line when a timestamp is malformed or the file
 * has no rows; an unparsable value becomes `NaN`. Cost: O(rows + span / step).
 */
export function parseNabCsv(text: string, file = 'csv'): NabSeries {
  const lines = text.split(/\r?\n/);
  const times: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const comma = line.indexOf(',');
    const stamp = comma < 0 ? line : line.slice(0, comma);
    const t = parseNabTimestamp(stamp);
    if (Number.isNaN(t)) {
      if (times.length === 0 && i === 0) continue; // the header
      throw new SluiceError('invalid_input', `${file}:${i + 1}`, `malformed timestamp "${stamp}"`);
    }
    const cell = comma < 0 ? '' : line.slice(comma + 1).trim();
    const v = cell === '' ? NaN : Number(cell);
    times.push(t);
    values.push(Number.isFinite(v) ? v : NaN);
  }
  if (times.length === 0) throw new SluiceError('invalid_input', file, 'no data rows');
  const step = commonSpacing(times);
  const start = Math.min(...times);
  const end = Math.max(...times);
  const length = Math.floor((end - start) / step) + 1;
  const grid = new Float64Array(length).fill(NaN);
  const filled = new Uint8Array(length);
  let offGrid = 0;
  for (let i = 0; i < times.length; i++) {
    const offset = (times[i] as number) - start;
    const slot = offset / step;
    if (!Number.isInteger(slot) || filled[slot]) {
      offGrid++;
      continue;
    }
    filled[slot] = 1;
    grid[slot] = values[i] as number;
  }
  return { series: { start, step, values: grid }, timestamps: Float64Array.from(times), rowValues: Float64Array.from(values), offGrid };
}

/** The most frequent positive spacing between consecutive timestamps (the smallest on ties); 1 when there is none. */
function commonSpacing(times: number[]): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < times.length; i++) {
    const d = (times[i] as number) - (times[i - 1] as number);
    if (d > 0) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best = 0;
  let bestCount = 0;
  for (const [d, n] of counts) if (n > bestCount || (n === bestCount && d < best)) [best, bestCount] = [d, n];
  return best > 0 ? best : 1;
}

/** Reads a NAB CSV file; see `parseNabCsv`. */
export async function readNabCsv(file: string): Promise<NabSeries> {
  return parseNabCsv(await readFile(file, 'utf8'), file);
}

/**
 * Reads a NAB labels file: `combined_windows.json` (file → list of `[start, end]`) or
 * `combined_labels.json` (file → list of timestamps, read as point windows). Keys are the
 * data-relative paths as NAB writes them (`realKnownCause/nyc_taxi.csv`).
 * Throws `SluiceError('invalid_input')` naming the key on a malformed entry.
 */
export async function readNabLabels(labelsFile: string): Promise<Map<string, LabelWindow[]>> {
  const json = JSON.parse(await readFile(labelsFile, 'utf8')) as unknown;
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new SluiceError('invalid_input', labelsFile, 'expected an object of file → windows');
  const out = new Map<string, LabelWindow[]>();
  for (const [key, entries] of Object.entries(json as Record<string, unknown>)) {
    if (!Array.isArray(entries)) throw new SluiceError('invalid_input', key, 'expected a list of windows or timestamps');
    const windows: LabelWindow[] = entries.map((entry, i) => {
      const pair = typeof entry === 'string' ? [entry, entry] : entry;
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
        throw new SluiceError('invalid_input', `${key}.${i}`, 'expected a timestamp or a [start, end] pair of timestamps');
      }
      const start = parseNabTimestamp(pair[0]);
      const end = parseNabTimestamp(pair[1]);
      if (Number.isNaN(start) || Number.isNaN(end) || end < start) throw new SluiceError('invalid_input', `${key}.${i}`, `bad window ${JSON.stringify(pair)}`);
      return { start, end };
    });
    out.set(key, windows);
  }
  return out;
}

/** 1 where point `i` of `s` lies inside any window (ends included), else 0. Cost: O(n + windows). */
export function windowMask(s: Series, windows: readonly LabelWindow[]): Uint8Array {
  const mask = new Uint8Array(s.values.length);
  for (const w of windows) {
    const from = Math.max(0, Math.ceil((w.start - s.start) / s.step));
    const to = Math.min(s.values.length - 1, Math.floor((w.end - s.start) / s.step));
    for (let i = from; i <= to; i++) mask[i] = 1;
  }
  return mask;
}
