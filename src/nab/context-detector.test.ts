import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../core/errors.js';
import { nabCorpusForTests } from '../datasets/test/nab-corpus.js';
import { contextualStream } from './context-detector.js';
import { readNabCorpus, readProfiles } from './corpus.js';
import { scoreAllProfiles } from './runner.js';
import { scoreSeries } from './streaming.js';

const minutes = (n: number) => Float64Array.from({ length: n }, (_, i) => Date.UTC(2020, 0, 1) + i * 300_000);

/** A sawtooth of period 12 between 0 and 11: a pattern the contexts learn exactly. */
const sawtooth = (n: number) => Float64Array.from({ length: n }, (_, i) => i % 12);

const maxOf = (scores: ArrayLike<number>, from: number, to: number) => {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, scores[i]);
  return m;
};

describe('contextual(values)', () => {
  it('scores nothing during the warm-up and the rest period that follows it', () => {
    const scores = scoreSeries(contextualStream.create({ warmup: 50, restPoints: 40 }), minutes(200), sawtooth(200));
    expect(maxOf(scores, 0, 90)).toBe(0);
  });

  it('learns a repeating pattern (scores fall to 0) and flags the step that breaks it', () => {
    const values = sawtooth(1200);
    values[1000] = 3; // 3 where 4 was due: inside the range, out of context
    const scores = scoreSeries(contextualStream.create({ warmup: 100, restPoints: 50 }), minutes(1200), values);
    expect(maxOf(scores, 600, 1000)).toBe(0);
    // No context that matched on the left fired: about half the score, the other half being the
    // share of new contexts among those the step could form.
    expect(scores[1000]).toBeGreaterThan(0.45);
  });

  it('flags a value far outside the learned range (the range widens and the past is relearnt)', () => {
    const values = sawtooth(1200);
    values[900] = 500;
    const scores = scoreSeries(contextualStream.create({ warmup: 100, restPoints: 50 }), minutes(1200), values);
    expect(scores[900]).toBeGreaterThan(0.5);
    expect(maxOf(scores, 600, 900)).toBe(0);
  });

  it('with a given range, a value outside it still scores (clamped to an out-of-range bin)', () => {
    const values = sawtooth(800);
    values[700] = -40;
    const scores = scoreSeries(contextualStream.create({ range: [0, 11], restPoints: 50 }), minutes(800), values);
    expect(maxOf(scores, 400, 700)).toBe(0);
    expect(scores[700]).toBeGreaterThan(0.45);
  });

  it('skips missing values: NaN scores 0 and leaves the learned pattern intact', () => {
    const values = sawtooth(1000);
    for (let i = 800; i < 1000; i += 12) values[i] = NaN;
    const scores = scoreSeries(contextualStream.create({ warmup: 100, restPoints: 50 }), minutes(1000), values);
    for (let i = 800; i < 1000; i += 12) expect(scores[i]).toBe(0);
  });

  it('is streaming: the scores of a prefix are the first scores of the whole series', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 5 }), fc.constant(NaN)), { minLength: 2, maxLength: 300 }),
        fc.nat(),
        (list, cutSeed) => {
          const values = Float64Array.from(list);
          const t = minutes(values.length);
          const cut = 1 + (cutSeed % (values.length - 1));
          const config = { warmup: 20, restPoints: 10 };
          const whole = scoreSeries(contextualStream.create(config), t, values);
          const prefix = scoreSeries(contextualStream.create(config), t.subarray(0, cut), values.subarray(0, cut));
          expect(Array.from(prefix)).toEqual(Array.from(whole.subarray(0, cut)));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('scores every point in [0, 1] on any input, infinities and NaN included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double(), fc.constant(Infinity), fc.constant(-Infinity), fc.constant(NaN)), { maxLength: 300 }),
        (list) => {
          const detector = contextualStream.create({ warmup: 10, restPoints: 5 });
          for (const value of list) {
            const s = detector.update(0, value);
            expect(Number.isFinite(s)).toBe(true);
            expect(s).toBeGreaterThanOrEqual(0);
            expect(s).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('rejects bad configs naming the field', () => {
    expect(() => contextualStream.create({ valueBits: 0 })).toThrow(SluiceError);
    expect(() => contextualStream.create({ valueBits: 0 })).toThrow(/valueBits/);
    expect(() => contextualStream.create({ alarmLevel: 1.5 })).toThrow(/alarmLevel/);
    expect(() => contextualStream.create({ range: [0, Number.NaN] })).toThrow(/range/);
  });
});

// The whole NAB corpus: the figure the defaults reach must not regress.
const { dir: nabDir, present } = nabCorpusForTests("the contextual detector's NAB floor");

describe.skipIf(!present)('contextual on the NAB corpus', () => {
  it('scores above the recorded floor on every profile (68.34 / 61.82 / 72.57 when recorded)', () => {
    const corpus = readNabCorpus(nabDir);
    const detector = contextualStream.create();
    const files = corpus.map((s) => ({ name: s.name, timestamps: s.timestamps, windows: s.windows, anomalyScores: scoreSeries(detector, s.timestamps, s.values) }));
    const scores = scoreAllProfiles(files, readProfiles(nabDir));
    // Above every published statistical detector (earthgeckoSkyline 58.2, the best of them).
    expect(scores.standard.normalizedScore).toBeGreaterThan(66);
    expect(scores.reward_low_FP_rate.normalizedScore).toBeGreaterThan(59);
    expect(scores.reward_low_FN_rate.normalizedScore).toBeGreaterThan(70);
  }, 600_000);
});
