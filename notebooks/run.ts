/**
 * Runs a notebook and writes its self-contained HTML report.
 *
 *   npm run notebook -- <replay|forecasts|nab|sensitivity> [--out dir] [--small] [options]
 *
 * Progress goes to stderr; the report's path to stdout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { forecastsNotebook } from './forecasts.js';
import { nabCorpusStatus, nabNotebook } from './nab.js';
import { replayNotebook } from './replay.js';
import { sensitivityNotebook } from './sensitivity.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const USAGE = `usage: npm run notebook -- <name> [--out dir] [--small] [options]

  replay      replay a labeled dataset with the default gate and the gate without its per-host view
              --dataset <dir> (datasets/release-cases-v1)  --split test|train|all (test)
              --small (first 40 cases)  --limit <n>  --workers <n>
  forecasts   one series through Holt-Winters, STL + ARIMA and the historical average
              --case <id> (v1-0006)  --metric <name>  --dataset <dir>
              --nab-series <category/file.csv> (a NAB series instead, from --nab)
  nab         our streaming detectors on the NAB corpus beside the published scoreboard
              --nab <dir> (../shared/datasets/nab)  --detector <name> (repeatable)
  sensitivity recall of the gate against injected fault sizes, with and without unreleased hosts
              --world <v1|unseen> (repeatable; both)  --limit <n> batches per size (40)
              --small (v1 only, 10 per size)  --workers <n>

  --out <dir>  where <name>.html is written (notebooks/out)`;

/** Parses the command line, runs one notebook and returns the process exit code (`env` decides whether a missing NAB corpus skips or fails). */
export async function main(
  argv: string[],
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      small: { type: 'boolean' },
      limit: { type: 'string' },
      workers: { type: 'string' },
      dataset: { type: 'string' },
      split: { type: 'string' },
      case: { type: 'string' },
      metric: { type: 'string' },
      nab: { type: 'string' },
      'nab-series': { type: 'string' },
      detector: { type: 'string', multiple: true },
      world: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const name = positionals[0];
  if (positionals.length !== 1 || !name) {
    console.error(USAGE);
    return 2;
  }
  const outDir = resolve(values.out ?? join(root, 'notebooks', 'out'));
  const count = (text: string | undefined, what: string): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${what} must be a positive integer, got '${text}'`);
    return n;
  };
  const dataset = resolve(values.dataset ?? join(root, 'datasets', 'release-cases-v1'));
  const nabDir = resolve(values.nab ?? join(root, '..', 'shared', 'datasets', 'nab'));
  let html: string;
  switch (name) {
    case 'replay': {
      const split = values.split ?? 'test';
      if (split !== 'test' && split !== 'train' && split !== 'all') throw new Error(`--split must be test, train or all, got '${split}'`);
      const limit = count(values.limit, 'limit') ?? (values.small ? 40 : undefined);
      html = (await replayNotebook({ dataset, split, limit, workers: count(values.workers, 'workers'), log })).html;
      break;
    }
    case 'forecasts': {
      const series = values['nab-series'];
      html = (await forecastsNotebook({ dataset, caseId: values.case, metric: values.metric, nab: series ? { dir: nabDir, series } : undefined, log })).html;
      break;
    }
    case 'nab': {
      const status = nabCorpusStatus(nabDir, env);
      if (status.action !== 'run') {
        log(`nab: ${status.action === 'skip' ? 'skipped' : 'failed'}: ${status.reason}${status.action === 'fail' ? ' (CI is set)' : ''}`);
        return status.action === 'skip' ? 0 : 1;
      }
      html = nabNotebook({ nabDir, resultsDir: join(outDir, 'nab-results'), detectors: values.detector, log }).html;
      break;
    }
    case 'sensitivity': {
      const worlds = values.world ?? (values.small ? ['v1'] : undefined);
      html = (await sensitivityNotebook({ worlds, count: count(values.limit, 'limit') ?? (values.small ? 10 : undefined), workers: count(values.workers, 'workers'), log })).html;
      break;
    }
    default:
      console.error(`unknown notebook '${name}'\n\n${USAGE}`);
      return 2;
  }
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${name}.html`);
  writeFileSync(file, html);
  console.log(file);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
