/**
 * Accuracy of a replay: the confusion matrix and the seed's table. INCONCLUSIVE stops a release
 * for a person, so it counts as flagged (a true positive on a bad case, a false positive on a good
 * one) and is also counted on its own.
 */
export interface CaseOutcome {
  id: string;
  /** Label: whether the change was bad; cases without a label are not counted. */
  bad: boolean | undefined;
  kind?: string;
  /** Metric categories the label names (for recall per category). */
  categories: string[];
  decision: 'PASS' | 'FAIL' | 'INCONCLUSIVE';
  score: number;
  /** INCONCLUSIVE for a data reason (not a borderline score): stays flagged whatever the threshold. */
  forced: boolean;
  split?: 'train' | 'test';
  reasons: string[];
}

export interface Accuracy {
  cases: number;
  unlabeled: number;
  truePositives: number;
  falsePositives: number;
  trueNegatives: number;
  falseNegatives: number;
  inconclusive: number;
  precision: number;
  recall: number;
  f1: number;
  falsePositiveRate: number;
  /** Recall per fault kind (bad cases) and pass rate per confounder kind (good cases). */
  byKind: Record<string, { cases: number; bad: boolean; flagged: number; rate: number }>;
  /** Recall per metric category named by bad labels. */
  byCategory: Record<string, { cases: number; flagged: number; recall: number }>;
}

/** a / b, 0 when b is 0 (a rate over no cases). */
export const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** What counts as flagged unless said otherwise: anything but PASS (INCONCLUSIVE stops a release). */
export const flaggedByDefault = (o: CaseOutcome): boolean => o.decision !== 'PASS';

/** Scores outcomes; `flagged` decides what counts as flagged (default: anything but PASS). */
export function accuracy(outcomes: readonly CaseOutcome[], flagged: (o: CaseOutcome) => boolean = flaggedByDefault): Accuracy {
  let tp = 0, fp = 0, tn = 0, fn = 0, inconclusive = 0, unlabeled = 0;
  const byKind: Accuracy['byKind'] = {};
  const byCategory: Accuracy['byCategory'] = {};
  for (const o of outcomes) {
    if (o.decision === 'INCONCLUSIVE') inconclusive++;
    if (o.bad === undefined) {
      unlabeled++;
      continue;
    }
    const f = flagged(o);
    if (o.bad) f ? tp++ : fn++;
    else f ? fp++ : tn++;
    const kind = o.kind ?? (o.bad ? 'bad' : 'good');
    const k = (byKind[kind] ??= { cases: 0, bad: o.bad, flagged: 0, rate: 0 });
    k.cases++;
    if (f) k.flagged++;
    if (o.bad) {
      for (const c of new Set(o.categories)) {
        const entry = (byCategory[c] ??= { cases: 0, flagged: 0, recall: 0 });
        entry.cases++;
        if (f) entry.flagged++;
      }
    }
  }
  for (const k of Object.values(byKind)) k.rate = ratio(k.bad ? k.flagged : k.cases - k.flagged, k.cases);
  for (const c of Object.values(byCategory)) c.recall = ratio(c.flagged, c.cases);
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    cases: outcomes.length,
    unlabeled,
    truePositives: tp,
    falsePositives: fp,
    trueNegatives: tn,
    falseNegatives: fn,
    inconclusive,
    precision,
    recall,
    f1: ratio(2 * precision * recall, precision + recall),
    falsePositiveRate: ratio(fp, fp + tn),
    byKind,
    byCategory,
  };
}

/**
 * The FAIL threshold that maximises F1 on `outcomes` with a false-positive rate at most `maxFpr`
 * (ties: the higher threshold). A case is flagged when forced or its score reaches the threshold.
 */
export function tuneThreshold(outcomes: readonly CaseOutcome[], maxFpr: number): { threshold: number; accuracy: Accuracy } {
  const candidates = [...new Set(outcomes.map((o) => o.score))].filter((s) => s > 0).sort((a, b) => b - a);
  let best: { threshold: number; accuracy: Accuracy } | null = null;
  for (const threshold of [100.0001, ...candidates]) {
    const a = accuracy(outcomes, (o) => o.forced || o.score >= threshold);
    if (a.falsePositiveRate > maxFpr) continue;
    if (!best || a.f1 > best.accuracy.f1) best = { threshold, accuracy: a };
  }
  return best ?? { threshold: 100.0001, accuracy: accuracy(outcomes, (o) => o.forced) };
}
