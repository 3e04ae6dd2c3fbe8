/**
 * DTW speed: matrix cells per second for 1,000 × 1,000 unconstrained and with a 10 % Sakoe–Chiba
 * band, side by side with the npm packages `dtw` and `dynamic-time-warping` (interleaved, same
 * inputs, same absolute cost); the early-abandoning pruning rate in a nearest-neighbour search;
 * how time grows with n; and the cost of one call of each comparison detector (dtwDetector,
 * aucDetector, rankTestDetector) on a 60-minute window.
 *
 *   npm run bench -- dtw          # full pass
 *   npm run bench:quick -- dtw    # CI pass
 *
 * Both packages always fill the whole cost matrix (to return a path), so the like-for-like
 * comparison for them is `dtwPath`; `dtw` (distance only) is what callers usually need: at this
 * size it runs the anti-diagonal WebAssembly SIMD kernel, and the row kernels with early
 * abandoning in the pruning table.
 */
import { createRequire } from 'node:module';
import { aucDetector } from '../detectors/auc/index.js';
import { dtw, dtwDetector, dtwPath } from '../detectors/dtw/index.js';
import { rankTestDetector } from '../detectors/rank-test/index.js';
import { parseConfig } from '../src/core/config.js';
import type { DetectorInput, DetectorModule } from '../src/core/detector.js';
import { series } from '../src/core/series.js';
import { performance } from 'node:perf_hooks';
import { growthExponent, report, type BenchOptions, type Row } from './lib/harness.js';

const require = createRequire(import.meta.url);
type DtwPackage = new (options: { distanceMetric: string }) => { compute(s: number[], t: number[], window?: number): number };
type DynamicTimeWarpingPackage = new (a: number[], b: number[], f: (x: number, y: number) => number) => { getDistance(): number };
const DtwNpm = require('dtw') as DtwPackage;
const DynamicTimeWarping = require('dynamic-time-warping') as DynamicTimeWarpingPackage;

/** Deterministic uniform numbers in [0, 1) (mulberry32), so every run measures the same data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A metric-like series: daily-ish wave plus a random walk plus noise. */
function metric(n: number, seed: number): Float64Array {
  const next = random(seed);
  const out = new Float64Array(n);
  let walk = 0;
  for (let i = 0; i < n; i++) {
    walk += next() - 0.5;
    out[i] = 100 + 10 * Math.sin((2 * Math.PI * i) / 240) + walk + 2 * (next() - 0.5);
  }
  return out;
}

const absolute = (x: number, y: number): number => Math.abs(x - y);

interface CpuTiming {
  /** Minimum CPU time (user + system) of one task, milliseconds. */
  cpuMs: number;
  /** Minimum wall time of one task, milliseconds. */
  wallMs: number;
}

/**
 * Like the harness's `timeInterleaved`, but also reports process CPU time, and repeats short
 * tasks so that each measured batch lasts at least `batchMs`. On a shared machine wall time
 * counts the minutes other processes held the cores; CPU time does not. (CPU time also counts
 * the collector's helper threads, which only makes allocating implementations look slower.)
 */
function timeCpuInterleaved(tasks: Record<string, () => unknown>, runs: number, batchMs = 20): Record<string, CpuTiming> {
  const names = Object.keys(tasks);
  const repeats: Record<string, number> = {};
  for (const name of names) {
    const t0 = performance.now();
    tasks[name]();
    const once = Math.max(performance.now() - t0, 0.001);
    repeats[name] = Math.max(1, Math.ceil(batchMs / once));
  }
  const out: Record<string, CpuTiming> = {};
  for (const name of names) out[name] = { cpuMs: Infinity, wallMs: Infinity };
  for (let r = 0; r < runs; r++) {
    for (const name of names) {
      const k = repeats[name];
      const cpu0 = process.cpuUsage();
      const wall0 = performance.now();
      for (let i = 0; i < k; i++) tasks[name]();
      const wall = (performance.now() - wall0) / k;
      const used = process.cpuUsage(cpu0);
      const cpu = (used.user + used.system) / 1000 / k;
      out[name].cpuMs = Math.min(out[name].cpuMs, cpu);
      out[name].wallMs = Math.min(out[name].wallMs, wall);
    }
  }
  return out;
}

export async function run(options: BenchOptions): Promise<void> {
  const runs = options.quick ? 3 : 7;
  const n = 1000;
  const a = metric(n, 1);
  const b = metric(n, 2);
  const plainA = Array.from(a);
  const plainB = Array.from(b);
  const band = n / 10;
  const cellsFull = n * n;
  let cellsBand = 0;
  for (let i = 0; i < n; i++) cellsBand += Math.min(n - 1, i + band) - Math.max(0, i - band) + 1;

  const head = timeCpuInterleaved(
    {
      full: () => dtw(a, b),
      band10: () => dtw(a, b, { window: band }),
      fullPath: () => dtwPath(a, b),
      dtwNpm: () => new DtwNpm({ distanceMetric: 'manhattan' }).compute(plainA, plainB),
      dtwNpmBand10: () => new DtwNpm({ distanceMetric: 'manhattan' }).compute(plainA, plainB, band),
      dynamicTimeWarping: () => new DynamicTimeWarping(plainA, plainB, absolute).getDistance(),
    },
    runs,
  );
  const reference = dtw(a, b).distance;
  const others = [new DtwNpm({ distanceMetric: 'manhattan' }).compute(plainA, plainB), new DynamicTimeWarping(plainA, plainB, absolute).getDistance()];
  const agree = others.every((d) => Math.abs(d - reference) <= 1e-9 * reference);
  const rows: Row[] = [];
  const row = (name: string, implementation: string, cells: number, baseline: string): Row => {
    const t = head[implementation];
    return {
      case: name,
      implementation,
      cpuMs: t.cpuMs,
      wallMs: t.wallMs,
      cellsPerSecond: (cells / t.cpuMs) * 1000,
      nsPerCell: (t.cpuMs * 1e6) / cells,
      speedupVsDtwNpm: head[baseline].cpuMs / t.cpuMs,
      speedupVsDynamicTimeWarping: head.dynamicTimeWarping.cpuMs / t.cpuMs,
    };
  };
  rows.push(row('1000x1000 full', 'full', cellsFull, 'dtwNpm'));
  rows.push(row('1000x1000 full', 'fullPath', cellsFull, 'dtwNpm'));
  rows.push(row('1000x1000 full', 'dtwNpm', cellsFull, 'dtwNpm'));
  rows.push(row('1000x1000 full', 'dynamicTimeWarping', cellsFull, 'dtwNpm'));
  rows.push(row('1000x1000 band 10%', 'band10', cellsBand, 'dtwNpmBand10'));
  rows.push(row('1000x1000 band 10%', 'dtwNpmBand10', cellsBand, 'dtwNpmBand10'));
  rows.push({ case: 'distances agree', implementation: 'all three', cpuMs: null, wallMs: null, cellsPerSecond: null, nsPerCell: null, speedupVsDtwNpm: agree ? 'yes' : 'NO', speedupVsDynamicTimeWarping: null });
  report('dtw: 1,000 x 1,000, absolute cost (min over interleaved runs; rates from CPU time)', rows);

  // Nearest-neighbour search: one query against many windows of a long series, the best
  // distance so far as the abandoning threshold (the UCR suite's setting).
  const queryLength = 128;
  const candidates = options.quick ? 300 : 1500;
  const long = metric(candidates * 8 + queryLength, 3);
  const query = metric(queryLength, 4);
  const window = Math.round(queryLength / 10);
  const windows: Float64Array[] = [];
  for (let c = 0; c < candidates; c++) windows.push(long.subarray(c * 8, c * 8 + queryLength));
  const stages = { lbKim: 0, lbKeogh: 0, dtw: 0, none: 0 };
  let cells = 0;
  const search = (prune: boolean, count = false): number => {
    let best = Infinity;
    for (const candidate of windows) {
      const result = dtw(query, candidate, { window, zNormalize: true, abandonAbove: prune ? best : undefined });
      if (count) {
        stages[result.prunedBy]++;
        cells += result.cells;
      }
      if (result.distance < best) best = result.distance;
    }
    return best;
  };
  const exhaustive = search(false);
  const pruned = search(true, true);
  const cellsPerPair = (() => {
    let total = 0;
    for (let i = 0; i < queryLength; i++) total += Math.min(queryLength - 1, i + window) - Math.max(0, i - window) + 1;
    return total;
  })();
  const searchTimes = timeCpuInterleaved({ exhaustive: () => search(false), pruned: () => search(true) }, runs);
  report('dtw: early-abandon pruning, 1-NN search, z-normalised, band 10%', [
    {
      queryLength,
      candidates,
      sameAnswer: exhaustive === pruned,
      prunedByLbKim: stages.lbKim / candidates,
      prunedByLbKeogh: stages.lbKeogh / candidates,
      abandonedInDtw: stages.dtw / candidates,
      computedFully: stages.none / candidates,
      cellsEvaluatedFraction: cells / (candidates * cellsPerPair),
      exhaustiveCpuMs: searchTimes.exhaustive.cpuMs,
      prunedCpuMs: searchTimes.pruned.cpuMs,
      speedup: searchTimes.exhaustive.cpuMs / searchTimes.pruned.cpuMs,
    },
  ]);

  // Time versus n.
  const sizes = options.quick ? [250, 500, 1000] : [250, 500, 1000, 2000, 4000];
  const growth: Row[] = [];
  const fullPoints: { n: number; ms: number }[] = [];
  const bandPoints: { n: number; ms: number }[] = [];
  for (const size of sizes) {
    const x = metric(size, 5);
    const y = metric(size, 6);
    const timing = timeCpuInterleaved({ full: () => dtw(x, y), band10: () => dtw(x, y, { window: size / 10 }) }, runs);
    const full = timing.full.cpuMs;
    const banded = timing.band10.cpuMs;
    fullPoints.push({ n: size, ms: full });
    bandPoints.push({ n: size, ms: banded });
    growth.push({ n: size, fullCpuMs: full, fullNsPerCell: (full * 1e6) / (size * size), band10CpuMs: banded, band10NsPerCell: (banded * 1e6) / (size * (size / 5 + 1)) });
  }
  growth.push({ n: 'exponent', fullCpuMs: growthExponent(fullPoints), fullNsPerCell: null, band10CpuMs: growthExponent(bandPoints), band10NsPerCell: null });
  // Small matrices carry the kernel's fixed set-up cost (tens of microseconds), which flattens the
  // fitted exponent; the large sizes show the quadratic growth itself.
  const large = (points: { n: number; ms: number }[]) => points.filter((p) => p.n >= 1000);
  if (large(fullPoints).length >= 2) growth.push({ n: 'exponent n>=1000', fullCpuMs: growthExponent(large(fullPoints)), fullNsPerCell: null, band10CpuMs: growthExponent(large(bandPoints)), band10NsPerCell: null });
  report('dtw: time versus n (expected exponent 2 for both: the band grows with n)', growth);

  // One call of each comparison detector on a typical window: 60 minutes, 8 hosts a side.
  const minutes = 60;
  const hostSeries = (seed: number, shift: number) => {
    const values = metric(minutes, seed);
    for (let i = 0; i < minutes; i++) values[i] += shift;
    return series(0, 60_000, values);
  };
  const treatedHosts = Array.from({ length: 8 }, (_, k) => hostSeries(10 + k, 5));
  const controlHosts = Array.from({ length: 8 }, (_, k) => hostSeries(30 + k, 0));
  const inputs: Record<string, DetectorInput> = {
    points: { treated: hostSeries(50, 5), control: hostSeries(51, 0), direction: 'up' },
    hosts: { treated: hostSeries(50, 5), control: hostSeries(51, 0), treatedHosts, controlHosts, direction: 'up' },
  };
  const detectorRows: Row[] = [];
  const modules: DetectorModule[] = [dtwDetector, aucDetector, rankTestDetector];
  for (const module of modules) {
    const config = parseConfig(module.configSchema, {}, module.name);
    for (const [shape, input] of Object.entries(inputs)) {
      if (shape === 'hosts' && module !== rankTestDetector) continue;
      const timing = timeCpuInterleaved({ call: () => module.detect(input, config) }, runs);
      const result = module.detect(input, config);
      detectorRows.push({ detector: module.name, samples: shape, microsecondsPerCall: timing.call.cpuMs * 1000, score: result.score, anomalous: result.anomalous });
    }
  }
  report('comparison detectors: one call on a 60-minute window (CPU time)', detectorRows);
}
