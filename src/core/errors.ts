/**
 * Errors as data. A library call that can fail on its input returns a `Result`; a bad parameter
 * throws a `SluiceError`. Both carry a closed code, the path of the offending field and a reason,
 * so the service can turn them into its 400 body directly.
 */
export type ErrorCode =
  | 'invalid_config'
  | 'invalid_input'
  | 'insufficient_data'
  | 'unknown_detector'
  | 'not_found'
  | 'conflict'
  | 'unavailable';

export interface SluiceIssue {
  code: ErrorCode;
  /** Dotted path of the field at fault, e.g. `metrics.0.released.host-a`; empty for the whole input. */
  path: string;
  message: string;
}

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly path: string;
  readonly issues: SluiceIssue[];
  constructor(code: ErrorCode, path: string, message: string, issues?: SluiceIssue[]) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'SluiceError';
    this.code = code;
    this.path = path;
    this.issues = issues ?? [{ code, path, message }];
  }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: SluiceIssue };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: ErrorCode, path: string, message: string): Result<never> => ({
  ok: false,
  error: { code, path, message },
});
