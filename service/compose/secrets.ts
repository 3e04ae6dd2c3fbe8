/**
 * Secrets for configured adapters come from files or the environment, never from the
 * configuration itself (it gets copied, committed and printed) and never into a log: errors name
 * the field and the file, not what it holds.
 */
import { readFileSync, statSync } from 'node:fs';
import { SluiceError } from '../../src/core/errors.js';

/** Re-throws an adapter's config error with its fields under `prefix` (e.g. `agent`). */
export function underField(prefix: string, error: unknown): never {
  if (!(error instanceof SluiceError)) throw error;
  const issues = error.issues.map((issue) => ({ ...issue, path: issue.path ? `${prefix}.${issue.path}` : prefix }));
  const [first, ...rest] = issues;
  const message = [first.message, ...rest.map((issue) => `${issue.path}: ${issue.message}`)].join('; ');
  throw new SluiceError(error.code, first.path, message, issues);
}

/** Refuses a secret written into the configuration at `field`, saying where it belongs instead. */
export function refuseInline(value: Record<string, unknown>, key: string, field: string, instead: string): void {
  if (value[key] !== undefined) throw new SluiceError('invalid_config', field, `secrets are not read from the configuration; ${instead}`);
}

/**
 * Reads a secret file (trailing newline dropped). Refuses a file other users can read, a
 * missing or empty one; `field` names the setting that pointed at it.
 */
export function readSecretFile(path: unknown, field: string): string {
  if (typeof path !== 'string' || path === '') throw new SluiceError('invalid_config', field, 'must be a file path');
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    throw new SluiceError('invalid_config', field, `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if ((mode & 0o077) !== 0) throw new SluiceError('invalid_config', field, `${path} is readable by group or others; chmod 600 it`);
  const text = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  if (text === '') throw new SluiceError('invalid_config', field, `${path} is empty`);
  return text;
}

/** A secret from the environment variable named at `field`; refuses an unset or empty one. */
export function readSecretEnv(name: unknown, field: string, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new SluiceError('invalid_config', field, 'must be an environment variable name');
  const value = env[name];
  if (!value) throw new SluiceError('invalid_config', field, `environment variable ${name} is not set`);
  return value;
}
