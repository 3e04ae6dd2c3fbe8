/**
 * Dataset I/O: how fast cases are generated, written and read in each encoding, and how big
 * each encoding is. Reading is timed in memory (bytes already loaded) so that the disk does not
 * blur the comparison; both readers validate every case, as `readDataset` does.
 */
import { performance } from 'node:perf_hooks';
import { generateCases, v1Preset } from '../datasets/generator/index.js';
import { decodeArrowShard, encodeArrowShard } from '../src/datasets/arrow.js';
import { type ParsedCase, caseToJsonText, checkCase } from '../src/datasets/case.js';
import { parseCaseText } from '../src/datasets/dataset.js';
import { type BenchOptions, type Row, growthExponent, pointsPerSecond, report, timeInterleaved } from './lib/harness.js';

function pointsOf(cases: ParsedCase[]): number {
  let n = 0;
  for (const c of cases) for (const m of c.metrics) for (const h of [...m.released, ...m.unreleased]) n += h.values.length;
  return n;
}

export async function run(opts: BenchOptions): Promise<void> {
  const sizes = opts.quick ? [10, 20] : [25, 50, 100];
  const runs = opts.quick ? 3 : 5;
  const rows: Row[] = [];
  const growth: Record<string, { n: number; ms: number }[]> = { json: [], arrow: [] };
  const largest = sizes[sizes.length - 1] as number;
  const t0 = performance.now();
  const all = [...generateCases(v1Preset, { count: largest })];
  const generateMs = performance.now() - t0;
  rows.push({ task: 'generate v1', cases: largest, points: pointsOf(all), ms: generateMs, casesPerSecond: (largest / generateMs) * 1000, pointsPerSecond: pointsPerSecond(pointsOf(all), generateMs) });

  for (const n of sizes) {
    const cases = all.slice(0, n);
    const points = pointsOf(cases);
    const texts = cases.map((c) => caseToJsonText(c));
    const shard = encodeArrowShard(cases);
    const jsonBytes = texts.reduce((s, t) => s + Buffer.byteLength(t), 0);
    const arrowBytes = shard.cases.byteLength + shard.series.byteLength + shard.logs.byteLength;
    const timings = timeInterleaved(
      {
        readJson: () => texts.map((t, i) => parseCaseText(t, `${i}.json`)),
        readArrow: () => decodeArrowShard(shard).map((c) => checkCase(c)),
        writeJson: () => cases.map((c) => caseToJsonText(c)),
        writeArrow: () => encodeArrowShard(cases),
      },
      runs,
    );
    growth.json!.push({ n, ms: timings.readJson!.medianMs });
    growth.arrow!.push({ n, ms: timings.readArrow!.medianMs });
    for (const [task, t] of Object.entries(timings)) {
      const arrow = task.endsWith('Arrow');
      rows.push({
        task,
        cases: n,
        points,
        minMs: t.minMs,
        medianMs: t.medianMs,
        pointsPerSecond: pointsPerSecond(points, t.medianMs),
        bytesPerPoint: (arrow ? arrowBytes : jsonBytes) / points,
      });
    }
    rows.push({ task: 'arrow speed-up (read, median)', cases: n, ratio: timings.readJson!.medianMs / timings.readArrow!.medianMs, sizeRatio: jsonBytes / arrowBytes });
  }
  rows.push({ task: 'growth exponent of read time', json: growthExponent(growth.json!), arrow: growthExponent(growth.arrow!) });
  report('datasets: generate, write and read (JSON vs Arrow)', rows);
}
