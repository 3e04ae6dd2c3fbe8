import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { binomialTest } from '../core/binomial.js';
import { accuracy, type CaseOutcome } from './metrics.js';
import { accuracyIntervals, compareOutcomes, f1Gap } from './uncertainty.js';

/** `bad` bad cases of which `caught` flagged, `good` good cases of which `alarms` flagged; ids from `prefix`. */
function outcomes(bad: number, caught: number, good: number, alarms: number, prefix = 'c'): CaseOutcome[] {
  const out: CaseOutcome[] = [];
  for (let i = 0; i < bad; i++) out.push({ id: `${prefix}${out.length}`, bad: true, kind: 'shift', categories: [], decision: i < caught ? 'FAIL' : 'PASS', score: 0, forced: false, reasons: [] });
  for (let i = 0; i < good; i++) out.push({ id: `${prefix}${out.length}`, bad: false, kind: 'normal', categories: [], decision: i < alarms ? 'FAIL' : 'PASS', score: 0, forced: false, reasons: [] });
  return out;
}

describe('accuracyIntervals(outcomes, options)', () => {
  it('gives the replay\'s own figures as estimates, with exact intervals for the rates', () => {
    const o = outcomes(68, 67, 108, 0);
    const a = accuracy(o);
    const i = accuracyIntervals(o);
    expect(i.f1.estimate).toBeCloseTo(a.f1, 12);
    expect(i.precision.estimate).toBe(a.precision);
    expect(i.recall.estimate).toBe(a.recall);
    // R: binom.test(67, 68)$conf.int and binom.test(0, 108)$conf.int.
    expect(i.recall.low).toBeCloseTo(0.920766, 5);
    expect(i.recall.high).toBeCloseTo(0.999628, 5);
    expect(i.falsePositiveRate.low).toBe(0);
    expect(i.falsePositiveRate.high).toBeCloseTo(0.0335796, 6);
    expect(i.byKind.shift.estimate).toBe(a.byKind.shift.rate);
    expect(i.byKind.normal).toEqual({ estimate: 1, low: i.byKind.normal.low, high: 1 });
    expect(i.f1.low).toBeLessThan(i.f1.estimate);
    expect(i.f1.high).toBe(1);
  });

  it('matches the normal approximation where it holds: 360 of 400 caught, 20 of 600 alarms', () => {
    // F1 = 720 / (720 + 20 + 40) ≈ 0.923; its bootstrap interval should be about ±1.96 sd, where
    // the delta method gives sd ≈ 0.0106 for these counts.
    const i = accuracyIntervals(outcomes(400, 360, 600, 20), { resamples: 4000 });
    expect(i.f1.estimate).toBeCloseTo(720 / 780, 12);
    const halfWidth = (i.f1.high - i.f1.low) / 2;
    expect(halfWidth).toBeGreaterThan(0.017);
    expect(halfWidth).toBeLessThan(0.025);
    expect(i.f1.low).toBeLessThan(i.f1.estimate);
    expect(i.f1.high).toBeGreaterThan(i.f1.estimate);
  });

  it('narrows as the cases grow: four times the cases, about half the width', () => {
    const small = accuracyIntervals(outcomes(50, 45, 100, 4));
    const large = accuracyIntervals(outcomes(200, 180, 400, 16));
    const ratio = (large.f1.high - large.f1.low) / (small.f1.high - small.f1.low);
    expect(ratio).toBeGreaterThan(0.35);
    expect(ratio).toBeLessThan(0.65);
  });

  it('is reproducible for a seed, and the seed moves the bootstrap ends only a little', () => {
    const o = outcomes(100, 90, 150, 6);
    expect(accuracyIntervals(o, { seed: 7 })).toEqual(accuracyIntervals(o, { seed: 7 }));
    const a = accuracyIntervals(o, { seed: 7 }).f1;
    const b = accuracyIntervals(o, { seed: 8 }).f1;
    expect(Math.abs(a.low - b.low)).toBeLessThan(0.02);
    expect(Math.abs(a.high - b.high)).toBeLessThan(0.02);
  });

  it('keeps every end in [0, 1] and around the estimate, whatever the counts (property)', () => {
    fc.assert(
      fc.property(fc.nat(60), fc.nat(60), fc.nat(60), fc.nat(60), (bad, caught, good, alarms) => {
        const i = accuracyIntervals(outcomes(bad, Math.min(caught, bad), good, Math.min(alarms, good)), { resamples: 200 });
        for (const x of [i.f1, i.precision, i.recall, i.falsePositiveRate]) {
          expect(x.low).toBeGreaterThanOrEqual(0);
          expect(x.high).toBeLessThanOrEqual(1);
          expect(x.low).toBeLessThanOrEqual(x.high);
        }
        expect(i.recall.low).toBeLessThanOrEqual(i.recall.estimate);
        expect(i.recall.high).toBeGreaterThanOrEqual(i.recall.estimate);
      }),
      { numRuns: 60 },
    );
  });

  it('names the field of a bad option', () => {
    expect(() => accuracyIntervals(outcomes(5, 4, 5, 0), { level: 1.5 })).toThrow(/level/);
    expect(() => accuracyIntervals(outcomes(5, 4, 5, 0), { resamples: 10 })).toThrow(/resamples/);
  });
});

describe('compareOutcomes(first, second, options)', () => {
  it('McNemar\'s exact test on the cases exactly one configuration got right', () => {
    const a = outcomes(40, 38, 60, 2);
    // b misses 6 more bad cases and raises one alarm fewer: a right alone on 6, b right alone on 1.
    const b = a.map((o, i) => ({ ...o, decision: (i >= 32 && i < 38) || i === 40 ? ('PASS' as const) : o.decision }));
    const c = compareOutcomes(a, b);
    expect(c.cases).toBe(100);
    expect(c.onlyFirstRight).toBe(6);
    expect(c.onlySecondRight).toBe(1);
    // binom.test(6, 7)$p.value = 2 · (1 + 7) / 128.
    expect(c.pValue).toBeCloseTo(16 / 128, 12);
    expect(c.pValue).toBe(binomialTest(6, 7, 0.5));
    expect(c.f1Difference.estimate).toBeCloseTo(accuracy(a).f1 - accuracy(b).f1, 12);
    expect(c.f1Difference.low).toBeLessThan(c.f1Difference.estimate);
    expect(c.f1Difference.high).toBeGreaterThan(0);
  });

  it('a configuration against itself: no difference at all, p = 1', () => {
    const a = outcomes(30, 25, 40, 3);
    const c = compareOutcomes(a, a);
    expect(c).toMatchObject({ onlyFirstRight: 0, onlySecondRight: 0, pValue: 1, f1Difference: { estimate: 0, low: 0, high: 0 } });
  });

  it('pairs by id, so the order of the second replay does not matter', () => {
    const a = outcomes(30, 25, 40, 3);
    const b = a.map((o, i) => ({ ...o, decision: i % 7 === 0 ? ('FAIL' as const) : o.decision }));
    expect(compareOutcomes(a, [...b].reverse())).toEqual(compareOutcomes(a, b));
  });

  it('refuses two replays with no labeled case in common', () => {
    expect(() => compareOutcomes(outcomes(3, 3, 3, 0, 'a'), outcomes(3, 3, 3, 0, 'b'))).toThrow(/no labeled case/);
  });
});

describe('f1Gap(first, second, options)', () => {
  it('the gap between two independent sets, with an interval wider than either set\'s own', () => {
    const test = outcomes(68, 67, 108, 0);
    const unseen = outcomes(105, 95, 195, 5, 'u');
    const gap = f1Gap(test, unseen);
    expect(gap.estimate).toBeCloseTo(accuracy(test).f1 - accuracy(unseen).f1, 12);
    const own = accuracyIntervals(unseen).f1;
    expect(gap.high - gap.low).toBeGreaterThan(own.high - own.low);
    expect(gap.low).toBeLessThan(gap.estimate);
    expect(gap.high).toBeGreaterThan(gap.estimate);
  });
});
