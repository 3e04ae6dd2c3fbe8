import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NAB_PROFILES,
  OUTSIDE,
  PROBATION,
  corpusBounds,
  normalizeScore,
  optimizeThreshold,
  probationaryLength,
  scaledSigmoid,
  scoreCorpus,
  scoreFileAtThreshold,
  scoresByThreshold,
  sweepFile,
  windowRows,
} from './scorer.js';

const unit = { tpWeight: 1, fpWeight: 1, fnWeight: 1 };
const standard = NAB_PROFILES.standard;
const range = (n: number) => Float64Array.from({ length: n }, (_, i) => i);
const maxTP = Math.tanh(2.5);

describe('scaledSigmoid(position)', () => {
  it('is 2·sigmoid(−5x) − 1 at the reference points of NAB', () => {
    // 2·sigmoid(5y) − 1 = tanh(2.5y): the window's left edge, middle, right edge and one width past.
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661429815143, 14);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828363995751, 14);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661429815143, 14);
  });
  it('is −1 strictly beyond 3 and continuous up to 3', () => {
    expect(scaledSigmoid(3.0000001)).toBe(-1);
    expect(scaledSigmoid(3)).toBeCloseTo(-Math.tanh(7.5), 15);
    expect(scaledSigmoid(3)).toBeGreaterThan(-1);
  });
});

describe('probationaryLength(rows)', () => {
  it('is 15 % of the file, floored, capped at 750 rows', () => {
    expect(probationaryLength(4032)).toBe(604);
    expect(probationaryLength(1000)).toBe(150);
    expect(probationaryLength(22695)).toBe(750);
    expect(probationaryLength(0)).toBe(0);
  });
});

describe('windowRows(timestamps, windows)', () => {
  it('maps exact limits to row ranges and snaps inexact ones inward', () => {
    const t = range(20);
    expect(windowRows(t, [[3, 5]])).toEqual([[3, 5]]);
    expect(windowRows(t, [[2.5, 5.5], [10, 10]])).toEqual([[3, 5], [10, 10]]);
    expect(windowRows(t, [[7.2, 7.8]])).toEqual([]);
  });
});

describe('sweepFile(timestamps, windows, cost)', () => {
  const sweep = sweepFile(range(10), [[3, 5]], unit, 0);
  it('scores rows in a window by their position, earliest = +tpWeight', () => {
    expect(sweep.sweepScore[3]).toBeCloseTo(1, 15);
    expect(sweep.sweepScore[4]).toBeCloseTo(Math.tanh((2.5 * 2) / 3) / maxTP, 15);
    expect(sweep.sweepScore[5]).toBeCloseTo(Math.tanh(2.5 / 3) / maxTP, 15);
  });
  it('charges rows before any window −fpWeight and rows after by distance past the window', () => {
    expect(sweep.sweepScore[0]).toBe(-1);
    expect(sweep.sweepScore[2]).toBe(-1);
    // (i − right)/(width − 1): 0.5, 1, 1.5, 2 widths past the right edge.
    expect(sweep.sweepScore[6]).toBeCloseTo(-Math.tanh(1.25), 15);
    expect(sweep.sweepScore[7]).toBeCloseTo(-Math.tanh(2.5), 15);
    expect(sweep.sweepScore[9]).toBeCloseTo(-Math.tanh(5), 15);
  });
  it('marks window membership and the probationary rows', () => {
    expect(Array.from(sweep.window)).toEqual([OUTSIDE, OUTSIDE, OUTSIDE, 0, 0, 0, OUTSIDE, OUTSIDE, OUTSIDE, OUTSIDE]);
    const withProbation = sweepFile(range(20), [[10, 12]], unit);
    expect(Array.from(withProbation.window.slice(0, 4))).toEqual([PROBATION, PROBATION, PROBATION, OUTSIDE]);
    expect(withProbation.scorableWindows).toBe(1);
  });
  it('does not count a window lying wholly in the probationary period as missable', () => {
    const s = sweepFile(range(100), [[2, 4]], unit);
    expect(s.windowCount).toBe(1);
    expect(s.scorableWindows).toBe(0);
  });
});

describe('scoreFileAtThreshold(sweep, scores, threshold)', () => {
  const t = range(100);
  const zeros = new Float64Array(100);
  it('scores 0 with no windows and no detections', () => {
    const r = scoreFileAtThreshold(sweepFile(t, [], unit, 0), zeros, 0.5, unit);
    expect(r).toMatchObject({ score: 0, tp: 0, tn: 100, fp: 0, fn: 0 });
  });
  it('charges −fnWeight once per missed window', () => {
    const cost = { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 };
    const r = scoreFileAtThreshold(sweepFile(t, [[10, 19], [50, 59]], cost, 0), zeros, 0.5, cost);
    expect(r).toMatchObject({ score: -4, tp: 0, fn: 20, tn: 80 });
  });
  it('rewards the earliest detection of a window only, and ignores later ones inside it', () => {
    const scores = new Float64Array(100);
    scores[12] = 1;
    scores[15] = 1;
    const r = scoreFileAtThreshold(sweepFile(t, [[10, 19]], unit, 0), scores, 0.5, unit);
    // Position of row 12: −(19 − 12 + 1)/10 = −0.8.
    expect(r.score).toBeCloseTo(Math.tanh(2.5 * 0.8) / maxTP, 15);
    expect(r).toMatchObject({ tp: 2, fn: 8, fp: 0 });
  });
  it('charges a false positive before any window the full fpWeight', () => {
    const scores = new Float64Array(100);
    scores[3] = 0.9;
    const r = scoreFileAtThreshold(sweepFile(t, [[10, 19]], standard, 0), scores, 0.9, standard);
    expect(r.score).toBeCloseTo(-0.11 - 1, 15);
    expect(r.fp).toBe(1);
  });
  it('detects rows at or above the threshold only', () => {
    const scores = new Float64Array(100);
    scores[10] = 0.5;
    const sweep = sweepFile(t, [[10, 19]], unit, 0);
    expect(scoreFileAtThreshold(sweep, scores, 0.5, unit).score).toBeCloseTo(1, 15);
    expect(scoreFileAtThreshold(sweep, scores, 0.5000001, unit).score).toBe(-1);
  });
  it('ignores detections in the probationary period', () => {
    const scores = new Float64Array(100).fill(1);
    const r = scoreFileAtThreshold(sweepFile(t, [], unit), scores, 0.5, unit);
    expect(r).toMatchObject({ fp: 85, total: 85 });
  });
});

describe('scoresByThreshold(files, cost)', () => {
  const file = fc
    .record({
      n: fc.integer({ min: 1, max: 60 }),
      windows: fc.array(fc.tuple(fc.integer({ min: 0, max: 59 }), fc.integer({ min: 1, max: 8 })), { maxLength: 3 }),
      seed: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 60, maxLength: 60 }),
    })
    .map(({ n, windows, seed }) => {
      const timestamps = range(n);
      // Non-overlapping windows from (start, width) pairs.
      const limits: [number, number][] = [];
      let next = 0;
      for (const [start, width] of [...windows].sort((a, b) => a[0] - b[0])) {
        const s = Math.max(start, next);
        const e = Math.min(s + width - 1, n - 1);
        if (s > e) continue;
        limits.push([s, e]);
        next = e + 2;
      }
      // Few distinct score levels, so ties are common.
      const scores = Float64Array.from({ length: n }, (_, i) => seed[i] / 6);
      return { timestamps, limits, scores };
    });

  it('gives, at every threshold, the sum of the per-file scores at that threshold', () => {
    fc.assert(
      fc.property(fc.array(file, { minLength: 1, maxLength: 4 }), fc.constantFrom(...Object.values(NAB_PROFILES)), fc.constantFrom(0, 0.15), (files, cost, probation) => {
        const inputs = files.map((f) => ({ sweep: sweepFile(f.timestamps, f.limits, cost, probation), anomalyScores: f.scores }));
        const rows = scoresByThreshold(inputs, cost);
        expect(rows[0].threshold).toBe(1.1);
        for (const row of rows) {
          let score = 0;
          let tp = 0;
          let fp = 0;
          for (const input of inputs) {
            const r = scoreFileAtThreshold(input.sweep, input.anomalyScores, row.threshold, cost);
            score += r.score;
            tp += r.tp;
            fp += r.fp;
          }
          expect(row.score).toBeCloseTo(score, 9);
          expect(row.tp).toBe(tp);
          expect(row.fp).toBe(fp);
        }
        for (let i = 1; i < rows.length; i++) expect(rows[i].threshold).toBeLessThan(rows[i - 1].threshold);
      }),
      { numRuns: 100 },
    );
  });

  it('starts from the null score, nothing detected', () => {
    const input = { sweep: sweepFile(range(40), [[10, 14], [30, 33]], standard, 0), anomalyScores: new Float64Array(40).fill(0.3) };
    const rows = scoresByThreshold([input], standard);
    expect(rows.map((r) => r.threshold)).toEqual([1.1, 0.3]);
    expect(rows[0].score).toBe(-2);
    expect(corpusBounds([input], standard)).toEqual({ nullScore: -2, perfectScore: 2 });
  });
});

describe('optimizeThreshold(files, cost)', () => {
  it('picks the best threshold, the highest of equally good ones', () => {
    const scores = new Float64Array(40);
    scores[10] = 0.9; // first row of the window: perfect
    scores[25] = 0.6; // a false positive
    scores[11] = 0.8; // a later row of the same window: changes nothing
    const best = optimizeThreshold([{ sweep: sweepFile(range(40), [[10, 19]], standard, 0), anomalyScores: scores }], standard);
    expect(best.threshold).toBe(0.9);
    expect(best.score).toBeCloseTo(1, 15);
  });
});

describe('normalizeScore(raw, null, perfect) and scoreCorpus', () => {
  it('maps the null detector to 0 and the perfect one to 100', () => {
    expect(normalizeScore(-116, -116, 116)).toBe(0);
    expect(normalizeScore(116, -116, 116)).toBe(100);
    // numenta's published standard figure, normalised from its score file's rounded total.
    expect(normalizeScore(46.6344501971, -116, 116)).toBeCloseTo(70.10105611943965, 12);
  });
  it('scores a perfect detector 100 and a silent one 0 on every profile', () => {
    const t = range(200);
    const windows: [number, number][] = [[60, 79], [150, 169]];
    const perfect = new Float64Array(200);
    perfect[60] = 1;
    perfect[150] = 1;
    for (const [name, cost] of Object.entries(NAB_PROFILES)) {
      const files = [{ name: 'a/b.csv', timestamps: t, windows, anomalyScores: perfect }];
      expect(scoreCorpus(files, name, cost).normalizedScore).toBeCloseTo(100, 12);
      expect(scoreCorpus([{ ...files[0], anomalyScores: new Float64Array(200) }], name, cost).normalizedScore).toBe(0);
    }
  });
});
