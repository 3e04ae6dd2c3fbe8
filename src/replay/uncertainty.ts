/**
 * How sure a replay's figures are. A test split of 176 cases measures F1 to about ±0.02, and a
 * fault kind's recall on 5 cases to ±0.4: a difference smaller than that is noise, not progress.
 *
 * - Proportions (recall, false-positive rate, each kind's rate): exact Clopper–Pearson intervals,
 *   as R's `binom.test(x, n)$conf.int`. They stay honest at 0 and n, where a bootstrap collapses
 *   to a point (0 false positives in 108 good cases is still up to 3.4 % at 95 %).
 * - F1 and precision (ratios of counts): percentile bootstrap, resampling bad and good cases
 *   separately so that every resample keeps the dataset's mix (precision depends on it).
 * - Two configurations on the same cases: McNemar's exact test on the cases exactly one of them
 *   judged right (`binom.test(b, b + c)`), and a paired bootstrap interval of the F1 difference.
 * - One configuration on two case sets (a test split and cases never seen): independent
 *   bootstrap interval of the F1 difference.
 *
 * Seeded: the same outcomes and options give the same intervals on every machine.
 */
import { z } from 'zod';
import { binomialInterval, binomialTest } from '../core/binomial.js';
import { parseConfig } from '../core/config.js';
import { createRandom, type Random } from '../core/random.js';
import { quantileSorted } from '../core/stats.js';
import { accuracy, flaggedByDefault, ratio, type CaseOutcome } from './metrics.js';

export const uncertaintyOptionsSchema = z.object({
  /** Bootstrap resamples; the interval's ends move by about 1/√resamples of its width between seeds. */
  resamples: z.number().int().min(100).max(100_000).default(2000),
  /** Confidence level of every interval. */
  level: z.number().gt(0.5).lt(1).default(0.95),
  /** Seed of the resampling. */
  seed: z.number().int().default(1),
});
export type UncertaintyOptions = z.output<typeof uncertaintyOptionsSchema>;

/** A figure with its interval, all in the figure's own unit (a fraction in [0, 1], or a difference of two). */
export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export interface AccuracyIntervals {
  level: number;
  resamples: number;
  f1: Interval;
  precision: Interval;
  recall: Interval;
  falsePositiveRate: Interval;
  /** Recall of each fault kind, pass rate of each healthy kind (as `accuracy().byKind`). */
  byKind: Record<string, Interval>;
}

export interface Comparison {
  level: number;
  resamples: number;
  /** Labeled cases both configurations judged. */
  cases: number;
  /** Cases the first configuration judged right and the second wrong, and the other way round. */
  onlyFirstRight: number;
  onlySecondRight: number;
  /** McNemar's exact two-sided p-value: how likely so uneven a split is if neither is better. */
  pValue: number;
  /** F1 of the first minus F1 of the second, paired bootstrap interval. */
  f1Difference: Interval;
}

type Flagged = (o: CaseOutcome) => boolean;

const f1Of = (tp: number, fp: number, fn: number): number => ratio(2 * tp, 2 * tp + fp + fn);
const precisionOf = (tp: number, fp: number): number => ratio(tp, tp + fp);

/** Labeled outcomes as two arrays of flags: bad cases, good cases. */
function flagsByLabel(outcomes: readonly CaseOutcome[], flagged: Flagged): { bad: Uint8Array; good: Uint8Array } {
  const bad: number[] = [];
  const good: number[] = [];
  for (const o of outcomes) {
    if (o.bad === undefined) continue;
    (o.bad ? bad : good).push(flagged(o) ? 1 : 0);
  }
  return { bad: Uint8Array.from(bad), good: Uint8Array.from(good) };
}

/** How many of `n` draws with replacement from `flags` are set. */
function resampledCount(flags: Uint8Array, random: Random): number {
  let count = 0;
  for (let i = 0; i < flags.length; i++) count += flags[Math.floor(random.next() * flags.length)];
  return count;
}

const sum = (flags: Uint8Array): number => flags.reduce((a, b) => a + b, 0);

function percentile(estimate: number, values: Float64Array, level: number): Interval {
  values.sort();
  const tail = (1 - level) / 2;
  return { estimate, low: quantileSorted(values, tail), high: quantileSorted(values, 1 - tail) };
}

function exact(x: number, n: number, level: number): Interval {
  const [low, high] = binomialInterval(x, n, level);
  return { estimate: ratio(x, n), low, high };
}

/**
 * Intervals of a replay's figures (see the module comment). `flagged` as in `accuracy`.
 * O(resamples × labeled cases).
 */
export function accuracyIntervals(outcomes: readonly CaseOutcome[], input: Partial<UncertaintyOptions> = {}, flagged: Flagged = flaggedByDefault): AccuracyIntervals {
  const options = parseConfig(uncertaintyOptionsSchema, input, 'uncertainty options');
  const { bad, good } = flagsByLabel(outcomes, flagged);
  const tp = sum(bad);
  const fp = sum(good);
  const random = createRandom(options.seed);
  const f1 = new Float64Array(options.resamples);
  const precision = new Float64Array(options.resamples);
  for (let r = 0; r < options.resamples; r++) {
    const t = resampledCount(bad, random);
    const f = resampledCount(good, random);
    f1[r] = f1Of(t, f, bad.length - t);
    precision[r] = precisionOf(t, f);
  }
  return {
    level: options.level,
    resamples: options.resamples,
    f1: percentile(f1Of(tp, fp, bad.length - tp), f1, options.level),
    precision: percentile(precisionOf(tp, fp), precision, options.level),
    recall: exact(tp, bad.length, options.level),
    falsePositiveRate: exact(fp, good.length, options.level),
    // Each kind's rate as `accuracy` gives it: recall of a fault kind, pass rate of a healthy one.
    byKind: Object.fromEntries(Object.entries(accuracy(outcomes, flagged).byKind).map(([kind, k]) => [kind, exact(k.bad ? k.flagged : k.cases - k.flagged, k.cases, options.level)])),
  };
}

/**
 * Two configurations replayed on the same cases (matched by id; labeled cases judged by both):
 * McNemar's exact test and a paired bootstrap interval of F1(first) − F1(second). Throws when the
 * two replays share no labeled case. O(resamples × cases).
 */
export function compareOutcomes(first: readonly CaseOutcome[], second: readonly CaseOutcome[], input: Partial<UncertaintyOptions> = {}, flagged: Flagged = flaggedByDefault): Comparison {
  const options = parseConfig(uncertaintyOptionsSchema, input, 'uncertainty options');
  const other = new Map(second.map((o) => [o.id, o]));
  // Per label, each case's pair of flags: bit 0 the first configuration's, bit 1 the second's.
  const pairs: { bad: number[]; good: number[] } = { bad: [], good: [] };
  let onlyFirstRight = 0;
  let onlySecondRight = 0;
  for (const a of first) {
    const b = other.get(a.id);
    if (a.bad === undefined || !b) continue;
    const fa = flagged(a);
    const fb = flagged(b);
    if (fa === a.bad && fb !== a.bad) onlyFirstRight++;
    if (fb === a.bad && fa !== a.bad) onlySecondRight++;
    (a.bad ? pairs.bad : pairs.good).push((fa ? 1 : 0) | (fb ? 2 : 0));
  }
  const cases = pairs.bad.length + pairs.good.length;
  if (cases === 0) throw new Error('compareOutcomes: the two replays share no labeled case');
  const f1Pair = (bad: ArrayLike<number>, good: ArrayLike<number>, pick: (i: number, n: number) => number): number => {
    let tpA = 0, tpB = 0, fpA = 0, fpB = 0;
    for (let i = 0; i < bad.length; i++) {
      const p = bad[pick(i, bad.length)];
      tpA += p & 1;
      tpB += p >> 1;
    }
    for (let i = 0; i < good.length; i++) {
      const p = good[pick(i, good.length)];
      fpA += p & 1;
      fpB += p >> 1;
    }
    return f1Of(tpA, fpA, bad.length - tpA) - f1Of(tpB, fpB, bad.length - tpB);
  };
  const random = createRandom(options.seed);
  const differences = new Float64Array(options.resamples);
  for (let r = 0; r < options.resamples; r++) differences[r] = f1Pair(pairs.bad, pairs.good, (_, n) => Math.floor(random.next() * n));
  return {
    level: options.level,
    resamples: options.resamples,
    cases,
    onlyFirstRight,
    onlySecondRight,
    pValue: binomialTest(onlyFirstRight, onlyFirstRight + onlySecondRight, 0.5),
    f1Difference: percentile(f1Pair(pairs.bad, pairs.good, (i) => i), differences, options.level),
  };
}

/**
 * F1 on `first` minus F1 on `second` — one configuration on two independent case sets (a test
 * split and cases never seen) — with its bootstrap interval. O(resamples × cases).
 */
export function f1Gap(first: readonly CaseOutcome[], second: readonly CaseOutcome[], input: Partial<UncertaintyOptions> = {}, flagged: Flagged = flaggedByDefault): Interval {
  const options = parseConfig(uncertaintyOptionsSchema, input, 'uncertainty options');
  const a = flagsByLabel(first, flagged);
  const b = flagsByLabel(second, flagged);
  const f1 = (set: { bad: Uint8Array; good: Uint8Array }, count: (flags: Uint8Array) => number): number => {
    const tp = count(set.bad);
    return f1Of(tp, count(set.good), set.bad.length - tp);
  };
  const random = createRandom(options.seed);
  const draw = (flags: Uint8Array) => resampledCount(flags, random);
  const gaps = new Float64Array(options.resamples);
  for (let r = 0; r < options.resamples; r++) gaps[r] = f1(a, draw) - f1(b, draw);
  return percentile(f1(a, sum) - f1(b, sum), gaps, options.level);
}

/** One sentence on two configurations' difference (see `compareOutcomes`), for reports. */
export function describeComparison(first: string, second: string, c: Comparison): string {
  const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;
  return `${first} vs ${second}: F1 difference ${signed(c.f1Difference.estimate)} (${Math.round(c.level * 100)} %: ${signed(c.f1Difference.low)} to ${signed(c.f1Difference.high)}); of ${c.cases} cases, ${c.onlyFirstRight} judged right by ${first} only and ${c.onlySecondRight} by ${second} only (McNemar exact p = ${c.pValue.toPrecision(3)})`;
}
