/**
 * `sluice replay` as a user runs it: a process over a small generated dataset. The "always"
 * configurations give figures known from the labels alone, so the confusion matrix, --compare
 * and --tune are checked exactly without depending on the gate's accuracy.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binomialInterval, binomialTest } from '../../src/core/binomial.js';
import { main as dataset } from './dataset.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli.ts');
let root: string;
let data: string;
let bad: number;
let good: number;
let split: { train: string[]; test: string[] };

function replay(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', cli, 'replay', ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'sluice-replay-cli-'));
  data = path.join(root, 'cases');
  const quiet = { out: () => undefined, err: () => undefined };
  expect(await dataset(['generate', '--out', data, '--cases', '10', '--format', 'json', '--seed', '7'], quiet)).toBe(0);
  const files = (await readdir(data)).filter((f) => f.startsWith('v1-'));
  const labels = await Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(data, f), 'utf8')).label.bad as boolean));
  bad = labels.filter(Boolean).length;
  good = labels.length - bad;
  split = JSON.parse(await readFile(path.join(data, 'split.json'), 'utf8'));
  await writeFile(path.join(root, 'fail.json'), JSON.stringify({ name: 'fail-all', always: 'FAIL' }));
  await writeFile(path.join(root, 'pass.json'), JSON.stringify({ name: 'pass-all', always: 'PASS' }));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('sluice replay (CLI)', () => {
  it('--compare a b --json: one object per configuration with the confusion matrix the labels give, and their difference tested', async () => {
    expect(bad).toBeGreaterThan(0);
    expect(good).toBeGreaterThan(0);
    const run = await replay([data, '--compare', path.join(root, 'fail.json'), path.join(root, 'pass.json'), '--split', 'all', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const { configurations, comparison } = JSON.parse(run.stdout);
    const [failAll, passAll] = configurations;
    // fail-all is right on every bad case and pass-all on every good one: McNemar's test sees
    // exactly that split, and the F1 difference is fail-all's own F1.
    expect(comparison).toMatchObject({ cases: 10, onlyFirstRight: bad, onlySecondRight: good, level: 0.95, resamples: 2000 });
    expect(comparison.pValue).toBeCloseTo(binomialTest(bad, 10, 0.5), 12);
    expect(comparison.f1Difference.estimate).toBeCloseTo(failAll.f1, 12);
    expect(failAll.intervals.recall).toEqual({ estimate: 1, low: binomialInterval(bad, bad)[0], high: 1 });
    expect(failAll).toMatchObject({ name: 'fail-all', cases: 10, truePositives: bad, falsePositives: good, trueNegatives: 0, falseNegatives: 0, inconclusive: 0, recall: 1, precision: bad / 10 });
    expect(failAll.f1).toBeCloseTo((2 * (bad / 10)) / (bad / 10 + 1), 12);
    expect(passAll).toMatchObject({ name: 'pass-all', truePositives: 0, falsePositives: 0, trueNegatives: good, falseNegatives: bad, precision: 0, recall: 0, f1: 0 });
    // Recall per fault kind and per metric category: every bad case is flagged by fail-all, none by pass-all.
    for (const k of Object.values(failAll.byKind as Record<string, { bad: boolean; rate: number }>)) expect(k.rate).toBe(k.bad ? 1 : 0);
    expect(Object.keys(passAll.byCategory).length).toBeGreaterThan(0);
    for (const c of Object.values(passAll.byCategory as Record<string, { recall: number }>)) expect(c.recall).toBe(0);
  });

  it('--compare without --json prints the seed table with both rows and a progress bar per configuration', async () => {
    const run = await replay([data, '--compare', path.join(root, 'fail.json'), path.join(root, 'pass.json'), '--split', 'all']);
    expect(run.code, run.stderr).toBe(0);
    const rows = run.stdout.split('\n');
    expect(rows.some((r) => r.startsWith('fail-all'))).toBe(true);
    expect(rows.some((r) => r.startsWith('pass-all'))).toBe(true);
    expect(run.stderr).toMatch(/fail-all \[#+\] 10\/10/);
    expect(run.stderr).toMatch(/pass-all \[#+\] 10\/10/);
    expect(run.stdout).toMatch(new RegExp(`fail-all vs pass-all: F1 difference \\+\\d\\.\\d{3} \\(95 %: .+\\); of 10 cases, ${bad} judged right by fail-all only and ${good} by pass-all only \\(McNemar exact p = `));
    expect(run.stdout).toMatch(/95 % intervals \(exact for rates; F1 and precision over 2000 bootstrap resamples of the cases\)/);
  });

  it('--level and --resamples set the intervals; a bad value names the option', async () => {
    const run = await replay([data, '--config', path.join(root, 'fail.json'), '--split', 'all', '--json', '--level', '0.9', '--resamples', '500']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.intervals).toMatchObject({ level: 0.9, resamples: 500 });
    expect(result.intervals.falsePositiveRate).toEqual({ estimate: 1, low: binomialInterval(good, good, 0.9)[0], high: 1 });
    const wrong = await replay([data, '--split', 'all', '--level', '2']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/level/);
  });

  it('the default gate gives the same figures on one worker and on two; a bad file is reported and skipped', async () => {
    await writeFile(path.join(data, 'zz-broken.json'), '{"id": "zz", "step": -1}');
    try {
      const [one, two] = await Promise.all([replay([data, '--split', 'all', '--json', '--workers', '1']), replay([data, '--split', 'all', '--json', '--workers', '2'])]);
      expect(one.code, one.stderr).toBe(0);
      expect(two.stdout).toBe(one.stdout);
      const result = JSON.parse(one.stdout);
      expect(result).toMatchObject({ name: 'gate', cases: 10 });
      expect(result.truePositives + result.falseNegatives).toBe(bad);
      expect(result.falsePositives + result.trueNegatives).toBe(good);
      expect(one.stderr).toContain('zz-broken.json');
      expect(one.stderr).toMatch(/10 cases \(json\), 1 skipped;/);
    } finally {
      await rm(path.join(data, 'zz-broken.json'));
    }
  });

  it('--tune reports train and test figures separately, each over its own split', async () => {
    const run = await replay([data, '--tune', '--config', path.join(root, 'fail.json'), '--max-fpr', '0.5', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const [tuned] = JSON.parse(run.stdout);
    expect(tuned).toMatchObject({ name: 'fail-all', maxFalsePositiveRate: 0.5 });
    expect(tuned.train.cases).toBe(split.train.length);
    expect(tuned.test.cases).toBe(split.test.length);
    // Every case is forced FAIL, so no threshold can lower the false-positive rate below 1: the
    // fallback flags only forced cases, which is all of them.
    expect(tuned.train.falsePositiveRate).toBe(1);
  });
});
