import type { z } from 'zod';
import { SluiceError, type SluiceIssue } from './errors.js';

/**
 * Parses a configuration with its zod schema, filling defaults. On failure throws a
 * `SluiceError('invalid_config')` whose message names every offending field and the reason,
 * prefixed with `where` (e.g. `holtWinters config`).
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issues: SluiceIssue[] = parsed.error.issues.map((issue) => ({
    code: 'invalid_config',
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const text = issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
  throw new SluiceError('invalid_config', issues[0]?.path ?? '', `${where}: ${text}`, issues);
}
