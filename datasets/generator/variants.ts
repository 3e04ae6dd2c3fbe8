/**
 * Variants of generated cases for measuring the gate on situations the generator does not draw
 * itself: released hosts new with the release (the pods of a rolling update, hosts added with it).
 */
import type { ParsedCase } from '../../src/datasets/case.js';

/**
 * `c` with no value before the release for the released hosts `which` picks by their index in each
 * metric (all by default): hosts that did not exist before it. Copies only those hosts' series.
 */
export function withoutReleasedHistory(c: ParsedCase, which: (index: number) => boolean = () => true): ParsedCase {
  const cut = Math.ceil((c.release.deployedAt - c.start) / c.step);
  return {
    ...c,
    metrics: c.metrics.map((m) => ({ ...m, released: m.released.map((h, j) => (which(j) ? { host: h.host, values: Float64Array.from(h.values, (v, i) => (i < cut ? NaN : v)) } : h)) })),
  };
}
