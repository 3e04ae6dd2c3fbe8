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
import { fileURLToPath } from 'node:url';
import { readDataset, readSplit } from '../src/datasets/dataset.js';
import type { ParsedCase } from '../src/datasets/case.js';

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

interface Tally {
  truePositive: number;
  falsePositive: number;
  falseNegative: number;
  trueNegative: number;
  insufficient: number;
}

function tallyRow(label: string, split: string, t: Tally): Row {
  const precision = t.truePositive / (t.truePositive + t.falsePositive);
  const recall = t.truePositive / (t.truePositive + t.falseNegative);
  return {
    detector: label,
    split,
    truePositive: t.truePositive,
    falsePositive: t.falsePositive,
    falseNegative: t.falseNegative,
    trueNegative: t.trueNegative,
    insufficient: t.insufficient,
    precision,
    recall,
    f1: (2 * precision * recall) / (precision + recall),
  };
}

function count(t: Tally, truth: boolean, flagged: boolean, ok: boolean): void {
  if (!ok) t.insufficient++;
  if (truth && flagged) t.truePositive++;
  else if (truth) t.falseNegative++;
  else if (flagged) t.falsePositive++;
  else t.trueNegative++;
}

/**
 * Accuracy on the labeled release cases, defaults only (nothing tuned on them): logExceptions per
 * case against the `logs` label; the before/after threshold detectors per metric against the
 * metrics each label names, on the released hosts' mean. No control view, so confounders that
 * hit every host count against them — these are the seed's basic strategies as a baseline.
 */
async function accuracy(): Promise<Row[]> {
  const dir = fileURLToPath(new URL('../datasets/release-cases-v1', import.meta.url));
  const { cases } = await readDataset(dir);
  const split = await readSplit(dir);
  const testIds = new Set(split?.test ?? []);
  const parts: [string, (c: ParsedCase) => boolean][] = [['all', () => true], ['test', (c) => testIds.has(c.id)]];
  const rows: Row[] = [];
  const logs = logExceptionsDetector;
  const logConfig = parseConfig(logs.configSchema, {}, logs.name);
  for (const [part, keep] of parts) {
    const t: Tally = { truePositive: 0, falsePositive: 0, falseNegative: 0, trueNegative: 0, insufficient: 0 };
    for (const c of cases.filter(keep)) {
      const metric = c.metrics[0];
      const cut = Math.ceil((c.release.deployedAt - c.start) / c.step);
      const length = metric.released[0]?.values.length ?? 0;
      const r = logs.detect(
        {
          treated: series(c.start + cut * c.step, c.step, new Float64Array(Math.max(0, length - cut))),
          history: series(c.start, c.step, new Float64Array(cut)),
          logs: { events: c.logs, treatedHosts: metric.released.map((h) => h.host), controlHosts: metric.unreleased.map((h) => h.host), deployedAt: c.release.deployedAt },
        },
        logConfig,
      );
      count(t, c.label?.metrics.includes('logs') ?? false, r.anomalous, r.status === 'ok');
    }
    rows.push(tallyRow('logExceptions (cases, label logs)', part, t));
  }
  const metricDetectors: [string, DetectorModule, unknown][] = [
    ['trend', trendDetector, {}],
    ['sameTime', sameTimeDetector, {}],
    ['previousWindow', previousWindowDetector, {}],
    ['dynamicThreshold', dynamicThresholdDetector, {}],
    ["dynamicThreshold period 'day'", dynamicThresholdDetector, { period: 'day', minHistoryPoints: 20 }],
  ];
  for (const [label, module, raw] of metricDetectors) {
    const config = parseConfig(module.configSchema, raw, module.name);
    for (const [part, keep] of parts) {
      const t: Tally = { truePositive: 0, falsePositive: 0, falseNegative: 0, trueNegative: 0, insufficient: 0 };
      for (const c of cases.filter(keep)) {
        const cut = Math.ceil((c.release.deployedAt - c.start) / c.step);
        for (const metric of c.metrics) {
          const length = metric.released[0]?.values.length ?? 0;
          const mean = new Float64Array(length);
          for (let i = 0; i < length; i++) {
            let sum = 0;
            let n = 0;
            for (const host of metric.released) {
              const v = host.values[i];
              if (v === v) {
                sum += v;
                n++;
              }
            }
            mean[i] = n === 0 ? NaN : sum / n;
          }
          const r = module.detect(
            { history: series(c.start, c.step, mean.subarray(0, cut)), treated: series(c.start + cut * c.step, c.step, mean.subarray(cut)), direction: metric.direction },
            config,
          );
          count(t, c.label?.metrics.includes(metric.name) ?? false, r.anomalous, r.status === 'ok');
        }
      }
      rows.push(tallyRow(`${label} (metrics)`, part, t));
    }
  }
  return rows;
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
  if (!opts.quick) report('accuracy on datasets/release-cases-v1 (defaults)', await accuracy());

  report('poissonRateTest: 1000 two-sided tests', [
    { implementation: 'sluice poissonRateTest', medianMs: ours.medianMs, testsPerSecond: pointsPerSecond(1000, ours.medianMs) },
    { implementation: 'R poisson.test', medianMs: rMs, testsPerSecond: rMs === null ? null : pointsPerSecond(1000, rMs), ratio: rMs === null ? null : rMs / ours.medianMs },
  ]);
}
