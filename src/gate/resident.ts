/**
 * A batch's series kept by a gate worker between its evaluations. A batch is judged every minute
 * of its observation window and only its last minutes change (the history before the release is
 * taken as fixed, as `GateCache` takes it), so after the first evaluation the pool sends the
 * points from the release on (`windowUpdate`): for 4,000 host series of two days, a few hundred
 * kilobytes in one buffer instead of 4,000 transferred arrays of 94 MB in all. The worker writes
 * them into its copy (`ResidentCases`), whose arrays have room to grow by a few hours of points.
 */
import type { ParsedCase } from '../datasets/case.js';

/** What changes between two evaluations of one batch: the points from `from` on, its logs and ids. */
export interface WindowUpdate {
  id: string;
  release: ParsedCase['release'];
  logs: ParsedCase['logs'];
  label?: ParsedCase['label'];
  /** First point sent, the same for every series. */
  from: number;
  /** Each series' length, in the case's order (metrics, then released and unreleased hosts). */
  lengths: Int32Array;
  /** Each series' points from `from` to its length, one after the other. */
  window: Float64Array;
}

/** Every host series of a case in the order updates use: metric by metric, released then unreleased. */
export function seriesOf(c: ParsedCase): Float64Array[] {
  const out: Float64Array[] = [];
  for (const m of c.metrics) {
    for (const h of m.released) out.push(h.values);
    for (const h of m.unreleased) out.push(h.values);
  }
  return out;
}

/** Index of the first point at or after the deployment (clamped to [0, shortest series]). */
export function releasePoint(c: ParsedCase, series: Float64Array[] = seriesOf(c)): number {
  let shortest = Infinity;
  for (const v of series) shortest = Math.min(shortest, v.length);
  return Math.max(0, Math.min(Number.isFinite(shortest) ? shortest : 0, Math.ceil((c.release.deployedAt - c.start) / c.step)));
}

/** The update that brings a resident copy of `c`'s batch to `c`. O(series × window). */
export function windowUpdate(c: ParsedCase): WindowUpdate {
  const series = seriesOf(c);
  const from = releasePoint(c, series);
  const lengths = Int32Array.from(series, (v) => v.length);
  let total = 0;
  for (const v of series) total += v.length - from;
  const window = new Float64Array(total);
  // A plain loop: a subarray and a set per series cost more than copying their few points.
  let at = 0;
  for (const v of series) for (let i = from; i < v.length; i++) window[at++] = v[i];
  const update: WindowUpdate = { id: c.id, release: c.release, logs: c.logs, from, lengths, window };
  if (c.label) update.label = c.label;
  return update;
}

interface Resident {
  shape: ParsedCase;
  /** Buffers with room to grow; the case's series are views of their first `length` points. */
  buffers: Float64Array[];
  bytes: number;
}

/** Room for this many more points (at least) when a series is copied or outgrows its buffer. */
const SLACK = 240;

/** The resident copies, least recently used dropped first beyond `maxCases` or `maxBytes`. */
export class ResidentCases {
  private readonly cases = new Map<string, Resident>();
  bytes = 0;

  constructor(
    readonly maxCases = 64,
    readonly maxBytes = 1024 * 2 ** 20,
  ) {}

  /** Copies `c`'s series under `key` (replacing what was there) and returns the case over the copies. */
  keep(key: string, c: ParsedCase): ParsedCase {
    this.drop(key);
    const buffers = seriesOf(c).map((v) => {
      const b = new Float64Array(v.length + Math.max(SLACK, Math.ceil(v.length / 20)));
      b.set(v);
      return b;
    });
    // The shape keeps the names, not the series (the copies are in `buffers`).
    const none = new Float64Array(0);
    const bare = (h: { host: string }) => ({ host: h.host, values: none });
    const shape: ParsedCase = { ...c, metrics: c.metrics.map((m) => ({ ...m, released: m.released.map(bare), unreleased: m.unreleased.map(bare) })) };
    const resident: Resident = { shape, buffers, bytes: 0 };
    this.measure(resident);
    this.cases.set(key, resident);
    this.bytes += resident.bytes;
    const kept = this.view(resident, c, Int32Array.from(seriesOf(c), (v) => v.length));
    this.evict(key);
    return kept;
  }

  /** Applies `u` to the copy under `key` and returns the case; null when there is none (never kept, or dropped). */
  update(key: string, u: WindowUpdate): ParsedCase | null {
    const resident = this.cases.get(key);
    if (!resident || resident.buffers.length !== u.lengths.length) return null;
    this.cases.delete(key);
    this.cases.set(key, resident);
    this.bytes -= resident.bytes;
    let at = 0;
    resident.buffers.forEach((b, i) => {
      const length = u.lengths[i];
      if (length > b.length) {
        const grown = new Float64Array(length + Math.max(SLACK, Math.ceil(length / 20)));
        grown.set(b.subarray(0, Math.min(u.from, b.length)));
        resident.buffers[i] = b = grown;
      }
      for (let t = u.from; t < length; t++) b[t] = u.window[at++];
    });
    this.measure(resident);
    this.bytes += resident.bytes;
    const { id, release, logs, label } = u;
    const c = this.view(resident, { ...resident.shape, id, release, logs, label }, u.lengths);
    this.evict(key);
    return c;
  }

  get size(): number {
    return this.cases.size;
  }

  private view(resident: Resident, c: ParsedCase, lengths: Int32Array): ParsedCase {
    let i = 0;
    const next = (h: { host: string }) => {
      const values = resident.buffers[i].subarray(0, lengths[i]);
      i++;
      return { host: h.host, values };
    };
    const out: ParsedCase = { ...c, metrics: c.metrics.map((m) => ({ ...m, released: m.released.map(next), unreleased: m.unreleased.map(next) })) };
    if (out.label === undefined) delete out.label;
    return out;
  }

  private measure(resident: Resident): void {
    resident.bytes = resident.buffers.reduce((s, b) => s + b.byteLength, 0);
  }

  private drop(key: string): void {
    const resident = this.cases.get(key);
    if (!resident) return;
    this.cases.delete(key);
    this.bytes -= resident.bytes;
  }

  /** Drops the least recently used copies beyond the bounds, never `keep` (the one in use). */
  private evict(keep: string): void {
    for (const key of this.cases.keys()) {
      if (this.cases.size <= this.maxCases && this.bytes <= this.maxBytes) return;
      if (key !== keep) this.drop(key);
    }
  }
}
