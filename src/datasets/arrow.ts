/**
 * The bulk encoding of a case dataset: Apache Arrow IPC files, a shard of cases at a time.
 *
 * A shard is three Arrow IPC files (file format), one table each:
 *
 * - `cases-NNNN.arrow`: one row per case: `id`, `app`, `release_id`, `release_version`,
 *   `release_batch`, `deployed_at`, `step`, `start`, `label_bad` (null = no label),
 *   `label_metrics` (JSON array text), `label_kind`.
 * - `series-NNNN.arrow`: one row per host series: `case` (row in the cases table), `metric`
 *   (position in the case), `name`, `category`, `direction`, `critical`, `released`, `host`,
 *   `decimals`, `ints: List<Int32>`, `floats: List<Float64>`.
 * - `logs-NNNN.arrow`: one row per log event: `case`, `host`, `t`, `signature`, `count`.
 *
 * Values are stored exactly. A series whose every value is `n / 10^d` for some `d` in 0–9 and
 * 32-bit `n` is stored as those integers (`decimals` = `d`, half the bytes of doubles, and they
 * compress far better); any other series is stored as doubles (`decimals` = −1). A missing point
 * is an Arrow null. Decoding gives back the very same doubles, so JSON → Arrow → JSON is lossless.
 */
import {
  Bool,
  Dictionary,
  Field,
  Float64,
  Int8,
  Int32,
  List,
  Table,
  Utf8,
  type Data,
  type Vector,
  makeData,
  makeVector,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import type { LogEvent } from '../core/detector.js';
import type { CaseLabel, HostSeries, MetricCategory, ParsedCase, ParsedMetric } from './case.js';

/** The three encoded tables of one shard. */
export interface ArrowShardBytes {
  cases: Uint8Array;
  series: Uint8Array;
  logs: Uint8Array;
}

const MAX_DECIMALS = 9;
const INT32_LIMIT = 2147483647;

/**
 * The decimal scaling that stores `values` exactly as 32-bit integers: the smallest `d` in 0–9
 * with every finite value equal to `round(v·10^d) / 10^d`, or −1 when there is none.
 * Cost: O(n) per candidate `d`.
 */
export function exactDecimals(values: Float64Array): number {
  // An Int32 cannot hold −0, so a series with one keeps its doubles.
  for (let i = 0; i < values.length; i++) if (Object.is(values[i], -0)) return -1;
  for (let d = 0; d <= MAX_DECIMALS; d++) {
    const scale = 10 ** d;
    let fits = true;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (v !== v) continue;
      const n = Math.round(v * scale);
      if (n > INT32_LIMIT || n < -INT32_LIMIT || n / scale !== v) {
        fits = false;
        break;
      }
    }
    if (fits) return d;
  }
  return -1;
}

const dictionary = (): Dictionary<Utf8, Int32> => new Dictionary(new Utf8(), new Int32());

/** Encodes cases (already validated) into one shard's Arrow IPC files. Cost: O(points). */
export function encodeArrowShard(cases: readonly ParsedCase[]): ArrowShardBytes {
  return { cases: tableToIPC(casesTable(cases), 'file'), series: tableToIPC(seriesTable(cases), 'file'), logs: tableToIPC(logsTable(cases), 'file') };
}

function casesTable(cases: readonly ParsedCase[]): Table {
  const label = (c: ParsedCase): CaseLabel | undefined => c.label;
  return new Table({
    id: vectorFromArray(cases.map((c) => c.id), new Utf8()),
    app: vectorFromArray(cases.map((c) => c.app), new Utf8()),
    release_id: vectorFromArray(cases.map((c) => c.release.id ?? null), new Utf8()),
    release_version: vectorFromArray(cases.map((c) => c.release.version ?? null), new Utf8()),
    release_batch: vectorFromArray(cases.map((c) => c.release.batch ?? null), new Float64()),
    deployed_at: vectorFromArray(cases.map((c) => c.release.deployedAt), new Float64()),
    step: vectorFromArray(cases.map((c) => c.step), new Float64()),
    start: vectorFromArray(cases.map((c) => c.start), new Float64()),
    label_bad: vectorFromArray(cases.map((c) => label(c)?.bad ?? null), new Bool()),
    label_metrics: vectorFromArray(cases.map((c) => (c.label ? JSON.stringify(c.label.metrics) : null)), new Utf8()),
    label_kind: vectorFromArray(cases.map((c) => c.label?.kind ?? null), new Utf8()),
  });
}

function seriesTable(cases: readonly ParsedCase[]): Table {
  const caseIndex: number[] = [];
  const metricIndex: number[] = [];
  const names: string[] = [];
  const categories: string[] = [];
  const directions: string[] = [];
  const critical: boolean[] = [];
  const released: boolean[] = [];
  const hosts: string[] = [];
  const decimals: number[] = [];
  const rows: { values: Float64Array; decimals: number }[] = [];
  cases.forEach((c, ci) => {
    c.metrics.forEach((m, mi) => {
      for (const group of ['released', 'unreleased'] as const) {
        for (const h of m[group]) {
          caseIndex.push(ci);
          metricIndex.push(mi);
          names.push(m.name);
          categories.push(m.category);
          directions.push(m.direction);
          critical.push(m.critical);
          released.push(group === 'released');
          hosts.push(h.host);
          const d = exactDecimals(h.values);
          decimals.push(d);
          rows.push({ values: h.values, decimals: d });
        }
      }
    });
  });
  let intCount = 0;
  let floatCount = 0;
  for (const row of rows) {
    if (row.decimals >= 0) intCount += row.values.length;
    else floatCount += row.values.length;
  }
  const intOffsets = new Int32Array(rows.length + 1);
  const floatOffsets = new Int32Array(rows.length + 1);
  const ints = new Int32Array(intCount);
  const floats = new Float64Array(floatCount);
  const intValid = new Uint8Array(Math.ceil(intCount / 8));
  const floatValid = new Uint8Array(Math.ceil(floatCount / 8));
  let intNulls = 0;
  let floatNulls = 0;
  let ip = 0;
  let fp = 0;
  rows.forEach((row, r) => {
    const { values } = row;
    if (row.decimals >= 0) {
      const scale = 10 ** row.decimals;
      for (let i = 0; i < values.length; i++, ip++) {
        const v = values[i] as number;
        if (v === v) {
          ints[ip] = Math.round(v * scale);
          intValid[ip >> 3] = (intValid[ip >> 3] as number) | (1 << (ip & 7));
        } else intNulls++;
      }
    } else {
      for (let i = 0; i < values.length; i++, fp++) {
        const v = values[i] as number;
        if (v === v) {
          floats[fp] = v;
          floatValid[fp >> 3] = (floatValid[fp >> 3] as number) | (1 << (fp & 7));
        } else floatNulls++;
      }
    }
    intOffsets[r + 1] = ip;
    floatOffsets[r + 1] = fp;
  });
  return new Table({
    case: vectorFromArray(caseIndex, new Int32()),
    metric: vectorFromArray(metricIndex, new Int32()),
    name: vectorFromArray(names, dictionary()),
    category: vectorFromArray(categories, dictionary()),
    direction: vectorFromArray(directions, dictionary()),
    critical: vectorFromArray(critical, new Bool()),
    released: vectorFromArray(released, new Bool()),
    host: vectorFromArray(hosts, dictionary()),
    decimals: vectorFromArray(decimals, new Int8()),
    ints: listVector(new Int32(), intOffsets, ints, intValid, intNulls),
    floats: listVector(new Float64(), floatOffsets, floats, floatValid, floatNulls),
  });
}

function listVector<T extends Int32 | Float64>(type: T, offsets: Int32Array, values: T['TArray'], validity: Uint8Array, nullCount: number): Vector<List<T>> {
  const child = makeData({ type, length: values.length, nullCount, nullBitmap: nullCount > 0 ? validity : null, data: values } as never) as unknown as Data<T>;
  const list = makeData({ type: new List(new Field('item', type, true)), length: offsets.length - 1, nullCount: 0, valueOffsets: offsets, child });
  return makeVector(list);
}

function logsTable(cases: readonly ParsedCase[]): Table {
  const caseIndex: number[] = [];
  const hosts: string[] = [];
  const times: number[] = [];
  const signatures: string[] = [];
  const counts: number[] = [];
  cases.forEach((c, ci) => {
    for (const e of c.logs) {
      caseIndex.push(ci);
      hosts.push(e.host);
      times.push(e.t);
      signatures.push(e.signature);
      counts.push(e.count);
    }
  });
  return new Table({
    case: vectorFromArray(caseIndex, new Int32()),
    host: vectorFromArray(hosts, dictionary()),
    t: vectorFromArray(times, new Float64()),
    signature: vectorFromArray(signatures, dictionary()),
    count: vectorFromArray(counts, new Float64()),
  });
}

/** Reads one list column chunk by chunk: row `r`'s values as doubles, `NaN` for nulls. */
class ListReader {
  private readonly chunks: readonly Data[];
  private chunk = 0;
  private chunkStart = 0;
  constructor(vector: Vector | null, private readonly what: string) {
    if (!vector) throw new Error(`missing column "${what}"`);
    this.chunks = vector.data;
  }
  /** Row `r` (rows must be asked for in increasing order), divided by `scale`. */
  row(r: number, scale: number): Float64Array {
    while (this.chunk < this.chunks.length && r >= this.chunkStart + (this.chunks[this.chunk] as Data).length) {
      this.chunkStart += (this.chunks[this.chunk] as Data).length;
      this.chunk++;
    }
    const data = this.chunks[this.chunk];
    if (!data) throw new Error(`column "${this.what}" has no row ${r}`);
    const local = data.offset + (r - this.chunkStart);
    const offsets = data.valueOffsets as Int32Array;
    const from = offsets[local] as number;
    const to = offsets[local + 1] as number;
    const child = data.children[0] as Data;
    const out = new Float64Array(to - from);
    const base = child.offset + from;
    if (child.values instanceof Int32Array) copyScaled(child.values, base, out, scale);
    else copyScaled(child.values as Float64Array, base, out, scale);
    if (child.nullCount > 0 && child.nullBitmap) markNulls(child.nullBitmap, base, out);
    return out;
  }
}

// Separate loops per source type keep each one monomorphic, which is several times faster.
function copyScaled(source: Int32Array | Float64Array, base: number, out: Float64Array, scale: number): void {
  if (scale === 1) for (let k = 0; k < out.length; k++) out[k] = source[base + k] as number;
  else for (let k = 0; k < out.length; k++) out[k] = (source[base + k] as number) / scale;
}

function markNulls(bitmap: Uint8Array, base: number, out: Float64Array): void {
  for (let k = 0; k < out.length; k++) {
    const at = base + k;
    if (((bitmap[at >> 3] as number) & (1 << (at & 7))) === 0) out[k] = NaN;
  }
}

function column(table: Table, name: string): Vector {
  const vector = table.getChild(name);
  if (!vector) throw new Error(`missing column "${name}"`);
  return vector;
}

/**
 * Decodes one shard back into cases, in row order. Throws when a file is not an Arrow IPC file
 * or lacks a column (the dataset reader turns that into an error for that file). The cases are
 * not checked here; see `checkCase`. Cost: O(points).
 */
export function decodeArrowShard(bytes: ArrowShardBytes): ParsedCase[] {
  const casesT = tableFromIPC(bytes.cases);
  const seriesT = tableFromIPC(bytes.series);
  const logsT = tableFromIPC(bytes.logs);
  const ids = column(casesT, 'id');
  const apps = column(casesT, 'app');
  const releaseIds = column(casesT, 'release_id');
  const versions = column(casesT, 'release_version');
  const batches = column(casesT, 'release_batch');
  const deployed = column(casesT, 'deployed_at');
  const steps = column(casesT, 'step');
  const starts = column(casesT, 'start');
  const labelBad = column(casesT, 'label_bad');
  const labelMetrics = column(casesT, 'label_metrics');
  const labelKind = column(casesT, 'label_kind');
  const cases: ParsedCase[] = [];
  for (let r = 0; r < casesT.numRows; r++) {
    const release: ParsedCase['release'] = { deployedAt: deployed.get(r) as number };
    const releaseId = releaseIds.get(r) as string | null;
    const version = versions.get(r) as string | null;
    const batch = batches.get(r) as number | null;
    const ordered: Partial<ParsedCase['release']> = {};
    if (releaseId !== null) ordered.id = releaseId;
    if (version !== null) ordered.version = version;
    if (batch !== null) ordered.batch = batch;
    ordered.deployedAt = release.deployedAt;
    const c: ParsedCase = {
      id: ids.get(r) as string,
      app: apps.get(r) as string,
      release: ordered as ParsedCase['release'],
      step: steps.get(r) as number,
      start: starts.get(r) as number,
      metrics: [],
      logs: [],
    };
    const bad = labelBad.get(r) as boolean | null;
    if (bad !== null) {
      const label: CaseLabel = { bad, metrics: JSON.parse((labelMetrics.get(r) as string | null) ?? '[]') as string[] };
      const kind = labelKind.get(r) as string | null;
      if (kind !== null) label.kind = kind;
      c.label = label;
    }
    cases.push(c);
  }

  const caseOf = column(seriesT, 'case');
  const metricOf = column(seriesT, 'metric');
  const names = column(seriesT, 'name');
  const categories = column(seriesT, 'category');
  const directions = column(seriesT, 'direction');
  const critical = column(seriesT, 'critical');
  const released = column(seriesT, 'released');
  const hosts = column(seriesT, 'host');
  const decimals = column(seriesT, 'decimals');
  const ints = new ListReader(seriesT.getChild('ints'), 'ints');
  const floats = new ListReader(seriesT.getChild('floats'), 'floats');
  for (let r = 0; r < seriesT.numRows; r++) {
    const c = cases[caseOf.get(r) as number];
    if (!c) throw new Error(`series row ${r} points at case row ${String(caseOf.get(r))}, which does not exist`);
    const position = metricOf.get(r) as number;
    let metric: ParsedMetric | undefined = c.metrics[position];
    if (!metric) {
      if (position !== c.metrics.length) throw new Error(`series row ${r}: metric ${position} of case "${c.id}" is out of order`);
      metric = {
        name: names.get(r) as string,
        category: categories.get(r) as MetricCategory,
        direction: directions.get(r) as ParsedMetric['direction'],
        critical: critical.get(r) as boolean,
        released: [],
        unreleased: [],
      };
      c.metrics.push(metric);
    }
    const d = decimals.get(r) as number;
    const intValues = ints.row(r, d >= 0 ? 10 ** d : 1);
    const floatValues = floats.row(r, 1);
    const host: HostSeries = { host: hosts.get(r) as string, values: d >= 0 ? intValues : floatValues };
    (released.get(r) ? metric.released : metric.unreleased).push(host);
  }

  const logCase = column(logsT, 'case');
  const logHost = column(logsT, 'host');
  const logTime = column(logsT, 't');
  const logSignature = column(logsT, 'signature');
  const logCount = column(logsT, 'count');
  for (let r = 0; r < logsT.numRows; r++) {
    const c = cases[logCase.get(r) as number];
    if (!c) throw new Error(`log row ${r} points at case row ${String(logCase.get(r))}, which does not exist`);
    const event: LogEvent = { host: logHost.get(r) as string, t: logTime.get(r) as number, signature: logSignature.get(r) as string, count: logCount.get(r) as number };
    c.logs.push(event);
  }
  return cases;
}
