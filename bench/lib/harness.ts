/**
 * The benchmark harness every `bench/*.bench.ts` uses: time a task a fixed number of runs,
 * interleaving the things compared, report the minimum and median, print JSON lines and a
 * readable table, and estimate how time grows with input size.
 */
import { performance } from 'node:perf_hooks';

export interface BenchOptions {
  /** Fewer sizes and runs, for CI. */
  quick: boolean;
}

export interface Timing {
  /** Minimum wall time of one run, milliseconds. */
  minMs: number;
  /** Median wall time of one run, milliseconds. */
  medianMs: number;
  runs: number;
}

/** Times `task` `runs` times after one warm-up run; returns min and median in milliseconds. */
export function time(task: () => unknown, runs = 5): Timing {
  task();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    task();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { minMs: samples[0], medianMs: samples[Math.floor(samples.length / 2)], runs };
}

/**
 * Times several tasks on the same input, interleaved run by run so that drift in machine load
 * hits them all alike. Returns one timing per task name.
 */
export function timeInterleaved(tasks: Record<string, () => unknown>, runs = 5): Record<string, Timing> {
  const names = Object.keys(tasks);
  const samples: Record<string, number[]> = {};
  for (const name of names) {
    tasks[name]();
    samples[name] = [];
  }
  for (let r = 0; r < runs; r++) {
    for (const name of names) {
      const t0 = performance.now();
      tasks[name]();
      samples[name].push(performance.now() - t0);
    }
  }
  const out: Record<string, Timing> = {};
  for (const name of names) {
    const s = samples[name].sort((a, b) => a - b);
    out[name] = { minMs: s[0], medianMs: s[Math.floor(s.length / 2)], runs };
  }
  return out;
}

/** A benchmark result row: printed as one JSON line and one table row. */
export type Row = Record<string, string | number | boolean | null>;

/**
 * Least-squares slope of log(time) against log(n): about 1 for linear growth, 2 for quadratic.
 */
export function growthExponent(points: { n: number; ms: number }[]): number {
  const xs = points.map((p) => Math.log(p.n));
  const ys = points.map((p) => Math.log(Math.max(p.ms, 1e-6)));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

/** Prints rows as JSON lines (prefixed `BENCH `, one object each) and then as an aligned table. */
export function report(title: string, rows: Row[]): void {
  for (const row of rows) console.log(`BENCH ${JSON.stringify({ bench: title, ...row })}`);
  console.log(`\n${title}\n${table(rows)}\n`);
}

/** Formats rows as a plain-text table with the union of their keys as columns. */
export function table(rows: Row[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = rows.map((r) => columns.map((c) => format(r[c])));
  const widths = columns.map((c, j) => Math.max(c.length, ...cells.map((row) => row[j].length)));
  const line = (values: string[]) => values.map((v, j) => v.padStart(widths[j])).join('  ');
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function format(v: Row[string] | undefined): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
  }
  return String(v);
}

/** Points per second for `n` points in `ms` milliseconds. */
export const pointsPerSecond = (n: number, ms: number): number => (n / ms) * 1000;
