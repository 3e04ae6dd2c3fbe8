/**
 * A batch's series kept by a gate worker between its evaluations. A batch is judged every minute
 * of its observation window and only its last minutes change (the history before the release is
 * taken as fixed, as `GateCache` takes it), so after the first evaluation the pool sends the
 * points from the release on (`windowUpdate`): for 4,000 host series of two days, a few hundred
 * kilobytes in one buffer instead of 4,000 transferred arrays of 94 MB in all. The worker writes
 * them into its copy (`ResidentCases`), whose slots have room to grow by a few hours of points.
 */
import type { HostSeries, ParsedCase } from '../datasets/case.js';

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

/**
 * Every host of a case in the one order the pool and its workers agree on (updates, series sent
 * back after a move): metric by metric, released then unreleased.
 */
export function hostsOf(c: ParsedCase): HostSeries[] {
  const out: HostSeries[] = [];
  for (const m of c.metrics) out.push(...m.released, ...m.unreleased);
  return out;
}

/** The hosts' series, in `hostsOf` order. */
export const seriesOf = (c: ParsedCase): Float64Array[] => hostsOf(c).map((h) => h.values);

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
  /**
   * Every series of the batch in one buffer, each in a slot with room to grow: one allocation
   * instead of thousands (copying a batch of 4,000 series, 94 MB, took 137–179 ms into separate
   * arrays and 111–129 ms into one store; most of the rest is the fresh memory's first touch).
   */
  store: Float64Array;
  offsets: Int32Array;
  capacities: Int32Array;
}

/** Room for this many more points (at least, or a twentieth of the series) when a batch is copied or a series outgrows its slot. */
const SLACK = 240;

const roomFor = (length: number): number => length + Math.max(SLACK, Math.ceil(length / 20));

/**
 * A store with a slot of `roomFor(lengths[i])` for each series, the first `kept[i]` points of
 * `source(i)` copied in.
 */
function allocate(lengths: ArrayLike<number>, kept: (i: number) => number, source: (i: number) => Float64Array): Pick<Resident, 'store' | 'offsets' | 'capacities'> {
  const n = lengths.length;
  const offsets = new Int32Array(n);
  const capacities = new Int32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = total;
    capacities[i] = roomFor(lengths[i]);
    total += capacities[i];
  }
  const store = new Float64Array(total);
  for (let i = 0; i < n; i++) {
    const k = kept(i);
    if (k > 0) store.set(source(i).subarray(0, k), offsets[i]);
  }
  return { store, offsets, capacities };
}

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
    const series = seriesOf(c);
    const lengths = Int32Array.from(series, (v) => v.length);
    // The shape keeps the names, not the series (the copies are in the store).
    const none = new Float64Array(0);
    const bare = (h: { host: string }) => ({ host: h.host, values: none });
    const shape: ParsedCase = { ...c, metrics: c.metrics.map((m) => ({ ...m, released: m.released.map(bare), unreleased: m.unreleased.map(bare) })) };
    const resident: Resident = { shape, ...allocate(lengths, (i) => lengths[i], (i) => series[i]) };
    this.cases.set(key, resident);
    this.bytes += resident.store.byteLength;
    const kept = this.view(resident, c, lengths);
    this.evict(key);
    return kept;
  }

  /** Applies `u` to the copy under `key` and returns the case; null when there is none (never kept, or dropped). */
  update(key: string, u: WindowUpdate): ParsedCase | null {
    const resident = this.cases.get(key);
    if (!resident || resident.offsets.length !== u.lengths.length) return null;
    this.cases.delete(key);
    this.cases.set(key, resident);
    const { lengths, from } = u;
    let outgrown = false;
    for (let i = 0; i < lengths.length; i++) if (lengths[i] > resident.capacities[i]) outgrown = true;
    if (outgrown) {
      // A window longer than the room kept (hours of points): every slot made larger at once.
      const old = resident;
      const grown = allocate(lengths, (i) => Math.min(from, old.capacities[i]), (i) => old.store.subarray(old.offsets[i], old.offsets[i] + old.capacities[i]));
      this.bytes += grown.store.byteLength - resident.store.byteLength;
      Object.assign(resident, grown);
    }
    const { store, offsets } = resident;
    let at = 0;
    for (let i = 0; i < lengths.length; i++) {
      const base = offsets[i];
      for (let t = from; t < lengths[i]; t++) store[base + t] = u.window[at++];
    }
    const { id, release, logs, label } = u;
    const c = this.view(resident, { ...resident.shape, id, release, logs, label }, lengths);
    this.evict(key);
    return c;
  }

  get size(): number {
    return this.cases.size;
  }

  private view(resident: Resident, c: ParsedCase, lengths: Int32Array): ParsedCase {
    let i = 0;
    const next = (h: { host: string }) => {
      const values = resident.store.subarray(resident.offsets[i], resident.offsets[i] + lengths[i]);
      i++;
      return { host: h.host, values };
    };
    const out: ParsedCase = { ...c, metrics: c.metrics.map((m) => ({ ...m, released: m.released.map(next), unreleased: m.unreleased.map(next) })) };
    if (out.label === undefined) delete out.label;
    return out;
  }

  private drop(key: string): void {
    const resident = this.cases.get(key);
    if (!resident) return;
    this.cases.delete(key);
    this.bytes -= resident.store.byteLength;
  }

  /** Drops the least recently used copies beyond the bounds, never `keep` (the one in use). */
  private evict(keep: string): void {
    for (const key of this.cases.keys()) {
      if (this.cases.size <= this.maxCases && this.bytes <= this.maxBytes) return;
      if (key !== keep) this.drop(key);
    }
  }
}
