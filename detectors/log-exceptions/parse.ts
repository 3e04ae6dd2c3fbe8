/**
 * Exception signatures from raw log text: a log record starts with a timestamp; the lines after
 * it up to the next record belong to it (a multi-line Java stack trace). The signature of a
 * record is an exception class plus its top stack frame, e.g.
 * `java.lang.NullPointerException at com.acme.cart.Cart.total`.
 *
 * With a `Caused by:` chain the signature is, by default, the ROOT cause (the last top-level
 * `Caused by:`) with the root's own top frame: wrappers such as `ServletException` or
 * `UndeclaredThrowableException` are shared by unrelated faults, while the root cause names
 * the code that broke. `signatureOf: 'outer'` takes the outermost exception instead.
 */
import { z } from 'zod';
import type { LogEvent } from '../../src/core/detector.js';

function isRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

const regex = (fallback: string) => z.string().refine(isRegex, 'must be a valid regular expression').default(fallback);

export const logParseConfig = z.object({
  /**
   * Start of a record. Groups: 1 date `YYYY-MM-DD`, 2 time `HH:MM:SS`, 3 optional fraction of
   * a second, 4 optional zone (`Z`, `+08:00`, `+0800`). Lines that do not match continue the record.
   */
  timestampPattern: regex('^\\[?(\\d{4}-\\d{2}-\\d{2})[ T](\\d{2}:\\d{2}:\\d{2})(?:[.,](\\d{1,9}))?\\s*(Z|[+-]\\d{2}:?\\d{2})?'),
  /** An exception class anywhere in a record's lines; group 1 is the fully qualified class. */
  exceptionPattern: regex('((?:[A-Za-z_$][\\w$]*\\.)+[A-Za-z_$][\\w$]*(?:Exception|Error|Throwable))(?=:|\\s|$)'),
  /** A stack frame line; group 1 is the (module-qualified) method. */
  framePattern: regex('^\\s+at\\s+([^\\s(]+)\\('),
  /** A top-level cause line; group 1 is the cause's class. Indented causes (inside `Suppressed:`) do not match. */
  causedByPattern: regex('^Caused by:\\s*([\\w$.]+)'),
  /** Which exception of a `Caused by:` chain names the signature. */
  signatureOf: z.enum(['root', 'outer']).default('root'),
  /** Offset from UTC, minutes, for timestamps written without a zone. */
  utcOffsetMinutes: z.number().int().min(-840).max(840).default(0),
  /** Events are counted per host, signature and bucket of this many ms (one minute by default). */
  bucketMs: z.number().int().positive().default(60_000),
});

export type LogParseConfig = z.output<typeof logParseConfig>;

/** One exception found in the log: when, the outer and root classes, and the chosen signature. */
export interface ExceptionRecord {
  /** Epoch ms of the record's timestamp. */
  t: number;
  outer: string;
  root: string;
  signature: string;
}

interface Patterns {
  timestamp: RegExp;
  exception: RegExp;
  frame: RegExp;
  causedBy: RegExp;
}

function compile(config: LogParseConfig): Patterns {
  return {
    timestamp: new RegExp(config.timestampPattern),
    exception: new RegExp(config.exceptionPattern),
    frame: new RegExp(config.framePattern),
    causedBy: new RegExp(config.causedByPattern),
  };
}

/** `java.base/java.util.Objects.requireNonNull` → `java.util.Objects.requireNonNull` (module and loader prefixes vary by JVM). */
function stripModule(frame: string): string {
  const slash = frame.lastIndexOf('/');
  return slash >= 0 ? frame.slice(slash + 1) : frame;
}

function parseTimestamp(match: RegExpMatchArray, utcOffsetMinutes: number): number {
  const [, date, time, fraction, zone] = match;
  const millis = fraction ? Number(fraction.slice(0, 3).padEnd(3, '0')) : 0;
  const local = Date.parse(`${date}T${time}Z`) + millis;
  if (!Number.isFinite(local)) return NaN;
  if (!zone) return local - utcOffsetMinutes * 60_000;
  if (zone === 'Z') return local;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return local - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
}

function signatureOfRecord(lines: string[], patterns: Patterns, signatureOf: LogParseConfig['signatureOf']): Omit<ExceptionRecord, 't'> | null {
  // Each link of the chain: its class and the index of its header line.
  const chain: { cls: string; line: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (chain.length === 0) {
      const m = patterns.exception.exec(lines[i]);
      if (m?.[1] && !patterns.frame.test(lines[i])) chain.push({ cls: m[1], line: i });
      continue;
    }
    const cause = patterns.causedBy.exec(lines[i]);
    if (cause?.[1]) chain.push({ cls: cause[1], line: i });
  }
  if (chain.length === 0) return null;
  const chosen = signatureOf === 'root' ? chain[chain.length - 1] : chain[0];
  let frame = '';
  for (let i = chosen.line + 1; i < lines.length; i++) {
    const m = patterns.frame.exec(lines[i]);
    if (m?.[1]) {
      frame = stripModule(m[1]);
      break;
    }
    if (patterns.causedBy.test(lines[i])) break;
  }
  return {
    outer: chain[0].cls,
    root: chain[chain.length - 1].cls,
    signature: frame ? `${chosen.cls} at ${frame}` : chosen.cls,
  };
}

/**
 * Every exception in a log text, one per record that holds one, in order. Records before the
 * first timestamp have no time and are skipped. O(total characters).
 *
 * @example extractExceptions('2026-11-26 10:00:01,234 ERROR boom\njava.lang.IllegalStateException: x\n\tat com.acme.A.run(A.java:3)', cfg)
 *   // → [{ t: 1795687201234, outer: 'java.lang.IllegalStateException', root: 'java.lang.IllegalStateException',
 *   //      signature: 'java.lang.IllegalStateException at com.acme.A.run' }]
 */
export function extractExceptions(text: string, config: LogParseConfig): ExceptionRecord[] {
  const patterns = compile(config);
  const out: ExceptionRecord[] = [];
  let t = NaN;
  let record: string[] = [];
  const flush = () => {
    if (record.length > 0 && Number.isFinite(t)) {
      const found = signatureOfRecord(record, patterns, config.signatureOf);
      if (found) out.push({ t, ...found });
    }
    record = [];
  };
  for (const line of text.split(/\r?\n/)) {
    const stamp = patterns.timestamp.exec(line);
    if (stamp) {
      flush();
      t = parseTimestamp(stamp, config.utcOffsetMinutes);
      record.push(line.slice(stamp[0].length));
    } else if (record.length > 0) {
      record.push(line);
    }
  }
  flush();
  return out;
}

/**
 * Log text of one host → the case format's events `{host, t, signature, count}`, counted per
 * signature and `bucketMs` bucket (t = bucket start), sorted by time then signature.
 * O(characters + e log e) for e exceptions.
 */
export function parseExceptionLog(text: string, host: string, config: LogParseConfig): LogEvent[] {
  const counts = new Map<string, LogEvent>();
  for (const record of extractExceptions(text, config)) {
    const bucket = Math.floor(record.t / config.bucketMs) * config.bucketMs;
    const key = `${bucket}\u0000${record.signature}`;
    const event = counts.get(key);
    if (event) event.count++;
    else counts.set(key, { host, t: bucket, signature: record.signature, count: 1 });
  }
  return [...counts.values()].sort((a, b) => a.t - b.t || (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));
}
