/**
 * Runs the same benchmark task in R or Python's statsmodels when they are installed, so the
 * numbers are measured side by side in one run. Each script prints one line: the median
 * seconds of one run. Missing tools give `null`, never an error.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const probe = (cmd: string, args: string[]): boolean => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0;
};

let rChecked: boolean | undefined;
let pyChecked: boolean | undefined;

/** True when `Rscript` runs here. */
export function hasR(): boolean {
  rChecked ??= probe('Rscript', ['-e', 'invisible(1)']);
  return rChecked;
}

/** Debian's python3 with statsmodels; the interpreter path is fixed so a user's pyenv does not shadow it. */
export const PYTHON = process.env.SLUICE_PYTHON ?? '/usr/bin/python3';

/** True when statsmodels imports in `PYTHON`. */
export function hasStatsmodels(): boolean {
  pyChecked ??= probe(PYTHON, ['-c', 'import statsmodels']);
  return pyChecked;
}

function runScript(cmd: string, ext: string, script: string, timeoutMs: number): number | null {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const file = join(dir, `task.${ext}`);
  writeFileSync(file, script);
  const r = spawnSync(cmd, [file], { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) return null;
  const last = r.stdout.trim().split('\n').pop() ?? '';
  const seconds = Number(last);
  return Number.isFinite(seconds) ? seconds * 1000 : null;
}

/**
 * Runs an R script whose last printed line is the median seconds of one run; returns
 * milliseconds, or `null` when R is missing or the script failed.
 */
export function timeR(script: string, timeoutMs = 300_000): number | null {
  return hasR() ? runScript('Rscript', 'R', script, timeoutMs) : null;
}

/** Same for a Python script run with statsmodels' interpreter. */
export function timePython(script: string, timeoutMs = 300_000): number | null {
  return hasStatsmodels() ? runScript(PYTHON, 'py', script, timeoutMs) : null;
}
