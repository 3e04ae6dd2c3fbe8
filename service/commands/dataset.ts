/**
 * `sluice dataset`: generate, convert and validate case datasets.
 *
 *   sluice dataset generate --out <dir> [--seed N] [--cases N] [--preset v1|unseen] [--format json|arrow]
 *   sluice dataset convert <in> <out> --to json|arrow
 *   sluice dataset validate <dir>
 */
import { parseArgs } from 'node:util';
import { type CaseKind, generateCases, planKinds, presets, splitCases } from '../../datasets/generator/index.js';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { type DatasetEncoding, convertDataset, datasetFiles, iterateDataset, writeDataset } from '../../src/datasets/index.js';

/** Where the command writes: results to `out`, progress and errors to `err`. */
export interface CommandIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: CommandIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

const USAGE = `usage:
  sluice dataset generate --out <dir> [--seed N] [--cases N] [--preset v1|unseen] [--format json|arrow] [--force]
  sluice dataset convert <in> <out> --to json|arrow [--force]
  sluice dataset validate <dir>

--force replaces the dataset files (*.json, *.arrow) already in the output directory; other files stay.`;

class UsageError extends Error {}

function integerOption(value: string | undefined, name: string, minimum: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < minimum) throw new UsageError(`--${name} must be an integer ≥ ${minimum}, got "${value}"`);
  return n;
}

function encodingOption(value: string | undefined, name: string, fallback?: DatasetEncoding): DatasetEncoding {
  const chosen = value ?? fallback;
  if (chosen !== 'json' && chosen !== 'arrow') throw new UsageError(`--${name} must be json or arrow${value === undefined ? '' : `, got "${value}"`}`);
  return chosen;
}

/**
 * Refuses to write into a directory that already holds dataset files, unless `force`, in which
 * case it removes them: stale cases mixed with new ones would silently corrupt the dataset.
 */
async function prepareOutput(dir: string, force: boolean | undefined, io: CommandIo): Promise<void> {
  const existing = await datasetFiles(dir);
  if (existing.length === 0) return;
  if (!force) throw new UsageError(`${dir} already holds ${existing.length} dataset files; pass --force to replace them`);
  for (const name of existing) await rm(path.join(dir, name));
  io.err(`removed ${existing.length} old dataset files from ${dir}`);
}

/** Prints a progress line about every tenth of the way, and at the end. */
function progress(io: CommandIo, verb: string, total: number | undefined): (done: number) => void {
  const every = total ? Math.max(1, Math.ceil(total / 10)) : 100;
  return (done) => {
    if (done % every === 0 || done === total) io.err(`${verb} ${done}${total ? `/${total}` : ''} cases`);
  };
}

async function generate(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { out: { type: 'string' }, seed: { type: 'string' }, cases: { type: 'string' }, preset: { type: 'string' }, format: { type: 'string' }, force: { type: 'boolean' } },
    allowPositionals: false,
  });
  if (!values.out) throw new UsageError('generate needs --out <dir>');
  const presetName = values.preset ?? 'v1';
  const preset = presets[presetName];
  if (!preset) throw new UsageError(`--preset must be one of ${Object.keys(presets).join(', ')}, got "${presetName}"`);
  const seed = integerOption(values.seed, 'seed', 0) ?? preset.seed;
  const count = integerOption(values.cases, 'cases', 1) ?? preset.cases;
  const format = encodingOption(values.format, 'format', 'arrow');
  const kinds = planKinds(preset, count, seed);
  const split = splitCases(
    preset,
    kinds.map((kind: CaseKind, i) => ({ id: `${preset.idPrefix}${String(i).padStart(4, '0')}`, kind })),
    seed,
  );
  await prepareOutput(values.out, values.force, io);
  const started = Date.now();
  const written = await writeDataset(values.out, generateCases(preset, { count, seed }), { format, split, onProgress: progress(io, 'generated', count) });
  const bad = Math.round(count * preset.badShare);
  io.out(`wrote ${written} cases (${bad} bad, ${written - bad} good; ${split.train.length} train, ${split.test.length} test) to ${values.out} as ${format}, preset ${preset.name}, seed ${seed}, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

async function convert(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { to: { type: 'string' }, force: { type: 'boolean' } }, allowPositionals: true });
  const [input, output] = positionals;
  if (!input || !output || positionals.length !== 2) throw new UsageError('convert needs <in> <out>');
  const to = encodingOption(values.to, 'to');
  if (path.resolve(input) === path.resolve(output)) throw new UsageError('convert needs <out> to differ from <in>');
  await prepareOutput(output, values.force, io);
  const { written, errors } = await convertDataset(input, output, { to, onProgress: progress(io, 'converted', undefined) });
  for (const e of errors) io.err(`${e.file}: ${e.path || '(file)'}: ${e.message}`);
  io.out(`converted ${written} cases to ${to} in ${output}${errors.length > 0 ? `; ${errors.length} errors, those cases left out` : ''}`);
  return errors.length > 0 ? 1 : 0;
}

async function validate(args: string[], io: CommandIo): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
  const [dir] = positionals;
  if (!dir || positionals.length !== 1) throw new UsageError('validate needs <dir>');
  let good = 0;
  let errors = 0;
  const badFiles = new Set<string>();
  const report = progress(io, 'checked', undefined);
  for await (const item of iterateDataset(dir)) {
    if (item.ok) {
      good++;
      report(good);
    } else {
      errors++;
      badFiles.add(item.error.file);
      io.out(`${item.error.file}: ${item.error.path || '(file)'}: ${item.error.message}`);
    }
  }
  io.out(`${good} valid cases; ${errors} errors in ${badFiles.size} files`);
  return errors > 0 ? 1 : 0;
}

/** Runs `sluice dataset <subcommand> …` and returns the exit code (0 ok, 1 failed, 2 usage). */
export async function main(argv: string[], io: CommandIo = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE);
    return command ? 0 : 2;
  }
  try {
    switch (command) {
      case 'generate':
        return await generate(rest, io);
      case 'convert':
        return await convert(rest, io);
      case 'validate':
        return await validate(rest, io);
      default:
        throw new UsageError(`unknown subcommand "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`sluice dataset: ${(error as Error).message}\n${USAGE}`);
      return 2;
    }
    io.err(`sluice dataset: ${(error as Error).message}`);
    return 1;
  }
}
