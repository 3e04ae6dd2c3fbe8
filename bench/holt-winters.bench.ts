/**
 * Holt-Winters speed: fitting with fixed parameters, fitting with optimised parameters, and
 * streaming updates, for n = 1e3 … 1e6 points (quick: 1e3, 1e4), side by side with R's
 * `HoltWinters()` and statsmodels' `ExponentialSmoothing` on the same series and period.
 * Ratios above 1 mean the reference is slower than Sluice.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fitHoltWinters, streamFrom, update, type StreamStep } from '../detectors/holt-winters/index.js';
import { growthExponent, pointsPerSecond, report, time, type BenchOptions, type Row } from './lib/harness.js';
import { hasR, hasStatsmodels, timePython, timeR } from './lib/external.js';

const period = 24;
const fixed = { alpha: 0.3, beta: 0.1, gamma: 0.2 };

/** A seasonal series with trend and deterministic noise (a 32-bit LCG). */
function makeSeries(n: number): Float64Array {
  const values = new Float64Array(n);
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    values[i] = 100 + 0.001 * i + 10 * Math.sin((2 * Math.PI * i) / period) + (seed / 4294967296 - 0.5) * 4;
  }
  return values;
}

function rScript(file: string, runs: number, optimise: boolean): string {
  const call = optimise ? 'HoltWinters(x)' : `HoltWinters(x, alpha = ${fixed.alpha}, beta = ${fixed.beta}, gamma = ${fixed.gamma})`;
  return `x <- ts(scan("${file}", quiet = TRUE), frequency = ${period})
invisible(${call})
times <- replicate(${runs}, system.time(${call})[["elapsed"]])
cat(median(times), "\\n")
`;
}

function pythonScript(file: string, runs: number, optimise: boolean): string {
  const fit = optimise ? 'model.fit()' : `model.fit(smoothing_level=${fixed.alpha}, smoothing_trend=${fixed.beta}, smoothing_seasonal=${fixed.gamma}, optimized=False)`;
  return `import time, warnings
import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing
warnings.filterwarnings("ignore")
y = np.loadtxt("${file}")
def task():
    model = ExponentialSmoothing(y, trend="add", seasonal="add", seasonal_periods=${period}, initialization_method="${optimise ? 'estimated' : 'heuristic'}")
    ${fit}
task()
samples = []
for _ in range(${runs}):
    t0 = time.perf_counter()
    task()
    samples.append(time.perf_counter() - t0)
print(float(np.median(samples)))
`;
}

/** Runs the benchmark; `quick` keeps n ≤ 1e4 and skips the slowest reference runs. */
export async function run(opts: BenchOptions): Promise<void> {
  const sizes = opts.quick ? [1e3, 1e4] : [1e3, 1e4, 1e5, 1e6];
  const dir = mkdtempSync(join(tmpdir(), 'sluice-hw-'));
  const rows: Row[] = [];
  const growth: Record<string, { n: number; ms: number }[]> = { fixed: [], optimised: [], streaming: [] };
  const withR = hasR();
  const withPython = hasStatsmodels();
  // Let the JIT settle on every code path first, so that the smallest size does not pay for it.
  const warmSeries = makeSeries(20_000);
  for (let i = 0; i < 20; i++) fitHoltWinters(warmSeries, { period, ...fixed });
  for (let i = 0; i < 3; i++) fitHoltWinters(warmSeries.subarray(0, 2000), { period });
  for (const n of sizes) {
    const values = makeSeries(n);
    const file = join(dir, `series-${n}.txt`);
    writeFileSync(file, Array.from(values, (v) => v.toPrecision(17)).join('\n'));
    const runs = n >= 1e6 ? 3 : n >= 1e5 ? 5 : 9;
    const externalRuns = opts.quick || n >= 1e5 ? 1 : 5;

    const oursFixed = time(() => fitHoltWinters(values, { period, ...fixed }), runs);
    let evaluations: number | null = null;
    const oursOptimised = time(() => {
      const fit = fitHoltWinters(values, { period });
      evaluations = fit.ok ? fit.value.evaluations : null;
    }, n >= 1e6 ? 1 : runs);
    const warm = fitHoltWinters(values.subarray(0, 2 * period), { period, ...fixed });
    if (!warm.ok) throw new Error(warm.error.message);
    const step: StreamStep = { forecast: 0, residual: 0, score: 0, outside: false };
    const oursStreaming = time(() => {
      const state = streamFrom(warm.value);
      for (let i = 0; i < values.length; i++) update(state, values[i], 'both', step);
    }, runs);

    // statsmodels' optimiser with estimated initial states grows steeply with n; keep its largest runs out of the quick pass.
    const rFixed = withR ? timeR(rScript(file, externalRuns, false)) : null;
    const rOptimised = withR ? timeR(rScript(file, externalRuns, true)) : null;
    const pythonFixed = withPython ? timePython(pythonScript(file, externalRuns, false)) : null;
    const pythonOptimised = withPython && n <= (opts.quick ? 1e3 : 1e5) ? timePython(pythonScript(file, externalRuns, true), 600_000) : null;

    const ratio = (reference: number | null, ours: number): number | null => (reference === null ? null : reference / ours);
    rows.push({
      n,
      task: 'fit, fixed α β γ',
      oursMs: oursFixed.medianMs,
      pointsPerSecond: pointsPerSecond(n, oursFixed.medianMs),
      rMs: rFixed,
      statsmodelsMs: pythonFixed,
      rOverOurs: ratio(rFixed, oursFixed.medianMs),
      statsmodelsOverOurs: ratio(pythonFixed, oursFixed.medianMs),
    });
    rows.push({
      n,
      task: 'fit, optimised α β γ',
      oursMs: oursOptimised.medianMs,
      pointsPerSecond: pointsPerSecond(n, oursOptimised.medianMs),
      evaluations,
      rMs: rOptimised,
      statsmodelsMs: pythonOptimised,
      rOverOurs: ratio(rOptimised, oursOptimised.medianMs),
      statsmodelsOverOurs: ratio(pythonOptimised, oursOptimised.medianMs),
    });
    rows.push({ n, task: 'streaming update', oursMs: oursStreaming.medianMs, pointsPerSecond: pointsPerSecond(n, oursStreaming.medianMs) });
    growth.fixed.push({ n, ms: oursFixed.medianMs });
    growth.optimised.push({ n, ms: oursOptimised.medianMs });
    growth.streaming.push({ n, ms: oursStreaming.medianMs });
  }
  report('holt-winters', rows);
  report(
    'holt-winters growth (slope of log time vs log n; 1 = linear)',
    Object.entries(growth).map(([task, points]) => ({ task, exponent: growthExponent(points) })),
  );
}
