import { describe, expect, it } from 'vitest';
import { accuracy, tuneThreshold, type CaseOutcome } from './metrics.js';

const outcome = (id: string, bad: boolean | undefined, decision: CaseOutcome['decision'], score: number, forced = false): CaseOutcome => ({
  id, bad, decision, score, forced, categories: bad ? ['system'] : [], reasons: [],
});

describe('accuracy(outcomes)', () => {
  it('counts INCONCLUSIVE as flagged (TP on a bad case, FP on a good one) and on its own; unlabeled cases apart', () => {
    const a = accuracy([
      outcome('a', true, 'FAIL', 90), outcome('b', true, 'INCONCLUSIVE', 10, true), outcome('c', true, 'PASS', 5),
      outcome('d', false, 'INCONCLUSIVE', 0, true), outcome('e', false, 'PASS', 1), outcome('f', undefined, 'FAIL', 80),
    ]);
    expect(a).toMatchObject({ cases: 6, unlabeled: 1, truePositives: 2, falseNegatives: 1, falsePositives: 1, trueNegatives: 1, inconclusive: 2 });
    expect(a.precision).toBeCloseTo(2 / 3, 12);
    expect(a.recall).toBeCloseTo(2 / 3, 12);
    expect(a.f1).toBeCloseTo(2 / 3, 12);
    expect(a.falsePositiveRate).toBe(0.5);
    expect(a.byCategory.system).toEqual({ cases: 3, flagged: 2, recall: 2 / 3 });
  });
});

describe('tuneThreshold(outcomes, maxFpr)', () => {
  const outcomes = [
    outcome('b1', true, 'FAIL', 90), outcome('b2', true, 'FAIL', 60), outcome('b3', true, 'PASS', 30),
    outcome('g1', false, 'FAIL', 70), outcome('g2', false, 'PASS', 20), outcome('g3', false, 'PASS', 10), outcome('g4', false, 'INCONCLUSIVE', 0, true),
  ];

  it('maximises F1 among thresholds whose false-positive rate stays within the bound', () => {
    // Loose bound: 30 flags every bad case (and g1, g4): F1 = 2·(3/5)·1/(3/5 + 1) = 0.75, the best.
    expect(tuneThreshold(outcomes, 1)).toMatchObject({ threshold: 30, accuracy: { truePositives: 3, falsePositives: 2 } });
    // At most one false positive in four (the forced g4 is one): g1's 70 may not be flagged.
    const strict = tuneThreshold(outcomes, 0.25);
    expect(strict.threshold).toBe(90);
    expect(strict.accuracy).toMatchObject({ truePositives: 1, falsePositives: 1, falsePositiveRate: 0.25 });
  });

  it('falls back to the forced cases alone when no threshold meets the bound', () => {
    expect(tuneThreshold(outcomes, 0)).toMatchObject({ threshold: 100.0001, accuracy: { truePositives: 0, falsePositives: 1 } });
  });
});
