/**
 * The one error body every endpoint answers with: `{ status, code, field, reason }`, plus every
 * issue when validation found several. zod issues map straight into it.
 */
import type { Response } from 'express';
import type { z } from 'zod';

export interface ErrorBody {
  status: number;
  code: string;
  /** Dotted path of the offending field; empty when the request as a whole is at fault. */
  field: string;
  reason: string;
  issues?: { field: string; reason: string }[];
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly field: string,
    readonly reason: string,
    readonly issues?: { field: string; reason: string }[],
    readonly headers: Record<string, string> = {},
  ) {
    super(reason);
    this.name = 'HttpError';
  }

  body(): ErrorBody {
    return { status: this.status, code: this.code, field: this.field, reason: this.reason, ...(this.issues && this.issues.length > 1 ? { issues: this.issues } : {}) };
  }
}

/** A 400 naming the first offending field (prefixed with where it was: body, query, params). */
export function validationError(where: string, error: z.ZodError): HttpError {
  const issues = error.issues.map((i) => ({ field: [where, ...i.path.map(String)].join('.'), reason: i.message }));
  const first = issues[0] ?? { field: where, reason: 'invalid' };
  return new HttpError(400, 'invalid_input', first.field, first.reason, issues);
}

export function sendError(res: Response, error: HttpError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.status(error.status).json(error.body());
}
