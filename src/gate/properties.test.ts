import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ParsedCase } from '../datasets/case.js';
import { evaluate } from './evaluate.js';

const STEP = 60_000;
const START = Date.UTC(2026, 2, 2);
const categories = ['system', 'container', 'middleware', 'application', 'business'] as const;

/** Values a host reports: ordinary noise around a level, with runs of the awkward (NaN, 0, one value, huge). */
const hostValues = (length: number) =>
  fc
    .record({
      level: fc.oneof(fc.double({ min: 0.001, max: 1e6, noNaN: true }), fc.constantFrom(0, 1, 100)),
      noise: fc.oneof(fc.double({ min: 0, max: 0.5, noNaN: true }), fc.constant(0)),
      seed: fc.nat(1_000_000),
      holes: fc.array(fc.record({ at: fc.nat(length - 1), span: fc.integer({ min: 1, max: 40 }), fill: fc.constantFrom(NaN, 0, 1e12, -5) }), { maxLength: 3 }),
    })
    .map(({ level, noise, seed, holes }) => {
      let s = seed || 1;
      const random = () => ((s = (s * 48_271) % 2_147_483_647) / 2_147_483_647) - 0.5;
      const values = Float64Array.from({ length }, () => level * (1 + noise * random()));
      for (const h of holes) values.fill(h.fill, h.at, Math.min(length, h.at + h.span));
      return values;
    });

/** A small case: 1–3 metrics, 1–3 released and 0–4 unreleased hosts, 40–300 history points, a 1–12 point window. */
const smallCase: fc.Arbitrary<ParsedCase> = fc
  .record({ history: fc.integer({ min: 40, max: 300 }), window: fc.integer({ min: 1, max: 12 }), released: fc.integer({ min: 1, max: 3 }), unreleased: fc.integer({ min: 0, max: 4 }), metrics: fc.integer({ min: 1, max: 3 }) })
  .chain(({ history, window, released, unreleased, metrics }) => {
    const length = history + window;
    const metric = (m: number) =>
      fc.record({
        direction: fc.constantFrom('up' as const, 'down' as const, 'both' as const),
        released: fc.array(hostValues(length), { minLength: released, maxLength: released }),
        unreleased: fc.array(hostValues(length), { minLength: unreleased, maxLength: unreleased }),
        name: fc.constantFrom('m.rt', 'm.qps', 'm.count', 'm.util', 'm.p99'),
      }).map((x) => ({
        name: `${x.name}.${m}`.replace(/\.(\d)$/, '-$1'),
        category: categories[m % categories.length],
        direction: x.direction,
        critical: m === 0,
        released: x.released.map((values, h) => ({ host: `r${h}`, values })),
        unreleased: x.unreleased.map((values, h) => ({ host: `u${h}`, values })),
      }));
    return fc.tuple(...Array.from({ length: metrics }, (_, m) => metric(m))).map((ms) => ({
      id: 'prop',
      app: 'prop',
      release: { id: 'r', batch: 1, deployedAt: START + history * STEP },
      step: STEP,
      start: START,
      metrics: ms,
      logs: [],
    }));
  });

const scaled = (c: ParsedCase, by: number): ParsedCase => ({
  ...c,
  metrics: c.metrics.map((m) => ({
    ...m,
    released: m.released.map((h) => ({ host: h.host, values: h.values.map((v) => v * by) })),
    unreleased: m.unreleased.map((h) => ({ host: h.host, values: h.values.map((v) => v * by) })),
  })),
});

describe('evaluate(case): properties over arbitrary small cases', () => {
  it('never throws; every score is in 0–100; the verdict is plain JSON with a known decision', () => {
    fc.assert(
      fc.property(smallCase, (c) => {
        const v = evaluate(c);
        expect(['PASS', 'FAIL', 'INCONCLUSIVE']).toContain(v.decision);
        expect(v.score).toBeGreaterThanOrEqual(0);
        expect(v.score).toBeLessThanOrEqual(100);
        for (const m of v.metrics) {
          expect(m.score).toBeGreaterThanOrEqual(0);
          expect(m.score).toBeLessThanOrEqual(100);
        }
        expect(() => JSON.stringify(v)).not.toThrow();
      }),
      { numRuns: 120 },
    );
  });

  it('missing data never turns into a PASS: no released point in the window → not PASS', () => {
    fc.assert(
      fc.property(smallCase, (c) => {
        const cut = Math.ceil((c.release.deployedAt - c.start) / c.step);
        const blank: ParsedCase = { ...c, metrics: c.metrics.map((m) => ({ ...m, released: m.released.map((h) => ({ host: h.host, values: h.values.map((v, i) => (i >= cut ? NaN : v)) })) })) };
        expect(evaluate(blank).decision).not.toBe('PASS');
      }),
      { numRuns: 60 },
    );
  });

  it('rescaling every value (×8, exact in floating point) leaves the decision and the scores unchanged', () => {
    fc.assert(
      fc.property(smallCase, (c) => {
        const a = evaluate(c);
        const b = evaluate(scaled(c, 8));
        expect(b.decision).toBe(a.decision);
        expect(b.score).toBeCloseTo(a.score, 6);
        expect(b.metrics.map((m) => m.score)).toEqual(a.metrics.map((m) => expect.closeTo(m.score, 6)));
      }),
      { numRuns: 80 },
    );
  });
});
