import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../core/errors.js';
import { ewmaGaussianStream, lagCorrelation, normalConfidence, robustSeasonalStream, scoreSeries, streamingDetectors } from './streaming.js';

const minutes = (n: number) => Float64Array.from({ length: n }, (_, i) => Date.UTC(2020, 0, 1) + i * 300_000);

/** Deterministic noise in [−1, 1] (a fixed LCG), so expectations do not drift between runs. */
function noise(n: number, seed = 7): Float64Array {
  const out = new Float64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = (s / 2147483648) * 2 - 1;
  }
  return out;
}

describe('normalConfidence(z)', () => {
  it('is the normal mass within ±|z|', () => {
    expect(normalConfidence(0)).toBe(0);
    expect(normalConfidence(1.959963984540054)).toBeCloseTo(0.95, 14);
    expect(normalConfidence(-1.959963984540054)).toBeCloseTo(0.95, 14);
    expect(normalConfidence(Infinity)).toBe(1);
    expect(normalConfidence(NaN)).toBe(0);
  });
});

// One shared suite for every registered streaming detector.
for (const factory of Object.values(streamingDetectors)) {
  describe(`${factory.name} (shared streaming suite)`, () => {
    it('never throws and scores every point in [0, 1] on finite input with NaN gaps', () => {
      fc.assert(
        fc.property(
          fc.array(fc.oneof(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.constant(NaN)), { maxLength: 400 }),
          (values) => {
            const scores = scoreSeries(factory.create(), minutes(values.length), Float64Array.from(values));
            for (const s of scores) {
              expect(Number.isFinite(s)).toBe(true);
              expect(s).toBeGreaterThanOrEqual(0);
              expect(s).toBeLessThanOrEqual(1);
            }
          },
        ),
        { numRuns: 60 },
      );
    });

    it('is streaming: truncating the series does not change earlier scores', () => {
      fc.assert(
        fc.property(
          fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 5 }), fc.constant(NaN)), { minLength: 2, maxLength: 400 }),
          fc.nat(),
          (list, cutSeed) => {
            const values = Float64Array.from(list);
            const t = minutes(values.length);
            const cut = 1 + (cutSeed % (values.length - 1));
            const whole = scoreSeries(factory.create(), t, values);
            const prefix = scoreSeries(factory.create(), t.subarray(0, cut), values.subarray(0, cut));
            expect(Array.from(prefix)).toEqual(Array.from(whole.subarray(0, cut)));
          },
        ),
        { numRuns: 30 },
      );
    });

    it('gives the same scores after reset() as a fresh detector (no hidden state)', () => {
      const values = noise(800).map((v, i) => v + (i === 600 ? 30 : 0));
      const t = minutes(800);
      const detector = factory.create();
      const first = scoreSeries(detector, t, values);
      scoreSeries(detector, t, noise(300, 3));
      expect(scoreSeries(detector, t, values)).toEqual(first);
    });

    it('is unchanged by scaling and shifting the series (scale equivariance of the score)', () => {
      const values = noise(1000).map((v, i) => 5 * v + (i >= 700 ? 40 : 0));
      const t = minutes(1000);
      const a = scoreSeries(factory.create(), t, values);
      const b = scoreSeries(factory.create(), t, values.map((v) => 1000 * v - 12345));
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 6);
    });

    it('scores a large spike after a calm stretch above everything before it', () => {
      const values = noise(1200).map((v, i) => 100 + v + (i === 1000 ? 25 : 0));
      const scores = scoreSeries(factory.create(), minutes(1200), values);
      const before = Math.max(...scores.slice(200, 1000));
      expect(scores[1000]).toBeGreaterThan(before);
      expect(scores[1000]).toBeGreaterThan(0.5);
    });

    it('rejects a bad config naming the field', () => {
      expect(() => factory.create({ warmup: -1 } as never)).toThrow(SluiceError);
      expect(() => factory.create({ warmup: -1 } as never)).toThrow(/warmup/);
    });
  });
}

describe('ewmaGaussian', () => {
  it('scores the confidence of the deviation from the EWMA mean (known values)', () => {
    // Alternating ±1 has EW mean → 0 and EW variance → 1 (span 3 gives α = 0.5 exactly).
    const values = Float64Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 1 : -1));
    const detector = ewmaGaussianStream.create({ span: 3, warmup: 0 });
    const scores = scoreSeries(detector, minutes(60), values);
    expect(scores[0]).toBe(0);
    expect(scores[59]).toBeGreaterThan(0.5);
    expect(scores[59]).toBeLessThan(0.9);
    // Constant data: zero deviation scores 0; any change from a zero variance scores 1.
    const flat = scoreSeries(ewmaGaussianStream.create({ warmup: 0 }), minutes(5), Float64Array.of(3, 3, 3, 3, 4));
    expect(Array.from(flat)).toEqual([0, 0, 0, 0, 1]);
  });
});

describe("robustSeasonal", () => {
  it('reports one alarm per change: the rows after a level shift are damped', () => {
    const values = noise(2000).map((v, i) => 10 + v + (i >= 1500 ? 20 : 0));
    const scores = scoreSeries(robustSeasonalStream.create(), minutes(2000), values);
    const alarm = scores.slice(1500, 1510).reduce((m, s) => Math.max(m, s), 0);
    expect(alarm).toBeGreaterThan(0.5);
    const after = scores.slice(1520, 1700).reduce((m, s) => Math.max(m, s), 0);
    expect(after).toBeLessThan(alarm);
  });
});

describe('lagCorrelation(values, n, lag)', () => {
  it('is 1 one period back and −1 half a period back for a sine, skipping NaN pairs', () => {
    const sine = Float64Array.from({ length: 240 }, (_, i) => Math.sin((2 * Math.PI * i) / 24));
    expect(lagCorrelation(sine, 240, 24)).toBeCloseTo(1, 12);
    expect(lagCorrelation(sine, 240, 12)).toBeCloseTo(-1, 12);
    sine[100] = NaN;
    expect(lagCorrelation(sine, 240, 24)).toBeCloseTo(1, 12);
    expect(lagCorrelation(new Float64Array(10).fill(3), 10, 2)).toBe(0);
  });
});

describe('robustSeasonal on a daily series', () => {
  // Five-minute steps: one day is 288 points. From row 1500 the series freezes at its last value,
  // which a last-value or level forecast finds normal and a seasonal one does not.
  const n = 2000;
  const t = minutes(n);
  const jitter = noise(n);
  const values = Float64Array.from({ length: n }, (_, i) => 10 * Math.sin((2 * Math.PI * i) / 288) + 0.3 * jitter[i]);
  for (let i = 1500; i < 1650; i++) values[i] = values[1499];
  const peak = (scores: Float64Array) => scores.slice(1500, 1650).reduce((m, s) => Math.max(m, s), 0);

  it('switches to the seasonal model and flags the frozen stretch', () => {
    const scores = scoreSeries(robustSeasonalStream.create(), t, values);
    const seasonal = peak(scores);
    const normal = scores.slice(600, 1500).reduce((m, s) => Math.max(m, s), 0);
    const levelOnly = peak(scoreSeries(robustSeasonalStream.create({ minSeasonalCorrelation: 1 }), t, values));
    expect(seasonal).toBeGreaterThan(normal + 0.05);
    expect(seasonal).toBeGreaterThan(levelOnly + 0.2);
  });
});
