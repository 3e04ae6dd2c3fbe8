/**
 * ARIMA benchmarks: exact-likelihood fit time versus n and order, side by side in the same run
 * with the `arima` npm package (ctsa compiled to WebAssembly) and, when installed, R's
 * `stats::arima` / `forecast::auto.arima` and statsmodels' `ARIMA`; STL + ARIMA on a week of
 * one-minute data; and the two detectors (`arimaDetector`, `stlArimaDetector`) end to end.
 *
 *   npm run bench -- arima          # full pass
 *   npm run bench:quick -- arima    # CI pass (no R / Python, smaller sizes)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { series } from '../src/core/series.js';
import { arimaDetector, arimaDetectorConfigSchema, autoArima, fitArima, fitStlArima, forecastArima, forecastStlArima, stlArimaDetector, stlArimaDetectorConfigSchema } from '../detectors/arima/index.js';
import { timePython, timeR } from './lib/external.js';
import { growthExponent, pointsPerSecond, report, time, timeInterleaved, type BenchOptions, type Row } from './lib/harness.js';

interface CtsaArima {
  train(ts: number[]): CtsaArima;
  predict(length: number): [number[], number[]];
}
type CtsaConstructor = new (options: Record<string, number | boolean>) => CtsaArima;

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = JSON.parse(readFileSync(join(here, '../detectors/arima/fixtures/r-reference.json'), 'utf8')) as {
  cases: { name: string; values: number[]; forecast: number[] }[];
  auto: { name: string; values: number[]; period: number }[];
};
const walk = fixtures.cases.find((c) => c.name === 'randomwalk-1000-212')!;
const airLog = fixtures.cases.find((c) => c.name === 'airpassengers-log-011-011-12')!;

/** The `arima` package prints its fit unless silenced; its wasm module loads synchronously. */
function loadCtsa(): CtsaConstructor | null {
  try {
    return createRequire(import.meta.url)('arima') as CtsaConstructor;
  } catch {
    return null;
  }
}

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
}

/** An ARIMA(1,1,1) path (φ = 0.5, θ = 0.3) of n points. */
function simulate(n: number, seed = 42): number[] {
  const uniform = seeded(seed);
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const out: number[] = [];
  let level = 0;
  let w = 0;
  let e = 0;
  for (let t = 0; t < n; t++) {
    const shock = normal();
    w = 0.5 * w + shock + 0.3 * e;
    e = shock;
    level += w;
    out.push(level);
  }
  return out;
}

/** A week of one-minute data: daily swing, a slow trend, AR(1) noise. */
function minuteWeek(days = 7, seed = 5): Float64Array {
  const uniform = seeded(seed);
  const n = days * 1440;
  const out = new Float64Array(n);
  let noise = 0;
  for (let t = 0; t < n; t++) {
    noise = 0.7 * noise + (uniform() - 0.5) * 4;
    out[t] = 500 + 0.002 * t + 120 * Math.sin((2 * Math.PI * t) / 1440) + 30 * Math.sin((4 * Math.PI * t) / 1440) + noise;
  }
  return out;
}

const rVector = (values: number[]) => `c(${values.map((v) => v.toPrecision(17)).join(',')})`;
const pyList = (values: number[]) => `[${values.map((v) => v.toPrecision(17)).join(',')}]`;

function rFitScript(values: number[], order: string, seasonal = 'c(0,0,0)', period = 1, runs = 5): string {
  return `x <- ${rVector(values)}
f <- function() stats::arima(x, order = ${order}, seasonal = list(order = ${seasonal}, period = ${period}), method = "CSS-ML")
invisible(f())
times <- replicate(${runs}, system.time(f())[["elapsed"]])
cat(median(times), "\\n")
`;
}

function pyFitScript(values: number[], order: string, seasonal = '(0, 0, 0, 0)', runs = 5): string {
  return `import time, warnings
import numpy as np
from statsmodels.tsa.arima.model import ARIMA
warnings.simplefilter("ignore")
x = np.array(${pyList(values)})
def f():
    return ARIMA(x, order=${order}, seasonal_order=${seasonal}, trend="n").fit()
f()
times = []
for _ in range(${runs}):
    t0 = time.perf_counter(); f(); times.append(time.perf_counter() - t0)
print(sorted(times)[len(times) // 2])
`;
}

export async function run(opts: BenchOptions): Promise<void> {
  const quick = opts.quick;
  const runs = quick ? 3 : 7;
  const Ctsa = loadCtsa();
  const ctsaFit = (values: number[], o: Record<string, number>) => () => new Ctsa!({ ...o, verbose: false }).train(values).predict(12);

  // 1. ARIMA(2,1,2) on the 1,000-point random walk of the fixtures, interleaved with the arima package.
  const head: Row[] = [];
  const tasks: Record<string, () => unknown> = {
    sluice: () => forecastArima(fitArima(walk.values, { p: 2, d: 1, q: 2 }), 12),
  };
  if (Ctsa) tasks['arima (npm)'] = ctsaFit(walk.values, { p: 2, d: 1, q: 2 });
  const timings = timeInterleaved(tasks, runs);
  const ours = fitArima(walk.values, { p: 2, d: 1, q: 2 });
  const ourForecast = forecastArima(ours, 12);
  for (const [name, t] of Object.entries(timings)) {
    let forecastError: number | null = null;
    if (name === 'sluice') forecastError = Math.max(...walk.forecast.map((v, h) => Math.abs(ourForecast.mean[h] - v) / Math.abs(v)));
    if (name === 'arima (npm)' && Ctsa) {
      const [prediction] = new Ctsa({ p: 2, d: 1, q: 2, verbose: false }).train(walk.values).predict(12);
      forecastError = Math.max(...walk.forecast.map((v, h) => Math.abs(prediction[h] - v) / Math.abs(v)));
    }
    head.push({ task: 'ARIMA(2,1,2) n=1000 fit+forecast', implementation: name, medianMs: t.medianMs, minMs: t.minMs, forecastRelErrorVsR: forecastError });
  }
  if (!quick) {
    head.push({ task: 'ARIMA(2,1,2) n=1000 fit+forecast', implementation: 'R stats::arima', medianMs: timeR(rFitScript(walk.values, 'c(2,1,2)')), minMs: null, forecastRelErrorVsR: 0 });
    head.push({ task: 'ARIMA(2,1,2) n=1000 fit+forecast', implementation: 'statsmodels ARIMA', medianMs: timePython(pyFitScript(walk.values, '(2, 1, 2)')), minMs: null, forecastRelErrorVsR: null });
  }
  const seasonalTasks: Record<string, () => unknown> = {
    sluice: () => forecastArima(fitArima(airLog.values, { p: 0, d: 1, q: 1, P: 0, D: 1, Q: 1, period: 12 }), 12),
  };
  if (Ctsa) seasonalTasks['arima (npm)'] = ctsaFit(airLog.values, { p: 0, d: 1, q: 1, P: 0, D: 1, Q: 1, s: 12 });
  for (const [name, t] of Object.entries(timeInterleaved(seasonalTasks, runs))) {
    head.push({ task: 'SARIMA(0,1,1)(0,1,1)[12] log AirPassengers', implementation: name, medianMs: t.medianMs, minMs: t.minMs, forecastRelErrorVsR: null });
  }
  if (!quick) {
    head.push({ task: 'SARIMA(0,1,1)(0,1,1)[12] log AirPassengers', implementation: 'R stats::arima', medianMs: timeR(rFitScript(airLog.values, 'c(0,1,1)', 'c(0,1,1)', 12)), minMs: null, forecastRelErrorVsR: 0 });
    head.push({ task: 'SARIMA(0,1,1)(0,1,1)[12] log AirPassengers', implementation: 'statsmodels ARIMA', medianMs: timePython(pyFitScript(airLog.values, '(0, 1, 1)', '(0, 1, 1, 12)')), minMs: null, forecastRelErrorVsR: null });
  }
  report('arima: fit side by side', head);

  // 2. Fit time versus n and order.
  const sizes = quick ? [250, 1000] : [250, 500, 1000, 2000, 4000, 8000];
  const growth: Row[] = [];
  for (const order of [
    { p: 1, d: 1, q: 1 },
    { p: 2, d: 1, q: 2 },
    { p: 1, d: 0, q: 1 },
  ]) {
    const points: { n: number; ms: number }[] = [];
    for (const n of sizes) {
      // the stationary model gets the differenced path (an ARMA(1,1) with a mean)
      const path = simulate(n + 1);
      const values = order.d === 0 ? path.slice(1).map((v, t) => v - path[t]) : path.slice(1);
      const t = time(() => fitArima(values, order), runs);
      points.push({ n, ms: t.medianMs });
      growth.push({ order: `(${order.p},${order.d},${order.q})`, n, medianMs: t.medianMs, pointsPerSecond: pointsPerSecond(n, t.medianMs) });
    }
    growth.push({ order: `(${order.p},${order.d},${order.q})`, n: 'growth exponent', medianMs: growthExponent(points), pointsPerSecond: null });
  }
  report('arima: fit time versus n', growth);

  // 3. STL + ARIMA on a week of one-minute data, and automatic order selection.
  const week = minuteWeek();
  const stlRows: Row[] = [];
  for (const fitWindow of [1440, 360]) {
    const fixed = time(() => forecastStlArima(fitStlArima(week, { period: 1440, order: { p: 1, d: 0, q: 1 }, fitWindow }), 60), runs);
    stlRows.push({ task: `STL+ARIMA(1,0,1) 7 days x 1440, ARIMA on last ${fitWindow}, forecast 60`, medianMs: fixed.medianMs, minMs: fixed.minMs, goalMs: 50 });
  }
  const automatic = time(() => forecastStlArima(fitStlArima(week, { period: 1440, fitWindow: 360 }), 60), runs);
  stlRows.push({ task: 'STL+autoArima 7 days x 1440, ARIMA on last 360, forecast 60', medianMs: automatic.medianMs, minMs: automatic.minMs, goalMs: null });
  const air = fixtures.auto[0];
  const auto = time(() => autoArima(air.values, { period: air.period }), quick ? 1 : 3);
  stlRows.push({ task: 'autoArima AirPassengers', medianMs: auto.medianMs, minMs: auto.minMs, goalMs: null });
  if (!quick) {
    const rAuto = timeR(`suppressMessages(library(forecast))
f <- function() auto.arima(AirPassengers)
times <- replicate(3, system.time(f())[["elapsed"]])
cat(median(times), "\\n")
`);
    stlRows.push({ task: 'R forecast::auto.arima AirPassengers', medianMs: rAuto, minMs: null, goalMs: null });
  }
  report('arima: STL+ARIMA and order selection', stlRows);

  // 4. The detectors end to end (fit on history, score a 60-minute window).
  const history = series(0, 60_000, week.subarray(0, week.length - 60));
  const treated = series((week.length - 60) * 60_000, 60_000, week.subarray(week.length - 60));
  const detectorRows: Row[] = [];
  const stlConfig = stlArimaDetectorConfigSchema.parse({ period: 1440 });
  const arimaConfig = arimaDetectorConfigSchema.parse({});
  for (const [name, detect] of [
    ['stlArimaDetector', () => stlArimaDetector.detect({ history, treated }, stlConfig)],
    ['arimaDetector', () => arimaDetector.detect({ history, treated }, arimaConfig)],
  ] as const) {
    const t = time(detect, runs);
    detectorRows.push({ detector: name, historyPoints: history.values.length, treatedPoints: 60, medianMs: t.medianMs, minMs: t.minMs });
  }
  report('arima: detectors', detectorRows);
}
