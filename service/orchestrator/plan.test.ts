import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ParsedOrder } from './order.js';
import { batchCount, planBatches } from './plan.js';

const hostsArb = fc.uniqueArray(
  fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), datacenter: fc.constantFrom('et2', 'na61', 'su18', 'zb'), group: fc.option(fc.constantFrom('g1', 'g2', 'g3'), { nil: undefined }) }),
  { minLength: 1, maxLength: 120, selector: (h) => h.name },
);
const batchingArb: fc.Arbitrary<ParsedOrder['batching']> = fc.oneof(
  fc.record({ by: fc.constant('datacenter' as const), batches: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ by: fc.constant('group' as const), batches: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ by: fc.constant('count' as const), size: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ by: fc.constant('percentage' as const), percent: fc.double({ min: 0.5, max: 100, noNaN: true }) }),
);

describe('planBatches(hosts, batching)', () => {
  it('puts every host in exactly one batch, with batch sizes differing by at most one', () => {
    fc.assert(fc.property(hostsArb, batchingArb, (hosts, batching) => {
      const plan = planBatches(hosts, batching);
      const all = plan.flat();
      expect(all.length).toBe(hosts.length);
      expect(new Set(all)).toEqual(new Set(hosts.map((h) => h.name)));
      const sizes = plan.map((b) => b.length);
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      expect(plan.length).toBe(batchCount(batching, hosts.length));
    }));
  });

  it('is deterministic and ignores the order hosts are listed in', () => {
    fc.assert(fc.property(hostsArb, batchingArb, (hosts, batching) => {
      expect(planBatches([...hosts].reverse(), batching)).toEqual(planBatches(hosts, batching));
    }));
  });

  it('spreads each datacenter (group) evenly: its share of any two batches differs by at most one', () => {
    fc.assert(fc.property(hostsArb, fc.integer({ min: 1, max: 12 }), fc.constantFrom('datacenter' as const, 'group' as const), (hosts, batches, by) => {
      const plan = planBatches(hosts, { by, batches });
      const keyOf = new Map(hosts.map((h) => [h.name, by === 'group' ? (h.group ?? '') : h.datacenter]));
      for (const key of new Set(keyOf.values())) {
        const counts = plan.map((b) => b.filter((h) => keyOf.get(h) === key).length);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }
    }));
  });

  it('keeps count and percentage batches within their size', () => {
    fc.assert(fc.property(hostsArb, fc.integer({ min: 1, max: 50 }), (hosts, size) => {
      expect(Math.max(...planBatches(hosts, { by: 'count', size }).map((b) => b.length))).toBeLessThanOrEqual(size);
    }));
    fc.assert(fc.property(hostsArb, fc.double({ min: 0.5, max: 100, noNaN: true }), (hosts, percent) => {
      const limit = Math.max(1, Math.ceil((hosts.length * percent) / 100));
      expect(Math.max(...planBatches(hosts, { by: 'percentage', percent }).map((b) => b.length))).toBeLessThanOrEqual(limit);
    }));
  });

  it('plans 2 datacenters × 2 hosts into 2 batches with one host of each', () => {
    const hosts = [{ name: 'a1', datacenter: 'a' }, { name: 'a2', datacenter: 'a' }, { name: 'b1', datacenter: 'b' }, { name: 'b2', datacenter: 'b' }];
    expect(planBatches(hosts, { by: 'datacenter', batches: 2 })).toEqual([['a1', 'b1'], ['a2', 'b2']]);
    expect(planBatches(hosts, { by: 'count', size: 3 })).toEqual([['a1', 'b1'], ['a2', 'b2']]);
    expect(planBatches(hosts, { by: 'percentage', percent: 25 })).toEqual([['a1'], ['a2'], ['b1'], ['b2']]);
    expect(planBatches(hosts, { by: 'datacenter', batches: 9 })).toHaveLength(4);
  });
});
