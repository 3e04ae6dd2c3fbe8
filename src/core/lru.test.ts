import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LruCache } from './lru.js';

describe('LruCache', () => {
  it('evicts the least recently used first, a read counting as a use', () => {
    const lru = new LruCache<string>(30);
    lru.set('a', 'A', 10);
    lru.set('b', 'B', 10);
    lru.set('c', 'C', 10);
    expect(lru.get('a')).toBe('A');
    lru.set('d', 'D', 10); // over 30: b is the oldest unused
    expect(lru.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((k) => lru.get(k))).toEqual(['A', 'C', 'D']);
    expect(lru.bytes).toBe(30);
  });

  it('keeps the entry set last even alone over the budget; replacing or deleting gives its bytes back', () => {
    const lru = new LruCache<number>(10, 2);
    lru.set('big', 1, 50);
    expect(lru.get('big')).toBe(1);
    lru.set('x', 2, 1);
    expect(lru.get('big')).toBeUndefined();
    lru.set('x', 3, 4);
    expect([lru.size, lru.bytes, lru.get('x')]).toEqual([1, 4, 3]);
    lru.set('y', 4, 1);
    lru.set('z', 5, 1); // capacity 2
    expect([lru.get('x'), lru.size]).toEqual([undefined, 2]);
    lru.delete('y');
    lru.delete('nothing');
    expect([lru.size, lru.bytes]).toEqual([1, 1]);
  });

  it('property: bytes held is the sum of the entries kept, within budget unless one entry alone', () => {
    const op = fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e'), bytes: fc.integer({ min: 0, max: 40 }), read: fc.boolean() });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const lru = new LruCache<number>(50, 4);
        const kept = new Map<string, number>();
        for (const o of ops) {
          if (o.read) lru.get(o.key);
          else lru.set(o.key, o.bytes, o.bytes);
          kept.clear();
          for (const k of ['a', 'b', 'c', 'd', 'e']) {
            const v = (lru as unknown as { entries: Map<string, { bytes: number }> }).entries.get(k);
            if (v) kept.set(k, v.bytes);
          }
          const sum = [...kept.values()].reduce((s, b) => s + b, 0);
          expect(lru.bytes).toBe(sum);
          expect(lru.size <= 4).toBe(true);
          if (lru.size > 1) expect(sum).toBeLessThanOrEqual(50);
        }
      }),
    );
  });
});
