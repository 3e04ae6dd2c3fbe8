/**
 * Core boundary helpers: speed (points per second, growth with n) and agreement with reference
 * implementations on the same data, side by side:
 *
 * - regularize (shuffled, duplicated, jittered samples → 1-minute mean and p95) vs pandas groupby
 * - fillGaps linear with maxGap vs R zoo::na.approx(maxgap =)
 * - band rolling-sigma vs pandas rolling(window).std().shift(1)
 * - day types and wall-clock slots for a year of minutes in Europe/Berlin vs Python zoneinfo
 * - scoreSeries + windowScore (no reference; speed only)
 *
 * Ratios > 1 mean Sluice is faster. Reference columns are `-` when R or Python is missing.
 *
 *   npm run bench -- core            # n = 1e4 … 1e6
 *   npm run bench:quick -- core      # n = 1e4, 1e5
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { band } from '../src/core/band.js';
import { dayTypes, slotsOfDay } from '../src/core/day-type.js';
import { fillGaps } from '../src/core/fill-gaps.js';
import { regularize } from '../src/core/regularize.js';
import { scoreSeries, windowScore } from '../src/core/score.js';
import { series } from '../src/core/series.js';
import { hasR, hasStatsmodels, PYTHON } from './lib/external.js';
import { growthExponent, pointsPerSecond, report, time, type BenchOptions, type Row } from './lib/harness.js';

const MINUTE = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'sluice-core-bench-'));

/** A deterministic generator, so TypeScript and the references see the same data through files. */
function lcg(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

function writeF64(name: string, values: ArrayLike<number>): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.from(Float64Array.from(values).buffer));
  return path;
}

function readF64(path: string): Float64Array {
  const bytes = readFileSync(path);
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Runs a reference script that writes its result to `out` and prints the best seconds per run last. */
function reference(cmd: string, ext: string, script: string): { ms: number; out: Float64Array } | null {
  const file = join(dir, `ref-${Math.random().toString(36).slice(2)}.${ext}`);
  writeFileSync(file, script);
  const r = spawnSync(cmd, [file], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) return null;
  const seconds = Number(r.stdout.trim().split('\n').pop());
  const outPath = /OUT=(\S+)/.exec(script)?.[1];
  if (!Number.isFinite(seconds) || outPath === undefined) return null;
  return { ms: seconds * 1000, out: readF64(outPath) };
}

/** Largest |a − b| over points where both are present; Infinity when one is missing and the other not. */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
    if (!Number.isNaN(x)) worst = Math.max(worst, Math.abs(x - y));
  }
  return worst;
}

/** More runs for small inputs, so the minimum is taken after the JIT has settled. */
const runsFor = (n: number, runs: number): number => Math.max(runs, Math.ceil(3e5 / n));

const pythonTimer = (setup: string, call: string, runs: number, out: string): string =>
  `# OUT=${out}\nimport time\nimport numpy as np\nimport pandas as pd\n${setup}\nresult = ${call}\nnp.asarray(result, dtype='<f8').tofile('${out}')\n` +
  `best = float('inf')\nfor _ in range(${runs}):\n    t0 = time.perf_counter()\n    ${call}\n    best = min(best, time.perf_counter() - t0)\nprint(best)\n`;

function regularizeRows(sizes: number[], runs: number): Row[] {
  const rows: Row[] = [];
  const growth: { n: number; ms: number }[] = [];
  for (const n of sizes) {
    const random = lcg(n);
    const t = new Float64Array(n);
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      // About 4 samples a minute, jittered, with one in ten repeating the previous timestamp.
      t[i] = i > 0 && random() < 0.1 ? t[i - 1] : Math.floor(i * 15_000 + random() * 15_000);
      v[i] = 100 + 10 * Math.sin(i / 500) + random() * 5;
    }
    // Shuffle so the sort is exercised.
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [t[i], t[j]] = [t[j], t[i]];
      [v[i], v[j]] = [v[j], v[i]];
    }
    const tPath = writeF64(`reg-t-${n}.f64`, t);
    const vPath = writeF64(`reg-v-${n}.f64`, v);
    for (const aggregate of ['mean', 'p95'] as const) {
      const ours = time(() => regularize({ t, v }, { step: MINUTE, aggregate, duplicates: 'last' }), runsFor(n, runs));
      const result = regularize({ t, v }, { step: MINUTE, aggregate, duplicates: 'last' });
      if (aggregate === 'mean') growth.push({ n, ms: ours.minMs });
      let refMs: number | null = null;
      let diff: number | null = null;
      if (hasStatsmodels()) {
        const out = join(dir, `reg-out-${aggregate}-${n}.f64`);
        const how = aggregate === 'mean' ? 'mean()' : 'quantile(0.95)';
        const setup =
          `t = np.fromfile('${tPath}', dtype='<f8'); v = np.fromfile('${vPath}', dtype='<f8')\n` +
          `start = ${result.series.start}; buckets = ${result.series.values.length}\n` +
          `def run():\n    df = pd.DataFrame({'t': t, 'v': v}).drop_duplicates('t', keep='last')\n` +
          `    g = ((df['t'] - start) // ${MINUTE}).astype(np.int64)\n` +
          `    return df['v'].groupby(g).${how}.reindex(range(buckets)).to_numpy()`;
        const ref = reference(PYTHON, 'py', pythonTimer(setup, 'run()', Math.min(runs, 3), out));
        if (ref) {
          refMs = ref.ms;
          diff = maxAbsDiff(result.series.values, ref.out);
        }
      }
      rows.push({
        task: `regularize ${aggregate}`,
        n,
        ms: ours.minMs,
        pointsPerSec: pointsPerSecond(n, ours.minMs),
        reference: 'pandas',
        referenceMs: refMs,
        ratio: refMs === null ? null : refMs / ours.minMs,
        maxAbsDiff: diff,
      });
    }
  }
  rows.push({ task: 'regularize mean', growth: growthExponent(growth) });
  return rows;
}

function fillRows(sizes: number[], runs: number): Row[] {
  const rows: Row[] = [];
  for (const n of sizes) {
    const random = lcg(n + 1);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = Math.sin(i / 50) * 10 + random();
    // Gaps of 1 … 8 points at random places, about 10 % of the series.
    for (let i = 0; i < n; ) {
      if (random() < 0.025) {
        const length = 1 + Math.floor(random() * 8);
        for (let k = i; k < Math.min(n, i + length); k++) values[k] = NaN;
        i += length + 1;
      } else i++;
    }
    const s = series(0, MINUTE, values);
    const ours = time(() => fillGaps(s, { method: 'linear', maxGap: 5 }), runsFor(n, runs));
    const filled = fillGaps(s, { method: 'linear', maxGap: 5 }).series.values;
    let refMs: number | null = null;
    let diff: number | null = null;
    if (hasR()) {
      const inPath = writeF64(`fill-${n}.f64`, values);
      const out = join(dir, `fill-out-${n}.f64`);
      const reps = Math.max(1, Math.floor(1e5 / n));
      const ref = reference(
        'Rscript',
        'R',
        `# OUT=${out}\nsuppressMessages(library(zoo))\ny <- readBin('${inPath}', 'double', ${n}, size = 8, endian = 'little')\n` +
          `r <- na.approx(y, maxgap = 5, na.rm = FALSE)\nwriteBin(as.double(r), '${out}', size = 8, endian = 'little')\n` +
          `t <- replicate(${Math.min(runs, 3)}, system.time(for (k in 1:${reps}) na.approx(y, maxgap = 5, na.rm = FALSE))[["elapsed"]] / ${reps})\ncat(min(t), "\\n")`,
      );
      if (ref) {
        refMs = ref.ms;
        diff = maxAbsDiff(filled, ref.out);
      }
    }
    rows.push({ task: 'fillGaps linear maxGap 5', n, ms: ours.minMs, pointsPerSec: pointsPerSecond(n, ours.minMs), reference: 'R zoo::na.approx', referenceMs: refMs, ratio: refMs === null ? null : refMs / ours.minMs, maxAbsDiff: diff });
  }
  return rows;
}

function bandRows(sizes: number[], runs: number): Row[] {
  const rows: Row[] = [];
  const growth: { n: number; ms: number }[] = [];
  const window = 60;
  for (const n of sizes) {
    const random = lcg(n + 2);
    const prediction = new Float64Array(n);
    const actual = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      prediction[i] = 1000 + 100 * Math.sin(i / 200);
      actual[i] = i % 101 === 0 ? NaN : prediction[i] + (random() - 0.5) * 20;
    }
    const ours = time(() => band(prediction, actual, { method: 'rolling-sigma', window, k: 1, minPoints: 2 }), runsFor(n, runs));
    growth.push({ n, ms: ours.minMs });
    const delta = band(prediction, actual, { method: 'rolling-sigma', window, k: 1, minPoints: 2 }).delta;
    let refMs: number | null = null;
    let diff: number | null = null;
    if (hasStatsmodels()) {
      const residualPath = writeF64(`band-r-${n}.f64`, actual.map((a, i) => a - prediction[i]));
      const out = join(dir, `band-out-${n}.f64`);
      const setup = `r = pd.Series(np.fromfile('${residualPath}', dtype='<f8'))`;
      const ref = reference(PYTHON, 'py', pythonTimer(setup, `r.rolling(${window}, min_periods=2).std().shift(1).to_numpy()`, Math.min(runs, 3), out));
      if (ref) {
        refMs = ref.ms;
        diff = maxAbsDiff(delta, ref.out);
      }
    }
    rows.push({ task: `band rolling-sigma w=${window}`, n, ms: ours.minMs, pointsPerSec: pointsPerSecond(n, ours.minMs), reference: 'pandas rolling std', referenceMs: refMs, ratio: refMs === null ? null : refMs / ours.minMs, maxAbsDiff: diff });
    const ewma = time(() => band(prediction, actual, { method: 'seasonal-ewma', period: 1440 }), runsFor(n, runs));
    rows.push({ task: 'band seasonal-ewma p=1440', n, ms: ewma.minMs, pointsPerSec: pointsPerSecond(n, ewma.minMs) });
  }
  rows.push({ task: `band rolling-sigma w=${window}`, growth: growthExponent(growth) });
  return rows;
}

function dayTypeRows(quick: boolean): Row[] {
  const n = quick ? 14 * 24 * 60 : 365 * 24 * 60;
  const start = Date.UTC(2026, 0, 1);
  const s = series(start, MINUTE, new Float64Array(n));
  const holidays = ['2026-01-01', '2026-04-03', '2026-04-06', '2026-05-01', '2026-12-25'];
  // Fresh options each run would hit the shared per-zone cache anyway; time the first pass too.
  const first = performance.now();
  const types = dayTypes(s, { timeZone: 'Europe/Berlin', holidays });
  const firstMs = performance.now() - first;
  const typesTime = time(() => dayTypes(s, { timeZone: 'Europe/Berlin', holidays }), 3);
  const slots = slotsOfDay(s, 'Europe/Berlin');
  const slotTime = time(() => slotsOfDay(s, 'Europe/Berlin'), 3);
  let refMs: number | null = null;
  let mismatches: number | null = null;
  if (hasStatsmodels()) {
    const out = join(dir, 'daytype-out.f64');
    const setup =
      `from zoneinfo import ZoneInfo\nhol = set(${JSON.stringify(holidays)})\n` +
      `def run():\n    idx = pd.date_range(pd.Timestamp(${start}, unit='ms', tz='UTC'), periods=${n}, freq='min').tz_convert('Europe/Berlin')\n` +
      `    code = np.where(idx.dayofweek >= 5, 1.0, 0.0)\n    code[np.isin(idx.strftime('%Y-%m-%d'), list(hol))] = 2.0\n` +
      `    return np.concatenate([code, (idx.hour * 60 + idx.minute).to_numpy(dtype=float)])`;
    const ref = reference(PYTHON, 'py', pythonTimer(setup, 'run()', 1, out));
    if (ref) {
      refMs = ref.ms;
      const codes = { weekday: 0, weekend: 1, holiday: 2 } as const;
      mismatches = 0;
      for (let i = 0; i < n; i++) {
        if (codes[types[i]] !== ref.out[i]) mismatches++;
        if (slots[i] !== ref.out[n + i]) mismatches++;
      }
    }
  }
  return [
    { task: 'dayTypes Europe/Berlin (first call)', n, ms: firstMs, pointsPerSec: pointsPerSecond(n, firstMs) },
    { task: 'dayTypes Europe/Berlin', n, ms: typesTime.minMs, pointsPerSec: pointsPerSecond(n, typesTime.minMs), reference: 'pandas tz_convert + zoneinfo', referenceMs: refMs, ratio: refMs === null ? null : refMs / typesTime.minMs, mismatches },
    { task: 'slotsOfDay Europe/Berlin', n, ms: slotTime.minMs, pointsPerSec: pointsPerSecond(n, slotTime.minMs) },
  ];
}

function scoreRows(sizes: number[], runs: number): Row[] {
  const rows: Row[] = [];
  for (const n of sizes) {
    const random = lcg(n + 3);
    const actual = new Float64Array(n);
    const lower = new Float64Array(n);
    const upper = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      actual[i] = random() * 10;
      lower[i] = 3;
      upper[i] = 7;
    }
    const points = time(() => scoreSeries(actual, lower, upper, 'both'), runsFor(n, runs));
    const scores = scoreSeries(actual, lower, upper, 'both');
    const window = time(() => windowScore(scores, { persistence: 5 }), runsFor(n, runs));
    rows.push({ task: 'scoreSeries', n, ms: points.minMs, pointsPerSec: pointsPerSecond(n, points.minMs) });
    rows.push({ task: 'windowScore top-mean m=5', n, ms: window.minMs, pointsPerSec: pointsPerSecond(n, window.minMs) });
  }
  return rows;
}

export async function run(opts: BenchOptions): Promise<void> {
  const sizes = opts.quick ? [1e4, 1e5] : [1e4, 1e5, 1e6];
  const runs = opts.quick ? 5 : 9;
  report('core: regularize', regularizeRows(sizes, runs));
  report('core: fillGaps', fillRows(sizes, runs));
  report('core: band', bandRows(sizes, runs));
  report('core: day types', dayTypeRows(opts.quick));
  report('core: scores', scoreRows(sizes, runs));
}
