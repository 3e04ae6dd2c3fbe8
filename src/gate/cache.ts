/**
 * The gate's cache of fitted models: a batch is judged every minute of its observation window,
 * and its history does not change between those evaluations, so each detector's `prepare` runs
 * once per (metric, group, history window, detector, config). Least recently used entries go
 * first once `capacity` is reached.
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
