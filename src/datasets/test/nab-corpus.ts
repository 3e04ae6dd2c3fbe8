/**
 * Where tests find the NAB corpus: `../shared/datasets/nab` next to the repository. A test that
 * needs it is skipped with the reason printed when it is absent, and fails instead under CI.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The corpus directory and whether it holds NAB's labels; warns that `what` is skipped (or throws under CI) when not. */
export function nabCorpusForTests(what: string): { dir: string; present: boolean } {
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/datasets/nab');
  const present = existsSync(resolve(dir, 'labels/combined_windows.json'));
  if (!present) {
    const reason = `NAB corpus not found at ${dir}`;
    if (process.env.CI) throw new Error(`${reason} (required under CI)`);
    console.warn(`skipping ${what}: ${reason}`);
  }
  return { dir, present };
}
