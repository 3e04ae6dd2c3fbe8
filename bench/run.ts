/**
 * Runs every `bench/*.bench.ts` in turn (or those named on the command line) and prints their
 * JSON lines and tables. `--quick` runs the small sizes only, as CI does.
 *
 *   npm run bench                # full pass
 *   npm run bench:quick          # CI pass
 *   npm run bench -- stl dtw     # only the named benchmarks
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchOptions } from './lib/harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => !a.startsWith('--'));
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.bench\.ts$/, '')))
  .sort();

const options: BenchOptions = { quick };
for (const file of files) {
  const started = Date.now();
  console.log(`# ${file}${quick ? ' (quick)' : ''}`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { run: (o: BenchOptions) => Promise<void> | void };
  await mod.run(options);
  console.log(`# ${file} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
