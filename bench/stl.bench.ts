/**
 * STL speed: points per second and growth with n, for period 12 and 288, under R's defaults
 * (s.window = 7, jumps of window/10) and statsmodels' defaults (every point fitted, 5 inner
 * passes), each side by side with the reference implementation on the same series when it is
 * installed. Ratios > 1 mean Sluice is faster.
 *
 *   npm run bench -- stl            # n = 1e3 … 1e6
 *   npm run bench:quick -- stl      # n = 1e3, 1e4
 */
import { parseStlOptions, stl } from '../detectors/stl/index.js';
import { growthExponent, pointsPerSecond, report, time, type BenchOptions, type Row } from './lib/harness.js';
import { timePython, timeR } from './lib/external.js';

/** The same deterministic series in TypeScript, R and Python: trend + daily sine + hashed noise. */
function makeSeries(n: number, period: number): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const noise = Math.sin(i * 12.9898) * 43758.5453;
    y[i] = 100 + 0.001 * i + 10 * Math.sin((2 * Math.PI * i) / period) + 2 * (noise - Math.floor(noise) - 0.5);
  }
  return y;
}
const rSeries = (n: number, period: number) =>
  `i <- 0:(${n} - 1); noise <- sin(i * 12.9898) * 43758.5453; y <- 100 + 0.001 * i + 10 * sin(2 * pi * i / ${period}) + 2 * (noise - floor(noise) - 0.5)`;
const pythonSeries = (n: number, period: number) =>
  `import numpy as np\ni = np.arange(${n}, dtype=float); noise = np.sin(i * 12.9898) * 43758.5453\ny = 100 + 0.001 * i + 10 * np.sin(2 * np.pi * i / ${period}) + 2 * (noise - np.floor(noise) - 0.5)`;

interface Scenario {
  name: string;
  period: number;
  preset: 'r' | 'statsmodels';
  robust: boolean;
}

const scenarios: Scenario[] = [
  { name: 'R defaults, s.window=7', period: 12, preset: 'r', robust: false },
  { name: 'R defaults, s.window=7', period: 288, preset: 'r', robust: false },
  { name: 'R defaults, s.window=7, robust', period: 288, preset: 'r', robust: true },
  { name: 'statsmodels defaults', period: 12, preset: 'statsmodels', robust: false },
  { name: 'statsmodels defaults', period: 288, preset: 'statsmodels', robust: false },
];

/** Minimum over `runs` of the mean time of `reps` back-to-back calls (timer resolution is 1 ms in R). */
function referenceMs(s: Scenario, n: number, runs: number, quick: boolean): number | null {
  const reps = quick ? 1 : Math.max(1, Math.floor(2e4 / n));
  const robustR = s.robust ? 'TRUE' : 'FALSE';
  const robustPython = s.robust ? 'True' : 'False';
  if (s.preset === 'r') {
    return timeR(
      `${rSeries(n, s.period)}\nx <- ts(y, frequency = ${s.period})\ninvisible(stl(x, s.window = 7, robust = ${robustR}))\n` +
        `t <- replicate(${runs}, system.time(for (k in 1:${reps}) stl(x, s.window = 7, robust = ${robustR}))[["elapsed"]] / ${reps})\ncat(min(t), "\\n")`,
    );
  }
  return timePython(
    `${pythonSeries(n, s.period)}\nimport time\nfrom statsmodels.tsa.seasonal import STL\nSTL(y, period=${s.period}, robust=${robustPython}).fit()\n` +
      `ts = []\nfor _ in range(${runs}):\n    t0 = time.perf_counter()\n    for _ in range(${reps}): STL(y, period=${s.period}, robust=${robustPython}).fit()\n    ts.append((time.perf_counter() - t0) / ${reps})\nprint(min(ts))`,
  );
}

export async function run(opts: BenchOptions): Promise<void> {
  const sizes = opts.quick ? [1e3, 1e4] : [1e3, 1e4, 1e5, 1e6];
  const rows: Row[] = [];
  for (const s of scenarios) {
    const growth: { n: number; ms: number }[] = [];
    for (const n of sizes) {
      // statsmodels' defaults fit every point with a ~2·period trend window: O(n·period), and
      // statsmodels itself takes seconds per fit from n = 1e4 on.
      if (s.preset === 'statsmodels' && s.period === 288 && n > (opts.quick ? 1e3 : 1e4)) continue;
      const runs = n >= 1e5 ? 3 : n >= 1e4 ? 7 : 15;
      const y = makeSeries(n, s.period);
      const options = parseStlOptions({ period: s.period, seasonalWindow: 7, robust: s.robust, preset: s.preset });
      const ours = time(() => stl(y, options), runs);
      const reference = referenceMs(s, n, opts.quick ? 2 : runs, opts.quick);
      growth.push({ n, ms: ours.minMs });
      rows.push({
        scenario: s.name,
        period: s.period,
        n,
        sluiceMs: ours.minMs,
        sluicePointsPerSecond: Math.round(pointsPerSecond(n, ours.minMs)),
        reference: s.preset === 'r' ? 'R stl' : 'statsmodels STL',
        referenceMs: reference,
        speedup: reference === null ? null : reference / ours.minMs,
      });
    }
    rows.push({ scenario: s.name, period: s.period, n: 'growth exponent', sluiceMs: growthExponent(growth) });
  }
  report('stl', rows);
}
