import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forecastsNotebook } from './forecasts.js';
import { nabCorpusStatus, nabNotebook } from './nab.js';
import { replayNotebook, thresholdCurve } from './replay.js';
import { sensitivityNotebook } from './sensitivity.js';
import { main } from './run.js';
import { readPublishedScoreboard } from '../src/nab/corpus.js';
import { confusionMatrix, decimate, lineChart } from './svg.js';

/** Charts are `<svg class="chart">` (legend swatches are small unclassed svgs). */
const charts = (html: string): number => html.match(/<svg class="chart"/g)?.length ?? 0;
/** Paths whose data draws at least one segment: a move then a line-to with coordinates. */
const drawnPaths = (html: string): number => html.match(/<path d="M-?[\d.]+,-?[\d.]+L-?[\d.]+,-?[\d.]+/g)?.length ?? 0;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'notebooks-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * A NAB-layout corpus of two hourly series over 12 days with a daily cycle; the second has a
 * spike of +60 at 10:00 on day 10 inside its label window. A published scoreboard of two rows.
 */
function writeCorpus(dir: string): void {
  const day = 24;
  const rows = (spike: boolean): string => {
    const lines = ['timestamp,value'];
    for (let i = 0; i < 12 * day; i++) {
      const t = new Date(Date.UTC(2021, 0, 1, i));
      const noise = ((i * 7919) % 13) / 13 - 0.5;
      const v = 50 + 20 * Math.sin((2 * Math.PI * i) / day) + noise + (spike && i === 10 * day + 10 ? 60 : 0);
      lines.push(`${t.toISOString().slice(0, 19).replace('T', ' ')},${v.toFixed(3)}`);
    }
    return lines.join('\n') + '\n';
  };
  mkdirSync(join(dir, 'data', 'synthetic'), { recursive: true });
  mkdirSync(join(dir, 'labels'), { recursive: true });
  mkdirSync(join(dir, 'results'), { recursive: true });
  writeFileSync(join(dir, 'data', 'synthetic', 'calm.csv'), rows(false));
  writeFileSync(join(dir, 'data', 'synthetic', 'spike.csv'), rows(true));
  writeFileSync(
    join(dir, 'labels', 'combined_windows.json'),
    JSON.stringify({ 'synthetic/calm.csv': [], 'synthetic/spike.csv': [['2021-01-11 08:00:00.000000', '2021-01-11 14:00:00.000000']] }),
  );
  writeFileSync(
    join(dir, 'results', 'final_results.json'),
    JSON.stringify({ null: { standard: 0, reward_low_FP_rate: 0, reward_low_FN_rate: 0 }, perfect: { standard: 100, reward_low_FP_rate: 100, reward_low_FN_rate: 100 } }),
  );
}

describe('svg charts', () => {
  it('lineChart(spec) draws one path per line and band, breaks lines at missing values and escapes text', () => {
    const svg = lineChart({
      title: 'a < b & c',
      lines: [{ name: 'y', x: [0, 1, 2, 3, 4], y: [1, 2, null, 4, 5] }],
      bands: [{ name: 'band', x: [0, 1, 2], lower: [0, 1, 2], upper: [2, 3, 4] }],
      points: [{ name: 'p', x: [1], y: [2] }],
    });
    expect(svg).toContain('a &lt; b &amp; c');
    const line = /<path d="([^"]+)" fill="none"/.exec(svg)?.[1] ?? '';
    expect(line.match(/M/g)?.length).toBe(2); // the gap at x = 2 starts a second segment
    expect(svg.match(/<path d="M[^"]*Z"/g)?.length).toBe(1); // the band is a closed area
    expect(svg.match(/class="point"/g)?.length).toBe(1);
  });

  it('decimate(xPixels, y) keeps at most four points per pixel column, the extremes and every missing point', () => {
    const n = 10_000;
    const y: (number | null)[] = Array.from({ length: n }, (_, i) => Math.sin(i / 50) + ((i * 7919) % 101) / 1000);
    y[1234] = 9; // a one-point spike
    y[5000] = null;
    const keep = decimate(Array.from({ length: n }, (_, i) => (i / n) * 100), y);
    expect(keep.length).toBeLessThanOrEqual(4 * 100 + 1);
    expect(keep).toContain(1234);
    expect(keep).toContain(5000);
    expect(keep).toContain(0);
    expect(keep).toContain(n - 1);
    for (let i = 1; i < keep.length; i++) expect(keep[i]).toBeGreaterThan(keep[i - 1]);
    const svg = lineChart({ title: 'long', lines: [{ name: 'y', x: Array.from({ length: n }, (_, i) => i), y }] });
    const path = /<path d="([^"]+)" fill="none"/.exec(svg)?.[1] ?? '';
    expect(path.match(/[ML]/g)?.length).toBeLessThanOrEqual(4 * 780 + 1);
    expect(path.match(/M/g)?.length).toBe(2); // the missing point still breaks the line
  });

  it('confusionMatrix(title, counts) writes the four counts', () => {
    const svg = confusionMatrix('m', { truePositives: 7, falseNegatives: 2, falsePositives: 1, trueNegatives: 30 });
    for (const n of [7, 2, 1, 30]) expect(svg).toContain(`class="cell">${n}</text>`);
  });
});

describe('thresholdCurve(outcomes)', () => {
  it('is precision and recall at each threshold, forced cases flagged at every threshold', () => {
    const o = (id: string, bad: boolean, score: number, forced = false) => ({ id, bad, categories: [], decision: 'PASS' as const, score, forced, reasons: [] });
    const curve = thresholdCurve([o('a', true, 80), o('b', true, 40), o('c', false, 50), o('d', false, 10, true)]);
    const at = (t: number) => curve.find((p) => p.threshold === t)!;
    expect(at(0)).toMatchObject({ precision: 0.5, recall: 1 });
    expect(at(45)).toMatchObject({ precision: 1 / 3, recall: 0.5 }); // a, c and the forced d
    expect(at(90)).toMatchObject({ precision: 0, recall: 0, falsePositiveRate: 0.5 });
    for (let i = 1; i < curve.length; i++) expect(curve[i].recall).toBeLessThanOrEqual(curve[i - 1].recall);
  });
});

describe('notebooks on small inputs', () => {
  it('replay: four test cases, two configurations, the seed table and the charts', async () => {
    const lines: string[] = [];
    const result = await replayNotebook({ limit: 4, workers: 1, log: (l) => lines.push(l) });
    expect(result.cases).toBe(4);
    expect(result.rows.map((r) => r.method)).toEqual([
      'Sluice gate',
      'Gate without per-host view',
      expect.stringMatching(/^Sluice gate, FAIL ≥ /),
      expect.stringMatching(/^Gate without per-host view, FAIL ≥ /),
      'Risk-free (always FAIL)',
    ]);
    const riskFree = result.rows[4];
    expect(riskFree.recall).toBe(1);
    expect(riskFree.falseNegatives).toBe(0);
    for (const r of result.rows) {
      expect(r.f1).toBeGreaterThanOrEqual(0);
      expect(r.f1Interval[0]).toBeGreaterThanOrEqual(0);
      expect(r.f1Interval[0]).toBeLessThanOrEqual(r.f1Interval[1]);
      expect(r.f1Interval[1]).toBeLessThanOrEqual(1);
    }
    // Always FAIL flags every case: resampling within each label keeps its counts, so no spread.
    expect(riskFree.f1Interval[0]).toBeCloseTo(riskFree.f1, 12);
    expect(riskFree.f1Interval[1]).toBeCloseTo(riskFree.f1, 12);
    expect(result.html).toContain('<th>F1 95 % interval</th>');
    expect(result.html).toMatch(/Sluice gate vs Gate without per-host view: F1 difference [+−]\d\.\d{3} .*McNemar exact p = /);
    expect(lines.some((l) => l.includes('Sluice gate 4/4'))).toBe(true);
    // Two confusion matrices, precision/recall by threshold, precision against recall, scores case by case.
    expect(charts(result.html)).toBe(5);
    expect(result.html.match(/class="point"/g)?.length).toBe(2 + 4); // each configuration at the policy, then every case
    expect(drawnPaths(result.html)).toBeGreaterThanOrEqual(6);
    expect(result.html).toContain('<th>False Positives</th>');
    // Self-contained: no script and nothing loaded from elsewhere.
    expect(result.html).not.toMatch(/<script|\s(?:src|href)=/);
  });

  it('forecasts: a generated case through the three methods, each with a band and flagged points', async () => {
    const result = await forecastsNotebook({ caseId: 'v1-0006' });
    expect(result.series.period).toBe(288);
    expect(result.methods.map((m) => m.method)).toEqual(['Holt-Winters', 'STL + ARIMA', 'Historical average']);
    for (const m of result.methods) {
      expect(m.error).toBeUndefined();
      expect(m.mean.length).toBe(result.series.window.length);
      for (let i = 0; i < m.mean.length; i++) expect(m.lower[i]).toBeLessThanOrEqual(m.upper[i]);
      // The case is a latency regression: every method flags part of the window.
      expect(m.flagged.length).toBeGreaterThan(0);
    }
    expect(charts(result.html)).toBe(4);
    // Observed + three forecasts, then per method observed, forecast and a band.
    expect(drawnPaths(result.html)).toBeGreaterThanOrEqual(4 + 3 * 3);
    expect(result.html.match(/class="point"/g)?.length).toBe(result.methods.reduce((n, m) => n + m.flagged.length, 0));
  });

  it('forecasts: a NAB series with its label window as the window flags the spike', async () => {
    const dir = join(root, 'nab-forecast');
    writeCorpus(dir);
    const result = await forecastsNotebook({ nab: { dir, series: 'synthetic/spike.csv' } });
    expect(result.series.period).toBe(24);
    expect(result.series.history.length).toBe(7 * 24); // the default keeps seven periods of history
    expect(result.series.window.length).toBe(7);
    const hw = result.methods[0];
    expect(hw.error).toBeUndefined();
    expect(hw.flagged).toContain(2); // 10:00 is the third point of the 08:00–14:00 window
  });

  it('nab: runs the streaming detectors on a corpus and shows them beside the published rows', () => {
    const dir = join(root, 'nab');
    writeCorpus(dir);
    const lines: string[] = [];
    const result = nabNotebook({ nabDir: dir, resultsDir: join(root, 'nab-results'), log: (l) => lines.push(l) });
    expect(Object.keys(result.scores).sort()).toEqual(['contextual', 'ewmaGaussian', 'robustSeasonal']);
    for (const scores of Object.values(result.scores)) expect(Object.keys(scores).sort()).toEqual(['reward_low_FN_rate', 'reward_low_FP_rate', 'standard']);
    expect(existsSync(join(root, 'nab-results', 'ewmaGaussian', 'synthetic', 'ewmaGaussian_spike.csv'))).toBe(true);
    expect(existsSync(join(root, 'nab-results', 'ewmaGaussian', 'ewmaGaussian_standard_scores.csv'))).toBe(true);
    expect(lines.some((l) => l.includes('ewmaGaussian 2/2'))).toBe(true);
    // Bar chart of the scoreboard, the example series and its anomaly scores.
    expect(charts(result.html)).toBe(3);
    expect(result.html).toContain('ewmaGaussian (ours)');
    expect(result.html).toContain('>perfect<');
    expect(drawnPaths(result.html)).toBeGreaterThanOrEqual(3);
  });

  it('sensitivity: recall by size for every fault, with and without unreleased hosts, and the rate without a fault', async () => {
    const lines: string[] = [];
    const result = await sensitivityNotebook({ worlds: ['v1'], count: 3, workers: 1, log: (l) => lines.push(l) });
    const [v1] = result.results;
    expect(v1.world).toBe('v1');
    expect(v1.rows).toHaveLength(8); // four faults, with and without unreleased hosts
    for (const row of v1.rows) {
      expect(row.recalls).toHaveLength(row.fault.sizes.length);
      for (const r of row.recalls) expect([0, 1 / 3, 2 / 3, 1]).toContainEqual(expect.closeTo(r, 12));
    }
    // The largest level shift (4 σ on every released host, with unreleased hosts) is caught in every batch.
    expect(v1.rows[0].recalls.at(-1)).toBe(1);
    expect(v1.healthy.map((h) => h.cases)).toEqual([6, 6]);
    expect(charts(result.html)).toBe(4);
    expect(drawnPaths(result.html)).toBeGreaterThanOrEqual(8);
    expect(result.html).toContain('<th>90 % at</th>');
    expect(result.html).not.toMatch(/<script|\s(?:src|href)=/);
    expect(lines.at(-1)).toMatch(/^sensitivity: world v1 \d+\/\d+$/);
    await expect(sensitivityNotebook({ worlds: ['mars'] })).rejects.toThrow(/unknown world 'mars'/);
  });

  it('nabCorpusStatus(dir, env) skips a missing corpus with the reason, and fails when CI is set', () => {
    const missing = join(root, 'no-such-corpus');
    expect(nabCorpusStatus(missing, {})).toEqual({ action: 'skip', reason: expect.stringContaining(missing) });
    expect(nabCorpusStatus(missing, { CI: 'true' }).action).toBe('fail');
    const dir = join(root, 'nab-status');
    writeCorpus(dir);
    expect(nabCorpusStatus(dir, { CI: 'true' })).toEqual({ action: 'run' });
  });
});

describe('main(argv, log, env)', () => {
  it('writes <out>/<name>.html and rejects an unknown notebook', async () => {
    const dir = join(root, 'nab-main');
    writeCorpus(dir);
    const out = join(root, 'out');
    expect(await main(['forecasts', '--nab', dir, '--nab-series', 'synthetic/spike.csv', '--out', out], () => {})).toBe(0);
    expect(readFileSync(join(out, 'forecasts.html'), 'utf8')).toMatch(/^<!doctype html>/);
    expect(await main(['nope', '--out', out], () => {})).toBe(2);
  });

  it('nab with no corpus: skips with the reason (exit 0, no report), fails under CI (exit 1)', async () => {
    const out = join(root, 'out-missing');
    const lines: string[] = [];
    const missing = join(root, 'no-corpus-here');
    expect(await main(['nab', '--nab', missing, '--out', out], (l) => lines.push(l), {})).toBe(0);
    expect(lines.join('\n')).toMatch(/nab: skipped: no NAB corpus at .*no-corpus-here/);
    expect(existsSync(join(out, 'nab.html'))).toBe(false);
    expect(await main(['nab', '--nab', missing, '--out', out], () => {}, { CI: '1' })).toBe(1);
  });
});

// The real corpus next to the repository, as the other NAB tests use it: skipped with the reason
// when absent, failing instead under CI.
const nabDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/datasets/nab');
const corpusPresent = nabCorpusStatus(nabDir, {}).action === 'run';
if (!corpusPresent) {
  const reason = `NAB corpus not found at ${nabDir}`;
  if (process.env.CI) throw new Error(`${reason} (required under CI)`);
  console.warn(`skipping the nab notebook on the real corpus: ${reason}`);
}

describe.skipIf(!corpusPresent)('the nab notebook on the NAB corpus', () => {
  it('runs one detector over every series and charts it among every published detector', async () => {
    const out = join(root, 'out-real');
    expect(await main(['nab', '--nab', nabDir, '--detector', 'ewmaGaussian', '--out', out], () => {})).toBe(0);
    const html = readFileSync(join(out, 'nab.html'), 'utf8');
    const published = Object.keys(readPublishedScoreboard(nabDir));
    expect(published.length).toBeGreaterThan(5);
    // One bar per published detector plus ours, each with its label.
    for (const detector of [...published, 'ewmaGaussian (ours)']) expect(html).toContain(`>${detector}</text>`);
    expect(html).toContain('Example: realKnownCause/nyc_taxi.csv');
    expect(charts(html)).toBe(3);
    expect(existsSync(join(out, 'nab-results', 'ewmaGaussian', 'ewmaGaussian_standard_scores.csv'))).toBe(true);
  });
});
