/**
 * A map that forgets its least recently used entries once they hold more than `maxBytes` (each
 * entry's size as the caller counts it) or number more than `capacity`. The entry set last always
 * stays, even alone over the budget: its caller is about to use it. Reads and writes are O(1)
 * (a Map keeps insertion order; a read moves the entry to the end).
 */
export class LruCache<V> {
  // Each entry keeps its own key: a read moves the entry to the end under that string, not the
  // caller's (a gate key is a new string of a few kilobytes at every evaluation; stored on each
  // read, every one of them lived long enough to be copied out of the young generation).
  private readonly entries = new Map<string, { key: string; value: V; bytes: number }>();
  private held = 0;

  constructor(
    readonly maxBytes: number,
    readonly capacity = Number.POSITIVE_INFINITY,
  ) {}

  /** The value under `key` (now the most recently used), or undefined. */
  get(key: string): V | undefined {
    const found = this.entries.get(key);
    if (!found) return undefined;
    this.entries.delete(key);
    this.entries.set(found.key, found);
    return found.value;
  }

  /** Stores `value` as `bytes` big (replacing any value under `key`), then evicts down to the budget. */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    this.entries.set(key, { key, value, bytes });
    this.held += bytes;
    while (this.entries.size > 1 && (this.entries.size > this.capacity || this.held > this.maxBytes)) {
      const [oldest, entry] = this.entries.entries().next().value as [string, { bytes: number }];
      this.entries.delete(oldest);
      this.held -= entry.bytes;
    }
  }

  delete(key: string): void {
    const found = this.entries.get(key);
    if (!found) return;
    this.entries.delete(key);
    this.held -= found.bytes;
  }

  /** Entries held. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes held, as the entries were counted. */
  get bytes(): number {
    return this.held;
  }
}
