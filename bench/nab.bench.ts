/**
 * NAB: cost of the scorer's corpus-wide threshold sweep (how it grows with rows), the streaming
 * detectors' throughput, and — when the NAB corpus sits next to the repository — the full
 * scoreboard of our detectors beside the published ones.
 *
 *   npm run bench -- nab            # full pass
 *   npm run bench -- nab --quick    # small sizes only
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  NAB_PROFILES,
  formatScoreboard,
  optimizeThreshold,
  readNabCorpus,
  readProfiles,
  readPublishedScoreboard,
  scoreAllProfiles,
  scoreSeries,
  scoreboardRows,
  streamingDetectors,
  sweepFile,
  type DetectorScores,
} from '../src/nab/index.js';
import { growthExponent, pointsPerSecond, report, time, type BenchOptions, type Row } from './lib/harness.js';

const nabDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/datasets/nab');

/** A synthetic corpus of `files` series of `rows` rows, two windows each, pseudo-random scores. */
function syntheticCorpus(files: number, rows: number) {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const timestamps = Float64Array.from({ length: rows }, (_, i) => i);
  const windows: [number, number][] = [
    [Math.floor(rows * 0.3), Math.floor(rows * 0.35)],
    [Math.floor(rows * 0.7), Math.floor(rows * 0.75)],
  ];
  return Array.from({ length: files }, () => ({
    sweep: sweepFile(timestamps, windows, NAB_PROFILES.standard),
    anomalyScores: Float64Array.from({ length: rows }, () => Math.round(random() * 1e5) / 1e5),
  }));
}

export async function run(opts: BenchOptions): Promise<void> {
  const sizes = opts.quick ? [2_000, 8_000, 32_000] : [10_000, 40_000, 160_000, 640_000];
  const sweepRows: Row[] = [];
  const points: { n: number; ms: number }[] = [];
  for (const n of sizes) {
    const corpus = syntheticCorpus(10, n / 10);
    const t = time(() => optimizeThreshold(corpus, NAB_PROFILES.standard), opts.quick ? 3 : 5);
    points.push({ n, ms: t.medianMs });
    sweepRows.push({ rows: n, medianMs: t.medianMs, minMs: t.minMs, rowsPerSecond: Math.round(pointsPerSecond(n, t.medianMs)) });
  }
  sweepRows.push({ rows: 'growth exponent', medianMs: growthExponent(points) });
  report('nab threshold sweep (10 files, optimise one profile)', sweepRows);

  // The contextual detector learns contexts without bound, so its cost per point grows with the
  // series: lengths stay near NAB's (1k–23k points per file).
  const length = opts.quick ? 5_000 : 50_000;
  const t = Float64Array.from({ length }, (_, i) => i * 300_000);
  const values = Float64Array.from({ length }, (_, i) => 100 + 10 * Math.sin((2 * Math.PI * i) / 288) + Math.sin(i * 12.9898) * 3);
  const detectorRows: Row[] = [];
  for (const factory of Object.values(streamingDetectors)) {
    const detector = factory.create();
    const timing = time(() => scoreSeries(detector, t, values), opts.quick ? 2 : 3);
    detectorRows.push({ detector: factory.name, points: length, medianMs: timing.medianMs, pointsPerSecond: Math.round(pointsPerSecond(length, timing.medianMs)) });
  }
  report('nab streaming detectors (one seasonal series)', detectorRows);

  if (!existsSync(resolve(nabDir, 'labels/combined_windows.json'))) {
    console.log(`# NAB corpus not found at ${nabDir}: scoreboard skipped`);
    return;
  }
  if (opts.quick) return;
  const corpus = readNabCorpus(nabDir);
  const profiles = readProfiles(nabDir);
  const ours: Record<string, DetectorScores> = {};
  const rows: Row[] = [];
  for (const factory of Object.values(streamingDetectors)) {
    const detector = factory.create();
    const started = performance.now();
    const files = corpus.map((s) => ({ name: s.name, timestamps: s.timestamps, windows: s.windows, anomalyScores: scoreSeries(detector, s.timestamps, s.values) }));
    const detectMs = performance.now() - started;
    const scoringStarted = performance.now();
    ours[factory.name] = scoreAllProfiles(files, profiles);
    const scoreMs = performance.now() - scoringStarted;
    rows.push({
      detector: factory.name,
      standard: ours[factory.name].standard.normalizedScore,
      lowFP: ours[factory.name].reward_low_FP_rate.normalizedScore,
      lowFN: ours[factory.name].reward_low_FN_rate.normalizedScore,
      detectMs,
      pointsPerSecond: Math.round(pointsPerSecond(files.reduce((n, f) => n + f.anomalyScores.length, 0), detectMs)),
      scoreMs,
    });
  }
  report('nab corpus (58 series, 365,558 points)', rows);
  console.log(formatScoreboard(scoreboardRows(ours, readPublishedScoreboard(nabDir))));
}
