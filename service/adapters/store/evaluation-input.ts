/**
 * How an evaluation's input (a case) is kept in the store's `input` column, compactly.
 *
 * The gate judges a batch every minute, and each evaluation's case repeats the batch's history
 * (two days of every judged host's series, and the logs before the release) with only the
 * window's minutes new. So a case is split at `release.deployedAt`:
 *
 * - the history part (series points before the release, log events before it) becomes one blob,
 *   deflated JSON addressed by the SHA-256 of its text, stored once in `evaluation_blobs` and
 *   shared by every evaluation of the batch that read the same history;
 * - the rest (the case without its series values, the window's points and log events, and the
 *   blob's hash) is deflated into the row itself, prefixed with `~p1:`.
 *
 * Deflated JSON text beats deflated Float64 bytes here: metrics arrive with few decimals, which
 * the text keeps short (the fleet's series: 1.5 bytes a point against 1.8 as Float64, 4.5 as
 * plain JSON). Unpacking gives back exactly what `JSON.parse(JSON.stringify(input))` gives;
 * rows written before this encoding (plain JSON) read as before, and so does any input that is
 * not shaped like a case.
 */
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { toJsonValues } from '../../../src/core/series.js';
import { toCaseJson, type ParsedCase } from '../../../src/datasets/case.js';

const PREFIX = '~p1:';

export interface PackedInput {
  /** The `input` column's text. */
  text: string;
  /**
   * Blobs the text refers to, to store under their hash. `data` deflates on demand: a batch's
   * history is compressed once, when its first evaluation is stored, not every minute.
   */
  blobs: { hash: string; data(): string }[];
}

type Values = (number | null)[];
type SeriesBySide = Record<string, Values>;

/** The part of a case this module reads; anything else rides along in the skeleton untouched. */
interface CaseShape {
  step: number;
  start: number;
  release: { deployedAt: number };
  metrics: ({ released: SeriesBySide; unreleased: SeriesBySide } & Record<string, unknown>)[];
  logs?: ({ t: number } & Record<string, unknown>)[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSeries = (v: unknown): boolean => {
  if (!isObject(v)) return false;
  for (const values of Object.values(v)) {
    if (!Array.isArray(values)) return false;
    for (const x of values) if (x !== null && !(typeof x === 'number' && Number.isFinite(x))) return false;
  }
  return true;
};

/**
 * True when `v` has a case's shape with JSON-exact values (finite numbers or null), checked by
 * plain loops: a case holds millions of points, and this runs for every evaluation.
 */
function isCase(v: unknown): v is CaseShape {
  if (!isObject(v) || !isObject(v.release) || !Array.isArray(v.metrics)) return false;
  if (!(typeof v.step === 'number' && v.step > 0 && typeof v.start === 'number' && Number.isFinite(v.start) && typeof v.release.deployedAt === 'number' && Number.isFinite(v.release.deployedAt))) return false;
  if (!v.metrics.every((m) => isObject(m) && isSeries(m.released) && isSeries(m.unreleased))) return false;
  return v.logs === undefined || (Array.isArray(v.logs) && v.logs.every((e) => isObject(e) && typeof e.t === 'number' && Number.isFinite(e.t)));
}

const historySchema = z.object({ series: z.array(z.array(z.number().nullable())), logs: z.array(z.unknown()) });
const rowSchema = z.object({
  /** The case without series values and logs; each side lists its hosts in order. */
  skeleton: z.record(z.string(), z.unknown()),
  history: z.string().nullable(),
  window: z.array(z.array(z.number().nullable())),
  logs: z.array(z.unknown()).nullable(),
  logsAt: z.array(z.number().int().nonnegative()),
});

const deflate = (text: string): string => deflateRawSync(Buffer.from(text, 'utf8')).toString('base64');
const inflate = (data: string): string => inflateRawSync(Buffer.from(data, 'base64')).toString('utf8');

/**
 * Packs an evaluation's input for the `input` column (see the module comment). A `ParsedCase` (the
 * gate's own form, series as Float64Array) packs to exactly what its `toCaseJson` would, without
 * building that JSON: the history's address is hashed from its bytes, and its text is written only
 * when the store does not hold the blob yet — once per batch, not every minute.
 */
export function packInput(input: unknown): PackedInput {
  if (isParsedCase(input)) return packParsedCase(input);
  // Anything else is stored as JSON, as before; a case's parts are JSON-stringified below, so
  // what is kept is what JSON keeps either way.
  if (!isCase(input)) return { text: JSON.stringify(input ?? null), blobs: [] };
  const c = input;
  const split = Math.round((c.release.deployedAt - c.start) / c.step);
  const history: Values[] = [];
  const window: Values[] = [];
  const metrics = c.metrics.map((m) => {
    const sides: Record<'released' | 'unreleased', string[]> = { released: [], unreleased: [] };
    for (const side of ['released', 'unreleased'] as const) {
      for (const [host, values] of Object.entries(m[side] as SeriesBySide)) {
        sides[side].push(host);
        const at = Math.max(0, Math.min(values.length, split));
        history.push(values.slice(0, at));
        window.push(values.slice(at));
      }
    }
    return { ...m, ...sides };
  });
  return packParts({ ...c, metrics }, history, window, c.logs ?? null, c.release.deployedAt);
}

/** A case in the library's parsed form: each side an array of `{ host, values: Float64Array }`. */
function isParsedCase(v: unknown): v is ParsedCase {
  if (!isObject(v) || !Array.isArray(v.metrics) || !Array.isArray(v.logs) || !isObject(v.release)) return false;
  return v.metrics.every((m) => isObject(m) && Array.isArray(m.released) && Array.isArray(m.unreleased) && [...m.released, ...m.unreleased].every((h) => isObject(h) && h.values instanceof Float64Array));
}

const EMPTY = new Float64Array(0);

function packParsedCase(c: ParsedCase): PackedInput {
  // The case's JSON without its values gives the skeleton, and each side's hosts in the order
  // `toCaseJson`'s objects list them (integer-like names first), so that both forms of one case
  // give one history address.
  const hollow = toCaseJson({ ...c, logs: [], metrics: c.metrics.map((m) => ({ ...m, released: m.released.map((h) => ({ host: h.host, values: EMPTY })), unreleased: m.unreleased.map((h) => ({ host: h.host, values: EMPTY })) })) });
  const split = Math.round((c.release.deployedAt - c.start) / c.step);
  const history: Float64Array[] = [];
  const window: Values[] = [];
  const metrics = hollow.metrics.map((m, i) => {
    const sides: Record<'released' | 'unreleased', string[]> = { released: [], unreleased: [] };
    for (const side of ['released', 'unreleased'] as const) {
      const byHost = new Map(c.metrics[i][side].map((h) => [h.host, h.values]));
      for (const host of Object.keys(m[side])) {
        sides[side].push(host);
        const values = byHost.get(host) ?? EMPTY;
        const at = Math.max(0, Math.min(values.length, split));
        history.push(values.subarray(0, at));
        window.push(toJsonValues(values.subarray(at)));
      }
    }
    return { ...m, ...sides };
  });
  const logs = c.logs.map((e) => ({ host: e.host, t: e.t, signature: e.signature, count: e.count }));
  return packParts({ ...hollow, metrics }, history, window, logs, c.release.deployedAt);
}

/**
 * The row and the history blob from a case split at the release: `skeleton` (metrics listing their
 * hosts), each host's history and window (in skeleton order) and the case's logs (null: none).
 */
function packParts(skeletonCase: Record<string, unknown>, history: readonly (Values | Float64Array)[], window: Values[], logs: readonly ({ t: number } & Record<string, unknown>)[] | null, deployedAt: number): PackedInput {
  const historyLogs: unknown[] = [];
  const windowLogs: unknown[] = [];
  // Where each window event sits among all events, so that unpacking restores the order.
  const windowAt: number[] = [];
  logs?.forEach((e, i) => {
    if (e.t < deployedAt) historyLogs.push(e);
    else {
      windowLogs.push(e);
      windowAt.push(i);
    }
  });
  const skeleton: Record<string, unknown> = { ...skeletonCase };
  if (logs) skeleton.logs = null; // keeps the key's place; unpacking fills it
  const blobs: PackedInput['blobs'] = [];
  let hash: string | null = null;
  if (history.some((v) => v.length > 0) || historyLogs.length > 0) {
    const logsText = JSON.stringify(historyLogs);
    hash = historyAddress(history, logsText);
    blobs.push({ hash, data: () => deflate(`{"series":${JSON.stringify(history.map((v) => (v instanceof Float64Array ? toJsonValues(v) : v)))},"logs":${logsText}}`) });
  }
  const row = { skeleton, history: hash, window, logs: logs ? windowLogs : null, logsAt: windowAt };
  return { text: PREFIX + deflate(JSON.stringify(row)), blobs };
}

/**
 * A history's address: SHA-256 over each series' length and its values as Float64 bytes (null as
 * NaN), then the events' JSON. Hashing the bytes, not the JSON text, spares writing the text of a
 * history the store already holds (two days of a wide batch are tens of megabytes of it).
 */
function historyAddress(history: readonly (Values | Float64Array)[], logsText: string): string {
  const hash = createHash('sha256');
  hash.update(new Uint8Array(Float64Array.from(history, (v) => v.length).buffer));
  const scratch = new Float64Array(4096);
  for (const values of history) {
    if (values instanceof Float64Array) {
      hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      continue;
    }
    for (let from = 0; from < values.length; from += scratch.length) {
      const n = Math.min(scratch.length, values.length - from);
      for (let i = 0; i < n; i++) scratch[i] = values[from + i] ?? NaN;
      hash.update(new Uint8Array(scratch.buffer, 0, n * 8));
    }
  }
  return hash.update(logsText).digest('hex');
}

/** Blob hashes a stored `input` text refers to (none for plain JSON). */
export function blobsOf(text: string | null): string[] {
  if (text === null || !text.startsWith(PREFIX)) return [];
  const hash = decodeRow(text).history;
  return hash ? [hash] : [];
}

function decodeRow(text: string): z.output<typeof rowSchema> {
  return rowSchema.parse(JSON.parse(inflate(text.slice(PREFIX.length))));
}

/**
 * Unpacks stored `input` texts (null stays null), reading the blobs they refer to through
 * `fetch` once for all of them. A referenced blob that is missing throws, naming it.
 */
export async function unpackInputs(texts: readonly (string | null)[], fetch: (hashes: string[]) => Promise<Map<string, string>>): Promise<unknown[]> {
  const rows = texts.map((text) => (text !== null && text.startsWith(PREFIX) ? decodeRow(text) : null));
  const hashes = [...new Set(rows.flatMap((r) => (r?.history ? [r.history] : [])))];
  const stored = hashes.length > 0 ? await fetch(hashes) : new Map<string, string>();
  const histories = new Map<string, z.output<typeof historySchema>>();
  const historyOf = (hash: string) => {
    let h = histories.get(hash);
    if (!h) {
      const data = stored.get(hash);
      if (data === undefined) throw new Error(`evaluation input refers to blob ${hash}, which the store does not hold`);
      h = historySchema.parse(JSON.parse(inflate(data)));
      histories.set(hash, h);
    }
    return h;
  };
  return texts.map((text, i) => {
    const row = rows[i];
    if (text === null) return null;
    if (!row) return JSON.parse(text);
    const history = row.history ? historyOf(row.history) : { series: [], logs: [] };
    let k = 0;
    const metrics = (row.skeleton.metrics as Record<string, unknown>[]).map((m) => {
      const out: Record<string, unknown> = { ...m };
      for (const side of ['released', 'unreleased'] as const) {
        const values: SeriesBySide = {};
        for (const host of m[side] as string[]) {
          values[host] = [...(history.series[k] ?? []), ...row.window[k]];
          k++;
        }
        out[side] = values;
      }
      return out;
    });
    const input: Record<string, unknown> = { ...row.skeleton, metrics };
    if (row.logs) {
      const logs: unknown[] = new Array(history.logs.length + row.logs.length);
      row.logsAt.forEach((at, j) => (logs[at] = row.logs![j]));
      let h = 0;
      for (let j = 0; j < logs.length; j++) if (!(j in logs)) logs[j] = history.logs[h++];
      input.logs = logs;
    }
    return input;
  });
}
