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
  /**
   * Frames of these packages are skipped when choosing the top frame, so the signature names the
   * application code (`at com.acme.cart.Cart.total`) rather than `java.util.Objects.requireNonNull`.
   * An exception with no other frame keeps its first one.
   */
  skipFramePrefixes: z.array(z.string()).default(['java.', 'javax.', 'jdk.', 'sun.', 'com.sun.', 'jakarta.']),
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

function signatureOfRecord(lines: string[], patterns: Patterns, config: LogParseConfig): Omit<ExceptionRecord, 't'> | null {
  // Each link of the chain: its class and its own frames (up to the next top-level cause).
  const chain: { cls: string; frames: string[] }[] = [];
  for (const line of lines) {
    if (chain.length === 0) {
      const m = patterns.exception.exec(line);
      if (m?.[1] && !patterns.frame.test(line)) chain.push({ cls: m[1], frames: [] });
      continue;
    }
    const cause = patterns.causedBy.exec(line);
    if (cause?.[1]) {
      chain.push({ cls: cause[1], frames: [] });
      continue;
    }
    const frame = patterns.frame.exec(line);
    if (frame?.[1]) chain[chain.length - 1].frames.push(stripModule(frame[1]));
  }
  if (chain.length === 0) return null;
  const chosen = config.signatureOf === 'root' ? chain.length - 1 : 0;
  const isApplication = (frame: string) => !config.skipFramePrefixes.some((prefix) => frame.startsWith(prefix));
  // The chosen link's first application frame; a cause thrown inside the platform (a class
  // loader, say) shares its caller's frames, so look outward through the chain for it next.
  let frame: string | undefined;
  for (let link = chosen; link >= 0 && frame === undefined; link--) frame = chain[link].frames.find(isApplication);
  frame ??= chain[chosen].frames[0];
  return {
    outer: chain[0].cls,
    root: chain[chain.length - 1].cls,
    signature: frame ? `${chain[chosen].cls} at ${frame}` : chain[chosen].cls,
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
      const found = signatureOfRecord(record, patterns, config);
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

/** Log texts by host → all hosts' events, sorted by time, then host, then signature. */
export function parseExceptionLogs(textByHost: Record<string, string>, config: LogParseConfig): LogEvent[] {
  const events = Object.entries(textByHost).flatMap(([host, text]) => parseExceptionLog(text, host, config));
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return events.sort((a, b) => a.t - b.t || order(a.host, b.host) || order(a.signature, b.signature));
}
