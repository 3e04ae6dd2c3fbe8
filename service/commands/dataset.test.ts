import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleCase } from '../../src/datasets/fixtures/example.js';
import { main } from './dataset.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'sluice-dataset-cli-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('sluice dataset (CLI)', () => {
  const capture = (): { out: string[]; err: string[]; io: { out: (l: string) => void; err: (l: string) => void } } => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
  };

  it('generate → validate → convert → validate, exit codes 0; validate prints each error and exits 1', async () => {
    const generated = path.join(root, 'cli-generated');
    const a = capture();
    expect(await main(['generate', '--out', generated, '--cases', '6', '--preset', 'unseen', '--format', 'json', '--seed', '5'], a.io)).toBe(0);
    expect(a.out.join('\n')).toMatch(/^wrote 6 cases \(2 bad, 4 good; \d+ train, \d+ test\) to .* as json, preset unseen, seed 5/);
    expect(a.err.at(-1)).toBe('generated 6/6 cases');
    const b = capture();
    expect(await main(['validate', generated], b.io)).toBe(0);
    expect(b.out.at(-1)).toBe('6 valid cases; 0 errors in 0 files');
    const arrow = path.join(root, 'cli-arrow');
    expect(await main(['convert', generated, arrow, '--to', 'arrow'], capture().io)).toBe(0);
    const c = capture();
    expect(await main(['validate', arrow], c.io)).toBe(0);
    expect(c.out.at(-1)).toBe('6 valid cases; 0 errors in 0 files');

    await writeFile(path.join(generated, 'zz-broken.json'), exampleCase('zz', (json) => void (json.step = -1)));
    const d = capture();
    expect(await main(['validate', generated], d.io)).toBe(1);
    expect(d.out).toEqual(['zz-broken.json: step: must be a positive integer of milliseconds', '6 valid cases; 1 errors in 1 files']);
  });

  it('refuses to write over an existing dataset unless --force, which replaces only dataset files', async () => {
    const dir = path.join(root, 'cli-force');
    expect(await main(['generate', '--out', dir, '--cases', '3', '--format', 'json'], capture().io)).toBe(0);
    await writeFile(path.join(dir, 'NOTES.md'), 'kept');
    const a = capture();
    expect(await main(['generate', '--out', dir, '--cases', '2', '--format', 'arrow'], a.io)).toBe(2);
    expect(a.err[0]).toMatch(/already holds 4 dataset files; pass --force/);
    expect(await main(['generate', '--out', dir, '--cases', '2', '--format', 'arrow', '--force'], capture().io)).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['NOTES.md', 'cases-0000.arrow', 'logs-0000.arrow', 'manifest.json', 'series-0000.arrow', 'split.json']);
    const b = capture();
    expect(await main(['validate', dir], b.io)).toBe(0);
    expect(b.out.at(-1)).toBe('2 valid cases; 0 errors in 0 files');
    expect(await main(['convert', dir, dir, '--to', 'json'], capture().io)).toBe(2);
  });

  it('usage errors exit 2 and say what is wrong', async () => {
    const a = capture();
    expect(await main(['generate'], a.io)).toBe(2);
    expect(a.err[0]).toMatch(/generate needs --out/);
    const b = capture();
    expect(await main(['convert', 'x', 'y', '--to', 'csv'], b.io)).toBe(2);
    expect(b.err[0]).toMatch(/--to must be json or arrow, got "csv"/);
    const c = capture();
    expect(await main(['generate', '--out', path.join(root, 'never'), '--preset', 'v9'], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/--preset must be one of v1, unseen/);
    expect(await main(['frobnicate'], capture().io)).toBe(2);
    expect(await main([], capture().io)).toBe(2);
    expect(await main(['--help'], capture().io)).toBe(0);
  });
});

