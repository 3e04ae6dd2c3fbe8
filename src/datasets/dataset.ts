/**
 * A dataset is a directory of cases in one of two encodings:
 *
 * - `json`: one case per `*.json` file (the interchange format), read in file-name order.
 *   `manifest.json` and `split.json` are not cases.
 * - `arrow`: `manifest.json` (`{"format": "sluice-cases", "encoding": "arrow", ...}`) naming
 *   shards of Arrow IPC files (see `arrow.ts`), read in manifest order.
 *
 * Either may hold `split.json` (`{"train": [ids], "test": [ids]}`), a fixed train/test split.
 * Reading never stops at a bad file: each bad case is reported with its file, field and reason
 * and skipped; every other case is returned.
 */
import { mkdir, readFile, readdir, stat, writeFile, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SluiceError } from '../core/errors.js';
import { type ArrowShardBytes, decodeArrowShard, encodeArrowShard } from './arrow.js';
import { type ParsedCase, caseToJsonText, checkCase, parseCase } from './case.js';

export type DatasetEncoding = 'json' | 'arrow';

/** One case that could not be read: the file (relative to the dataset directory), the field and the reason. */
export interface DatasetError {
  file: string;
  path: string;
  message: string;
}

/** One item of a dataset in reading order: a case, or the error that replaced it. */
export type DatasetItem = { ok: true; file: string; value: ParsedCase } | { ok: false; error: DatasetError };

export interface DatasetSplit {
  train: string[];
  test: string[];
}

const MANIFEST = 'manifest.json';
const SPLIT = 'split.json';
const NOT_CASES = new Set([MANIFEST, SPLIT]);

const shardSchema = z.object({ cases: z.string(), series: z.string(), logs: z.string(), count: z.number().int().nonnegative() });
const manifestSchema = z.object({
  format: z.literal('sluice-cases'),
  version: z.literal(1),
  encoding: z.literal('arrow'),
  cases: z.number().int().nonnegative(),
  shards: z.array(shardSchema),
});
export type ArrowManifest = z.output<typeof manifestSchema>;

const splitSchema = z.object({ train: z.array(z.string()), test: z.array(z.string()) });

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Which encoding `dir` holds: `arrow` when it has an Arrow manifest, else `json`. */
export async function detectEncoding(dir: string): Promise<DatasetEncoding> {
  const manifest = path.join(dir, MANIFEST);
  if (!(await exists(manifest))) return 'json';
  try {
    const json = JSON.parse(await readFile(manifest, 'utf8')) as { encoding?: unknown };
    return json.encoding === 'arrow' ? 'arrow' : 'json';
  } catch {
    return 'json';
  }
}

/** Case file names of a JSON dataset, sorted by code unit so the order is the same everywhere. */
async function jsonCaseFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json') && !NOT_CASES.has(e.name))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Parses the text of one case file: one `ok` item, or one error item per issue, each naming `file`. */
export function parseCaseText(text: string, file: string): DatasetItem[] {
  let json: unknown;
  try {
    // Some editors and PowerShell start UTF-8 files with a byte-order mark; JSON.parse refuses it.
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    return [{ ok: false, error: { file, path: '', message: `not valid JSON: ${(error as Error).message}` } }];
  }
  const parsed = parseCase(json);
  if (parsed.ok) return [{ ok: true, file, value: parsed.value }];
  return parsed.issues.map((issue) => ({ ok: false as const, error: { file, ...issue } }));
}

/**
 * Streams a dataset, case by case, in a deterministic order (file name for JSON, manifest order for
 * Arrow). A bad case yields one error item per issue instead of the case; a case whose `id` was
 * already seen yields an error. Holds one file (JSON) or one shard (Arrow) in memory at a time.
 */
export async function* iterateDataset(dir: string): AsyncGenerator<DatasetItem> {
  const seen = new Map<string, string>();
  const dedupe = (item: DatasetItem): DatasetItem => {
    if (!item.ok) return item;
    const first = seen.get(item.value.id);
    if (first !== undefined) return { ok: false, error: { file: item.file, path: 'id', message: `duplicate case id "${item.value.id}" (first read from ${first})` } };
    seen.set(item.value.id, item.file);
    return item;
  };
  if ((await detectEncoding(dir)) === 'arrow') {
    for await (const item of iterateArrow(dir)) yield dedupe(item);
    return;
  }
  for (const name of await jsonCaseFiles(dir)) {
    let text: string;
    try {
      text = await readFile(path.join(dir, name), 'utf8');
    } catch (error) {
      yield { ok: false, error: { file: name, path: '', message: `cannot read: ${(error as Error).message}` } };
      continue;
    }
    for (const item of parseCaseText(text, name)) yield dedupe(item);
  }
}

async function* iterateArrow(dir: string): AsyncGenerator<DatasetItem> {
  let manifest: ArrowManifest;
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')));
    if (!parsed.success) {
      for (const issue of parsed.error.issues) yield { ok: false, error: { file: MANIFEST, path: issue.path.map(String).join('.'), message: issue.message } };
      return;
    }
    manifest = parsed.data;
  } catch (error) {
    yield { ok: false, error: { file: MANIFEST, path: '', message: `not a readable manifest: ${(error as Error).message}` } };
    return;
  }
  for (const [s, shard] of manifest.shards.entries()) {
    let cases: ParsedCase[];
    try {
      const bytes: ArrowShardBytes = {
        cases: await readFile(path.join(dir, shard.cases)),
        series: await readFile(path.join(dir, shard.series)),
        logs: await readFile(path.join(dir, shard.logs)),
      };
      cases = decodeArrowShard(bytes);
    } catch (error) {
      yield { ok: false, error: { file: shard.cases, path: `shards.${s}`, message: `cannot decode shard: ${(error as Error).message}` } };
      continue;
    }
    if (cases.length !== shard.count) {
      yield { ok: false, error: { file: MANIFEST, path: `shards.${s}.count`, message: `says ${shard.count} cases but ${shard.cases} holds ${cases.length}` } };
    }
    for (const [row, c] of cases.entries()) {
      const issues = checkCase(c);
      if (issues.length === 0) yield { ok: true, file: shard.cases, value: c };
      else for (const issue of issues) yield { ok: false, error: { file: shard.cases, path: `${row}.${issue.path}`, message: `case "${c.id}": ${issue.message}` } };
    }
  }
}

/**
 * Reads a whole dataset, either encoding (detected). Returns every good case in reading order and
 * one error per problem; never throws on bad files (only when `dir` cannot be listed).
 */
export async function readDataset(dir: string): Promise<{ encoding: DatasetEncoding; cases: ParsedCase[]; errors: DatasetError[] }> {
  const encoding = await detectEncoding(dir);
  const cases: ParsedCase[] = [];
  const errors: DatasetError[] = [];
  for await (const item of iterateDataset(dir)) {
    if (item.ok) cases.push(item.value);
    else errors.push(item.error);
  }
  return { encoding, cases, errors };
}

/** The dataset's fixed train/test split, or `undefined` when it has none. Throws on a malformed `split.json`. */
export async function readSplit(dir: string): Promise<DatasetSplit | undefined> {
  const file = path.join(dir, SPLIT);
  if (!(await exists(file))) return undefined;
  const parsed = splitSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new SluiceError('invalid_input', SPLIT, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  return parsed.data;
}

export interface WriteDatasetOptions {
  /** `json` (one file per case) or `arrow` (shards plus manifest). */
  format: DatasetEncoding;
  /** Cases per Arrow shard (default 50). */
  shardSize?: number;
  /** A train/test split to store as `split.json`. */
  split?: DatasetSplit;
  /** Called after each case is written, with the count so far. */
  onProgress?: (written: number) => void;
}

/** Names of the dataset files in `dir` (cases, shards, manifest, split), sorted; empty when there is no such directory. */
export async function datasetFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith('.json') || n.endsWith('.arrow')).sort();
}

/** Safe file name for a case id: the id itself when it is plain, else with odd characters replaced. */
export function caseFileName(id: string): string {
  return `${id.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
}

/**
 * Writes cases to `dir` (created if needed) in the chosen encoding. Every case is checked first;
 * an invalid case throws `SluiceError('invalid_input')` naming it, since writing one is a caller bug.
 * Accepts an async iterable, so a large dataset streams one Arrow shard at a time.
 * Returns the number of cases written.
 */
export async function writeDataset(dir: string, cases: Iterable<ParsedCase> | AsyncIterable<ParsedCase>, options: WriteDatasetOptions): Promise<number> {
  await mkdir(dir, { recursive: true });
  const shardSize = options.shardSize ?? 50;
  if (!(Number.isInteger(shardSize) && shardSize > 0)) throw new SluiceError('invalid_config', 'shardSize', `must be a positive integer, got ${shardSize}`);
  const usedNames = new Set<string>();
  const shards: ArrowManifest['shards'] = [];
  let pending: ParsedCase[] = [];
  let written = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const n = String(shards.length).padStart(4, '0');
    const names = { cases: `cases-${n}.arrow`, series: `series-${n}.arrow`, logs: `logs-${n}.arrow` };
    const bytes = encodeArrowShard(pending);
    await writeFile(path.join(dir, names.cases), bytes.cases);
    await writeFile(path.join(dir, names.series), bytes.series);
    await writeFile(path.join(dir, names.logs), bytes.logs);
    shards.push({ ...names, count: pending.length });
    pending = [];
  };
  for await (const c of cases) {
    const issues = checkCase(c);
    if (issues.length > 0) {
      const first = issues[0] as { path: string; message: string };
      throw new SluiceError('invalid_input', first.path, `case "${c.id}": ${first.message}`, issues.map((i) => ({ code: 'invalid_input', ...i })));
    }
    if (options.format === 'json') {
      const name = caseFileName(c.id);
      if (usedNames.has(name)) throw new SluiceError('conflict', 'id', `case "${c.id}": file name ${name} is already taken by another case`);
      usedNames.add(name);
      await writeFile(path.join(dir, name), caseToJsonText(c));
    } else {
      pending.push(c);
      if (pending.length >= shardSize) await flush();
    }
    written++;
    options.onProgress?.(written);
  }
  if (options.format === 'arrow') {
    await flush();
    const manifest: ArrowManifest = { format: 'sluice-cases', version: 1, encoding: 'arrow', cases: written, shards };
    await writeFile(path.join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  if (options.split) await writeFile(path.join(dir, SPLIT), splitText(options.split));
  return written;
}

/** `split.json` text: one id per line so that diffs stay readable. */
export function splitText(split: DatasetSplit): string {
  const list = (ids: string[]): string => (ids.length === 0 ? '[]' : `[\n${ids.map((id) => `    ${JSON.stringify(id)}`).join(',\n')}\n  ]`);
  return `{\n  "train": ${list(split.train)},\n  "test": ${list(split.test)}\n}\n`;
}

/**
 * Converts a dataset directory to the other encoding (or rewrites it in the same one), streaming.
 * Bad cases are reported and left out; `split.json` is copied. Returns the count written and the errors.
 */
export async function convertDataset(
  input: string,
  output: string,
  options: { to: DatasetEncoding; shardSize?: number; onProgress?: (written: number) => void },
): Promise<{ written: number; errors: DatasetError[] }> {
  if (path.resolve(input) === path.resolve(output)) throw new SluiceError('invalid_config', 'output', 'must differ from the input directory');
  const errors: DatasetError[] = [];
  async function* good(): AsyncGenerator<ParsedCase> {
    for await (const item of iterateDataset(input)) {
      if (item.ok) yield item.value;
      else errors.push(item.error);
    }
  }
  const written = await writeDataset(output, good(), { format: options.to, shardSize: options.shardSize, onProgress: options.onProgress });
  if (await exists(path.join(input, SPLIT))) await copyFile(path.join(input, SPLIT), path.join(output, SPLIT));
  return { written, errors };
}
