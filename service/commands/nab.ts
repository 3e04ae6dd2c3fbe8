/**
 * `sluice nab`: run a streaming detector over the NAB corpus and score it, or score an existing
 * result tree, printing our scores beside NAB's published scoreboard.
 *
 *   sluice nab <nab-dir> --detector <name> --out <dir> [--config <json>]
 *   sluice nab score <nab-dir> --results <dir> [--detector <name> ...] [--published-thresholds]
 */
import { parseArgs } from 'node:util';
import {
  formatScoreboard,
  listResultDetectors,
  readNabCorpus,
  readProfiles,
  readPublishedScoreboard,
  readResultTree,
  readThresholds,
  runNab,
  scoreAllProfiles,
  scoreboardRows,
  streamingDetectors,
  writeScoreFiles,
  type DetectorScores,
} from '../../src/nab/index.js';

const USAGE = `usage:
  sluice nab <nab-dir> --detector <name> --out <dir> [--config <json>]
      run a streaming detector over every NAB series, write <dir>/<name>/<category>/<name>_<file>.csv
      (timestamp,value,anomaly_score,label), score it and print it beside the published scoreboard
  sluice nab score <nab-dir> --results <dir> [--detector <name> ...] [--published-thresholds]
      score an existing result tree (every detector folder in it unless --detector is given);
      --published-thresholds uses the corpus's config/thresholds.json instead of optimising

detectors: ${Object.keys(streamingDetectors).join(', ')}`;

function progress(done: number, total: number, name: string): void {
  process.stderr.write(`  ${String(done).padStart(String(total).length)}/${total} ${name}\n`);
}

function summary(detector: string, scores: DetectorScores): string {
  return Object.values(scores)
    .map((r) => `  ${detector} ${r.profile}: ${r.normalizedScore.toFixed(2)} (raw ${r.rawScore.toFixed(3)}, threshold ${r.threshold}, TP ${r.tp} FP ${r.fp} FN ${r.fn})`)
    .join('\n');
}

async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { detector: { type: 'string' }, out: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const nabDir = positionals[0];
  if (positionals.length !== 1 || !values.detector || !values.out) {
    console.error(USAGE);
    return 2;
  }
  const factory = streamingDetectors[values.detector];
  if (!factory) {
    console.error(`sluice nab: unknown detector '${values.detector}' (known: ${Object.keys(streamingDetectors).join(', ')})`);
    return 2;
  }
  const config: unknown = values.config ? JSON.parse(values.config) : {};
  console.error(`running ${factory.name} ${factory.version} over ${nabDir}`);
  const output = runNab({ nabDir, outDir: values.out, detector: factory, config, onProgress: progress });
  const scores = scoreAllProfiles(output.files, readProfiles(nabDir));
  writeScoreFiles(values.out, factory.name, scores);
  console.log(`${factory.name}: ${output.files.length} series, detection ${output.detectMs.toFixed(0)} ms (${Math.round(output.pointsPerSecond)} points/s)`);
  console.log(summary(factory.name, scores));
  console.log('');
  console.log(formatScoreboard(scoreboardRows({ [factory.name]: scores }, readPublishedScoreboard(nabDir))));
  return 0;
}

async function scoreCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      results: { type: 'string' },
      detector: { type: 'string', multiple: true },
      'published-thresholds': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const nabDir = positionals[0];
  if (positionals.length !== 1 || !values.results) {
    console.error(USAGE);
    return 2;
  }
  const corpus = readNabCorpus(nabDir);
  const profiles = readProfiles(nabDir);
  const thresholds = values['published-thresholds'] ? readThresholds(nabDir) : {};
  const detectors = values.detector ?? listResultDetectors(values.results);
  if (detectors.length === 0) {
    console.error(`sluice nab score: no detector folders under ${values.results}`);
    return 2;
  }
  const ours: Record<string, DetectorScores> = {};
  detectors.forEach((detector, i) => {
    const files = readResultTree(nabDir, values.results as string, detector, corpus);
    const published = thresholds[detector];
    if (values['published-thresholds'] && !published) console.error(`  ${detector}: no published thresholds, optimising`);
    ours[detector] = scoreAllProfiles(files, profiles, published);
    progress(i + 1, detectors.length, detector);
  });
  for (const [detector, scores] of Object.entries(ours)) console.log(summary(detector, scores));
  console.log('');
  console.log(formatScoreboard(scoreboardRows(ours, readPublishedScoreboard(nabDir))));
  return 0;
}

/** Entry point of `sluice nab …`; `argv` excludes `nab` itself. Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    if (argv[0] === 'score') return await scoreCommand(argv.slice(1));
    return await runCommand(argv);
  } catch (error) {
    console.error(`sluice nab: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
