import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleCase, exampleText } from './fixtures/example.js';
import { type ParsedCase, caseToJsonText, parseCase, toCaseJson } from './case.js';
import { convertDataset, detectEncoding, iterateDataset, readDataset, readSplit, writeDataset } from './dataset.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'sluice-datasets-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function jsonDataset(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(root, name);
  await writeDataset(dir, [], { format: 'json' });
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text);
  return dir;
}

describe('readDataset(dir)', () => {
  it('returns every good case in file-name order plus one error for the one broken file', async () => {
    const dir = await jsonDataset('one-broken', {
      'c.json': exampleCase('case-c'),
      'a.json': exampleCase('case-a'),
      'b.json': exampleCase('case-b', (json) => {
        (json.metrics as { released: Record<string, unknown[]> }[])[0]!.released['host-b']!.push(1);
      }),
      'd.json': exampleCase('case-d', (json) => {
        delete json.label;
        (json.metrics as Record<string, unknown>[])[0]!.unreleased = {};
      }),
      'notes.txt': 'not a case',
      'split.json': JSON.stringify({ train: ['case-a'], test: ['case-c'] }),
    });
    const { encoding, cases, errors } = await readDataset(dir);
    expect(encoding).toBe('json');
    expect(cases.map((c) => c.id)).toEqual(['case-a', 'case-c', 'case-d']);
    expect(errors).toEqual([
      { file: 'b.json', path: 'metrics.0.released.host-b', message: 'has 5 points but host "host-a" has 4; all series of a metric must have the same length' },
    ]);
    expect(await readSplit(dir)).toEqual({ train: ['case-a'], test: ['case-c'] });
  });

  it('reads a case file that starts with a byte-order mark', async () => {
    const dir = await jsonDataset('bom', { 'bom.json': `\ufeff${exampleCase('with-bom')}` });
    const { cases, errors } = await readDataset(dir);
    expect(errors).toEqual([]);
    expect(cases.map((c) => c.id)).toEqual(['with-bom']);
  });

  it('reports a repeated case id as an error of the later file and keeps the first', async () => {
    const dir = await jsonDataset('duplicates', { '1.json': exampleCase('same'), '2.json': exampleCase('same') });
    const { cases, errors } = await readDataset(dir);
    expect(cases).toHaveLength(1);
    expect(errors).toEqual([{ file: '2.json', path: 'id', message: 'duplicate case id "same" (first read from 1.json)' }]);
  });

  it('streams with iterateDataset in the same order as readDataset', async () => {
    const dir = await jsonDataset('stream', { 'x.json': exampleCase('x'), 'y.json': '{}' });
    const items: string[] = [];
    for await (const item of iterateDataset(dir)) items.push(item.ok ? item.value.id : `${item.error.file}:${item.error.path}`);
    expect(items[0]).toBe('x');
    expect(items.slice(1).every((s) => s.startsWith('y.json:'))).toBe(true);
    expect(items.length).toBeGreaterThan(2);
  });
});

describe('the Arrow encoding', () => {
  it('JSON dir → Arrow dir → JSON dir gives the same files byte for byte, and readDataset detects each', async () => {
    const cases: Record<string, string> = {};
    for (let i = 0; i < 7; i++) {
      cases[`case-${i}.json`] = exampleCase(`case-${i}`, (json) => {
        const m = (json.metrics as { released: Record<string, (number | null)[]> }[])[0]!;
        m.released['host-a'] = [i, i + 0.5, null, Math.PI * i];
        if (i % 2 === 0) delete json.label;
        if (i % 3 === 0) json.logs = [];
      });
    }
    const source = await jsonDataset('source', { ...cases, 'split.json': JSON.stringify({ train: ['case-0'], test: [] }) });
    // Canonical text first: the JSON writer's layout is the reference.
    const canonical = path.join(root, 'canonical');
    await convertDataset(source, canonical, { to: 'json' });
    const arrow = path.join(root, 'as-arrow');
    const toArrow = await convertDataset(canonical, arrow, { to: 'arrow', shardSize: 3 });
    expect(toArrow).toEqual({ written: 7, errors: [] });
    expect(await detectEncoding(arrow)).toBe('arrow');
    expect((await readdir(arrow)).sort()).toEqual(
      ['cases-0000.arrow', 'cases-0001.arrow', 'cases-0002.arrow', 'logs-0000.arrow', 'logs-0001.arrow', 'logs-0002.arrow', 'manifest.json', 'series-0000.arrow', 'series-0001.arrow', 'series-0002.arrow', 'split.json'],
    );
    const back = path.join(root, 'back-to-json');
    await convertDataset(arrow, back, { to: 'json' });
    const names = (await readdir(canonical)).sort();
    expect((await readdir(back)).sort()).toEqual(names);
    for (const name of names) expect(await readFile(path.join(back, name), 'utf8')).toBe(await readFile(path.join(canonical, name), 'utf8'));
    const fromArrow = await readDataset(arrow);
    const fromJson = await readDataset(canonical);
    expect(fromArrow.encoding).toBe('arrow');
    expect(fromArrow.cases.map(toCaseJson)).toEqual(fromJson.cases.map(toCaseJson));
  });

  it('reports a corrupt shard as one error and still returns the other shards', async () => {
    const dir = path.join(root, 'corrupt');
    const parsed = parseCase(JSON.parse(exampleCase('k-0')));
    if (!parsed.ok) throw new Error('example must parse');
    const many: ParsedCase[] = [0, 1, 2, 3].map((i) => ({ ...parsed.value, id: `k-${i}` }));
    await writeDataset(dir, many, { format: 'arrow', shardSize: 2 });
    await writeFile(path.join(dir, 'series-0000.arrow'), 'garbage');
    const { cases, errors } = await readDataset(dir);
    expect(cases.map((c) => c.id)).toEqual(['k-2', 'k-3']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: 'cases-0000.arrow', path: 'shards.0' });
    expect(errors[0]!.message).toMatch(/^cannot decode shard: /);
  });

  it('writeDataset refuses an invalid case, naming it', async () => {
    const parsed = parseCase(JSON.parse(exampleCase('ok')));
    if (!parsed.ok) throw new Error('example must parse');
    const bad: ParsedCase = { ...parsed.value, id: 'bad-one', step: 0 };
    await expect(writeDataset(path.join(root, 'refused'), [bad], { format: 'arrow' })).rejects.toThrow('step: case "bad-one": must be a positive integer of milliseconds');
  });
});

it('caseToJsonText is the writer of JSON datasets: the file holds exactly that text', async () => {
  const dir = path.join(root, 'text');
  const parsed = parseCase(JSON.parse(exampleText));
  if (!parsed.ok) throw new Error('example must parse');
  await writeDataset(dir, [parsed.value], { format: 'json' });
  expect(await readFile(path.join(dir, 'case-0001.json'), 'utf8')).toBe(caseToJsonText(parsed.value));
});
