/**
 * InfluxDB line protocol parser (the format Telegraf writes):
 *
 *   measurement[,tag=value…] field=value[,field=value…] [timestamp]
 *
 * Escapes follow InfluxDB 1.x: in measurements `\,` and `\ `; in tag keys, tag values and field
 * keys `\,` `\=` `\ `; string field values are double-quoted with `\"` and `\\`. Numeric fields
 * are floats, `123i` integers or `123u` unsigned; booleans t/T/true/True/TRUE/f/F/false/False/FALSE.
 * Only numeric and boolean fields become points (booleans as 1/0); string fields are skipped.
 * Each metric is `measurement.field`; the host is the `host` tag. O(length of the body).
 */

export type Precision = 'ns' | 'us' | 'ms' | 's';

export interface ParsedPoint {
  metric: string;
  host: string;
  /** Epoch ms. */
  t: number;
  v: number;
}

export interface LineError {
  /** 1-based line number. */
  line: number;
  reason: string;
}

const DIVISOR: Record<Precision, number> = { ns: 1e6, us: 1e3, ms: 1, s: 1e-3 };

/** Splits on `sep` outside escapes and (optionally) outside double quotes. */
function splitUnescaped(text: string, sep: string, respectQuotes: boolean): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (respectQuotes && c === '"') quoted = !quoted;
    else if (c === sep && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

const unescape = (s: string): string => s.replace(/\\([,= "\\])/g, '$1');

/** Index of the first unescaped, unquoted space at or after `from`; -1 when none. */
function nextSpace(text: string, from: number): number {
  let quoted = false;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (c === ' ' && !quoted) return i;
  }
  return -1;
}

function parseFieldValue(raw: string): number | null | 'invalid' {
  if (raw.startsWith('"')) return raw.length >= 2 && raw.endsWith('"') ? null : 'invalid';
  if (/^(t|T|true|True|TRUE)$/.test(raw)) return 1;
  if (/^(f|F|false|False|FALSE)$/.test(raw)) return 0;
  const numeric = raw.endsWith('i') || raw.endsWith('u') ? raw.slice(0, -1) : raw;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(numeric)) return 'invalid';
  const v = Number(numeric);
  return Number.isFinite(v) ? v : 'invalid';
}

/**
 * Parses one escape-free, quote-free line into `out`; false (and nothing added) when the line is
 * not plainly well formed, so the full parser can report why.
 */
function fastLine(line: string, precision: Precision, hostTag: string, now: number, out: ParsedPoint[]): boolean {
  const keyEnd = line.indexOf(' ');
  if (keyEnd <= 0) return false;
  const fieldsEnd = line.indexOf(' ', keyEnd + 1);
  const fieldText = fieldsEnd === -1 ? line.slice(keyEnd + 1) : line.slice(keyEnd + 1, fieldsEnd);
  const timeText = fieldsEnd === -1 ? '' : line.slice(fieldsEnd + 1);
  if (fieldText === '' || timeText.indexOf(' ') !== -1) return false;
  const key = line.slice(0, keyEnd).split(',');
  const measurement = key[0];
  if (!measurement) return false;
  let host = '';
  for (let i = 1; i < key.length; i++) {
    const tag = key[i];
    const eq = tag.indexOf('=');
    if (eq <= 0 || eq === tag.length - 1 || tag.indexOf('=', eq + 1) !== -1) return false;
    if (tag.slice(0, eq) === hostTag) host = tag.slice(eq + 1);
  }
  if (!host) return false;
  let t = now;
  if (timeText !== '') {
    if (!/^-?\d+$/.test(timeText)) return false;
    t = Math.floor(Number(timeText) / DIVISOR[precision]);
    if (!Number.isFinite(t)) return false;
  }
  const start = out.length;
  for (const field of fieldText.split(',')) {
    const eq = field.indexOf('=');
    if (eq <= 0 || eq === field.length - 1 || field.indexOf('=', eq + 1) !== -1) {
      out.length = start;
      return false;
    }
    const value = parseFieldValue(field.slice(eq + 1));
    if (value === 'invalid') {
      out.length = start;
      return false;
    }
    if (value !== null) out.push({ metric: `${measurement}.${field.slice(0, eq)}`, host, t, v: value });
  }
  return true;
}

/**
 * Parses a body of line protocol. Good lines give points; each bad line gives an error naming
 * its number and the reason, and does not stop the others. Lines without a timestamp take `now`.
 */
export function parseLineProtocol(body: string, options: { precision?: Precision; now: number; hostTag?: string }): { points: ParsedPoint[]; errors: LineError[] } {
  const precision = options.precision ?? 'ns';
  const hostTag = options.hostTag ?? 'host';
  const points: ParsedPoint[] = [];
  const errors: LineError[] = [];
  const lines = body.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === '' || line.startsWith('#')) continue;
    // Most lines have no escapes and no string fields: split them directly. Anything unusual
    // (including every malformed line) takes the full path below, which names the problem.
    if (line.indexOf('\\') === -1 && line.indexOf('"') === -1 && fastLine(line, precision, hostTag, options.now, points)) continue;
    const fail = (reason: string) => errors.push({ line: n + 1, reason });
    const keyEnd = nextSpace(line, 0);
    if (keyEnd <= 0) {
      fail('expected "measurement[,tags] fields [timestamp]"');
      continue;
    }
    const fieldsEnd = nextSpace(line, keyEnd + 1);
    const fieldText = fieldsEnd === -1 ? line.slice(keyEnd + 1) : line.slice(keyEnd + 1, fieldsEnd);
    const timeText = fieldsEnd === -1 ? '' : line.slice(fieldsEnd + 1).trim();
    const [rawMeasurement, ...rawTags] = splitUnescaped(line.slice(0, keyEnd), ',', false);
    const measurement = unescape(rawMeasurement);
    if (!measurement) {
      fail('empty measurement name');
      continue;
    }
    let host = '';
    let badTag = '';
    for (const tag of rawTags) {
      const kv = splitUnescaped(tag, '=', false);
      if (kv.length !== 2 || kv[0] === '' || kv[1] === '') {
        badTag = tag;
        break;
      }
      if (unescape(kv[0]) === hostTag) host = unescape(kv[1]);
    }
    if (badTag) {
      fail(`malformed tag '${badTag}' (expected key=value)`);
      continue;
    }
    if (!host) {
      fail(`missing the '${hostTag}' tag`);
      continue;
    }
    let t = options.now;
    if (timeText !== '') {
      if (!/^-?\d+$/.test(timeText)) {
        fail(`timestamp '${timeText}' is not an integer`);
        continue;
      }
      t = Math.floor(Number(timeText) / DIVISOR[precision]);
      if (!Number.isFinite(t)) {
        fail(`timestamp '${timeText}' is out of range`);
        continue;
      }
    }
    if (fieldText === '') {
      fail('no fields');
      continue;
    }
    const linePoints: ParsedPoint[] = [];
    let badField = '';
    for (const field of splitUnescaped(fieldText, ',', true)) {
      const eq = splitUnescaped(field, '=', true);
      if (eq.length !== 2 || eq[0] === '' || eq[1] === '') {
        badField = `malformed field '${field}' (expected key=value)`;
        break;
      }
      const value = parseFieldValue(eq[1]);
      if (value === 'invalid') {
        badField = `field '${unescape(eq[0])}' has an invalid value '${eq[1]}'`;
        break;
      }
      if (value !== null) linePoints.push({ metric: `${measurement}.${unescape(eq[0])}`, host, t, v: value });
    }
    if (badField) {
      fail(badField);
      continue;
    }
    for (const p of linePoints) points.push(p);
  }
  return { points, errors };
}
