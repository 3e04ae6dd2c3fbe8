import { describe, expect, it } from 'vitest';
import { serialQueue } from './serial.js';

describe('serialQueue', () => {
  it('runs work one at a time in order, a failure not stopping what follows', async () => {
    const serially = serialQueue();
    const log: string[] = [];
    const step = (name: string, ms: number, fail = false) => serially(async () => {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    });
    const results = await Promise.allSettled([step('a', 20), step('b', 1, true), step('c', 5)]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['a', 'b', 'c']);
  });
});
