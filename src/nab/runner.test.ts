import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../service/commands/nab.js';
import { parseNabTimestamp, readNabCorpus } from './corpus.js';
import { readResultTree, runNab, scoreAllProfiles, windowLabels } from './runner.js';
import { NAB_PROFILES } from './scorer.js';
import { ewmaGaussianStream, type StreamingDetectorFactory } from './streaming.js';
import { z } from 'zod';

/** A two-file corpus in NAB's layout: 40 five-minute rows each, one window in the second file. */
function writeTinyCorpus(root: string): void {
  const rows = (values: (t: number) => number) => {
    const lines = ['timestamp,value'];
    for (let i = 0; i < 40; i++) {
      const t = new Date(Date.UTC(2020, 0, 1, 0, 5 * i));
      lines.push(`${t.toISOString().slice(0, 19).replace('T', ' ')},${values(i)}`);
    }
    return lines.join('\n') + '\n';
  };
  mkdirSync(join(root, 'data', 'catA'), { recursive: true });
  mkdirSync(join(root, 'data', 'catB'), { recursive: true });
  mkdirSync(join(root, 'labels'), { recursive: true });
  writeFileSync(join(root, 'data', 'catA', 'flat.csv'), rows((i) => 10 + (i % 2)));
  writeFileSync(join(root, 'data', 'catB', 'spike.csv'), rows((i) => (i === 30 ? 100 : 10 + (i % 3))));
  writeFileSync(
    join(root, 'labels', 'combined_windows.json'),
    JSON.stringify({ 'catA/flat.csv': [], 'catB/spike.csv': [['2020-01-01 02:25:00.000000', '2020-01-01 02:40:00.000000']] }),
  );
}

/** A detector that scores 1 on the row whose value exceeds 50, else 0.1: exact expectations. */
const oracle: StreamingDetectorFactory = {
  name: 'oracle',
  version: '1.0.0',
  description: 'test detector',
  configSchema: z.object({}),
  create: () => ({ reset() {}, update: (_t, v) => (v > 50 ? 1 : 0.1) }),
};

describe('runNab(options) on a two-file corpus', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'nab-runner-'));
    writeTinyCorpus(join(root, 'nab'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes <out>/<detector>/<category>/<detector>_<file> with one row per data row', () => {
    const out = join(root, 'out');
    const progress: string[] = [];
    const run = runNab({ nabDir: join(root, 'nab'), outDir: out, detector: oracle, onProgress: (d, n, name) => progress.push(`${d}/${n} ${name}`) });
    expect(progress).toEqual(['1/2 catA/flat.csv', '2/2 catB/spike.csv']);
    expect(readdirSync(join(out, 'oracle')).sort()).toEqual(['catA', 'catB']);
    expect(readdirSync(join(out, 'oracle', 'catA'))).toEqual(['oracle_flat.csv']);
    const lines = readFileSync(join(out, 'oracle', 'catB', 'oracle_spike.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('timestamp,value,anomaly_score,label');
    expect(lines.length).toBe(41);
    expect(lines[1]).toBe('2020-01-01 00:00:00,10,0.1,0');
    // Rows 29..32 (02:25 to 02:40) are labelled; row 30 is the spike.
    expect(lines.slice(29, 35)).toEqual([
      '2020-01-01 02:20:00,11,0.1,0',
      '2020-01-01 02:25:00,12,0.1,1',
      '2020-01-01 02:30:00,100,1,1',
      '2020-01-01 02:35:00,11,0.1,1',
      '2020-01-01 02:40:00,12,0.1,1',
      '2020-01-01 02:45:00,10,0.1,0',
    ]);
    expect(run.files.map((f) => f.name)).toEqual(['catA/flat.csv', 'catB/spike.csv']);
  });

  it('scores what it wrote the same as what it kept in memory, and a perfect-ish detector high', () => {
    const nabDir = join(root, 'nab');
    const out = join(root, 'out2');
    const run = runNab({ nabDir, outDir: out, detector: oracle });
    const fromDisk = scoreAllProfiles(readResultTree(nabDir, out, 'oracle'), NAB_PROFILES);
    const inMemory = scoreAllProfiles(run.files, NAB_PROFILES);
    expect(fromDisk.standard.normalizedScore).toBe(inMemory.standard.normalizedScore);
    // Detected at the second of four window rows: position −3/4 → tanh(1.875)/tanh(2.5).
    const raw = Math.tanh(1.875) / Math.tanh(2.5);
    expect(inMemory.standard.threshold).toBe(1);
    expect(inMemory.standard.rawScore).toBeCloseTo(raw, 14);
    expect(inMemory.standard.normalizedScore).toBeCloseTo((100 * (raw + 1)) / 2, 12);
  });

  it('rejects a bad detector config naming the field', () => {
    expect(() => runNab({ nabDir: join(root, 'nab'), outDir: join(root, 'out3'), detector: ewmaGaussianStream, config: { span: 1 } })).toThrow(/span/);
  });

  it('sluice nab runs, writes score files and prints the scoreboard; sluice nab score rescores the tree', async () => {
    const nabDir = join(root, 'nab');
    const out = join(root, 'cli');
    const logged: string[] = [];
    const original = console.log;
    const originalWrite = process.stderr.write.bind(process.stderr);
    console.log = (...args: unknown[]) => void logged.push(args.join(' '));
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await main([nabDir, '--detector', 'ewmaGaussian', '--out', out])).toBe(0);
      expect(readdirSync(join(out, 'ewmaGaussian')).filter((f) => f.endsWith('_scores.csv')).sort()).toEqual([
        'ewmaGaussian_reward_low_FN_rate_scores.csv',
        'ewmaGaussian_reward_low_FP_rate_scores.csv',
        'ewmaGaussian_standard_scores.csv',
      ]);
      expect(await main(['score', nabDir, '--results', out])).toBe(0);
      expect(await main([nabDir, '--detector', 'nope', '--out', out])).toBe(2);
      expect(await main(['score', nabDir])).toBe(2);
    } finally {
      console.log = original;
      process.stderr.write = originalWrite;
    }
    expect(logged.join('\n')).toMatch(/\* ewmaGaussian/);
    expect(logged.join('\n')).toMatch(/standard\s+low FP\s+low FN/);
  });
});

describe('corpus reading', () => {
  it('parseNabTimestamp reads data and label formats as UTC', () => {
    expect(parseNabTimestamp('2014-04-10 07:15:00')).toBe(Date.UTC(2014, 3, 10, 7, 15));
    expect(parseNabTimestamp('2014-04-10 07:15:00.000000')).toBe(Date.UTC(2014, 3, 10, 7, 15));
    expect(parseNabTimestamp('2014-04-10T07:15:00.250')).toBe(Date.UTC(2014, 3, 10, 7, 15, 0, 250));
    expect(parseNabTimestamp('yesterday')).toBeNaN();
  });
  it('windowLabels marks rows inside windows, limits included', () => {
    expect(Array.from(windowLabels([0, 1, 2, 3, 4, 5], [[1, 2], [4, 4]]))).toEqual([0, 1, 1, 0, 1, 0]);
  });
  it('readNabCorpus refuses a folder that is not a NAB corpus', () => {
    expect(() => readNabCorpus(tmpdir() + '/no-such-nab')).toThrow(/not a NAB corpus/);
  });
});
