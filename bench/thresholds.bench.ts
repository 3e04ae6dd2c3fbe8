/**
 * Threshold and log-exception detectors: time per call and points (or events) per second as
 * the input grows, the growth exponent (≈ 1 means linear), and the exact Poisson rate test
 * against R's poisson.test on the same counts.
 */
import { growthExponent, pointsPerSecond, report, time, type BenchOptions, type Row } from './lib/harness.js';
import { timeR } from './lib/external.js';
import { series, type Series } from '../src/core/series.js';
import { parseConfig } from '../src/core/config.js';
import { poissonRateTest } from '../src/core/binomial.js';
import type { DetectorInput, DetectorModule, LogEvent } from '../src/core/detector.js';
import {
  dynamicThresholdDetector,
  previousWindowDetector,
  sameTimeDetector,
  segmentedThresholdDetector,
  staticThresholdDetector,
  trendDetector,
} from '../detectors/thresholds/index.js';
import { logExceptionsDetector, logParseConfig, parseExceptionLog } from '../detectors/log-exceptions/index.js';
import { readFileSync } from 'node:fs';

const MINUTE = 60_000;

function metric(length: number, start: number, seed: number): Series {
  let state = seed;
  const values = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    state = (state * 16807) % 2147483647;
    values[i] = 100 + 10 * Math.sin((2 * Math.PI * i) / 1440) + 4 * (state / 2147483647 - 0.5);
  }
  return series(start, MINUTE, values);
}

/** Detectors whose cost grows with history: the treated window stays 60 points. */
const historyDriven: [DetectorModule, unknown][] = [
  [trendDetector, {}],
  [sameTimeDetector, {}],
  [previousWindowDetector, {}],
  [dynamicThresholdDetector, {}],
];

/** Detectors whose cost grows with the treated window. */
const windowDriven: [DetectorModule, unknown][] = [
  [staticThresholdDetector, { upper: 150, lower: 50 }],
  [segmentedThresholdDetector, { timeZone: 'Asia/Shanghai', segments: [{ from: '09:00', to: '21:00', upper: 150 }, { from: '21:00', to: '09:00', upper: 160 }] }],
];

function scaling(module: DetectorModule, raw: unknown, sizes: number[], build: (n: number) => DetectorInput, runs: number, unit: string): Row[] {
  const config = parseConfig(module.configSchema, raw, module.name);
  const points: { n: number; ms: number }[] = [];
  const rows: Row[] = [];
  for (const n of sizes) {
    const input = build(n);
    const t = time(() => module.detect(input, config), runs);
    points.push({ n, ms: t.medianMs });
    rows.push({ detector: module.name, [unit]: n, medianMs: t.medianMs, minMs: t.minMs, [`${unit}PerSecond`]: pointsPerSecond(n, t.medianMs) });
  }
  rows.push({ detector: module.name, [unit]: 'growth', growthExponent: growthExponent(points) });
  return rows;
}

function logInput(events: number): DetectorInput {
  const deployedAt = Date.UTC(2026, 0, 5);
  const hosts = Array.from({ length: 20 }, (_, i) => `host-${i}`);
  const logEvents: LogEvent[] = [];
  let state = 42;
  for (let i = 0; i < events; i++) {
    state = (state * 16807) % 2147483647;
    const minute = (state % 240) - 180;
    logEvents.push({ host: hosts[state % hosts.length], t: deployedAt + minute * MINUTE, signature: `com.acme.E${state % 200}Exception at com.acme.S.m${state % 7}`, count: 1 + (state % 3) });
  }
  return {
    treated: metric(60, deployedAt, 1),
    logs: { events: logEvents, treatedHosts: hosts.slice(0, 5), controlHosts: hosts.slice(5), deployedAt },
  };
}

export async function run(opts: BenchOptions): Promise<void> {
  const runs = opts.quick ? 3 : 7;
  const historySizes = opts.quick ? [2_880, 11_520] : [2_880, 11_520, 46_080, 184_320];
  const windowSizes = opts.quick ? [1_000, 10_000] : [1_000, 10_000, 100_000, 1_000_000];
  const eventSizes = opts.quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
  const start = Date.UTC(2026, 0, 5);
  const rows: Row[] = [];
  for (const [module, raw] of historyDriven) {
    rows.push(...scaling(module, raw, historySizes, (h) => ({ history: metric(h, start, 7), treated: metric(60, start + h * MINUTE, 9) }), runs, 'historyPoints'));
  }
  for (const [module, raw] of windowDriven) {
    rows.push(...scaling(module, raw, windowSizes, (n) => ({ treated: metric(n, start, 3) }), runs, 'treatedPoints'));
  }
  rows.push(...scaling(logExceptionsDetector, {}, eventSizes, logInput, runs, 'events'));
  report('thresholds and log exceptions: time per call', rows);

  // Parsing raw logs: the Spring/JVM fixture repeated, in lines and megabytes per second.
  const fixture = readFileSync(new URL('../detectors/log-exceptions/fixtures/cart-service.log', import.meta.url), 'utf8');
  const parseConfigured = parseConfig(logParseConfig, {}, 'log parsing');
  const parseRows: Row[] = [];
  for (const copies of opts.quick ? [100, 1_000] : [100, 1_000, 10_000]) {
    const text = Array.from({ length: copies }, () => fixture).join('\n');
    const lines = text.split('\n').length;
    const t = time(() => parseExceptionLog(text, 'host-a', parseConfigured), runs);
    parseRows.push({ lines, megabytes: text.length / 1e6, medianMs: t.medianMs, linesPerSecond: pointsPerSecond(lines, t.medianMs), megabytesPerSecond: text.length / 1e3 / t.medianMs });
  }
  report('parseExceptionLog: raw JVM log text', parseRows);

  // The exact Poisson rate test alone, against R on the same 1000 count pairs.
  const pairs = Array.from({ length: 1000 }, (_, i) => [5 + (i % 50), 60, 3 + ((i * 7) % 40), 120] as const);
  const ours = time(() => {
    for (const [x1, t1, x2, t2] of pairs) poissonRateTest(x1, t1, x2, t2, 'two.sided');
  }, runs);
  const rScript = `x1 <- 5 + (0:999 %% 50); x2 <- 3 + ((0:999 * 7) %% 40)
f <- function() for (i in 1:1000) poisson.test(c(x1[i], x2[i]), c(60, 120))$p.value
s <- replicate(${runs}, system.time(f())[["elapsed"]]); cat(median(s), "\\n")`;
  const rMs = timeR(rScript);
  report('poissonRateTest: 1000 two-sided tests', [
    { implementation: 'sluice poissonRateTest', medianMs: ours.medianMs, testsPerSecond: pointsPerSecond(1000, ours.medianMs) },
    { implementation: 'R poisson.test', medianMs: rMs, testsPerSecond: rMs === null ? null : pointsPerSecond(1000, rMs), ratio: rMs === null ? null : rMs / ours.medianMs },
  ]);
}
