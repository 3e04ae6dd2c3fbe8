/**
 * The gate's cache of fitted models: a batch is judged every minute of its observation window,
 * and its history does not change between those evaluations, so each detector's `prepare` runs
 * once per (metric, group, history window, detector, config), and the gate's own history work
 * (hosts' levels, the groups' aggregates before the release, per-host means and noise) once per
 * (metric, hosts, history window, aggregation). A repeated evaluation then reads only the new
 * window. Keys name the history window, not its values: points arriving late for minutes before
 * the release are not seen until the window moves. Least recently used entries go first once
 * `capacity` (entries, about five per metric) is reached.
 */
export class GateCache {
  private readonly entries = new Map<string, unknown>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity = 10_000) {}

  get<T>(key: string, make: () => T): T {
    if (this.entries.has(key)) {
      const value = this.entries.get(key) as T;
      this.entries.delete(key);
      this.entries.set(key, value);
      this.hits++;
      return value;
    }
    this.misses++;
    const value = make();
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}
