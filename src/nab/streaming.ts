/**
 * Streaming anomaly detectors for NAB-style evaluation: one point in, one score in [0, 1] out,
 * with no look-ahead. Purely numeric: no I/O, no clock, no global state; every detector is a
 * closure over typed state created from a zod-validated config.
 */
import { z } from 'zod';
import { parseConfig } from '../core/config.js';
import { pnormUpper } from '../core/stats.js';

/** A detector that sees one point at a time. */
export interface StreamingDetector {
  /** Forget everything seen so far (start of a new series). */
  reset(): void;
  /**
   * Feeds the next point (`t` epoch ms, `value`; NaN = missing) and returns its anomaly score in
   * [0, 1]. Never throws on odd data; a missing value scores 0.
   */
  update(t: number, value: number): number;
}

/** A named, versioned factory of streaming detectors with its config schema. */
export interface StreamingDetectorFactory<S extends z.ZodType = z.ZodType> {
  /** camelCase name; also the folder name of its NAB results. */
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly configSchema: S;
  /** Builds a fresh detector; throws `SluiceError('invalid_config')` naming the bad field. */
  create(config?: z.input<S>): StreamingDetector;
}

function factory<S extends z.ZodType>(
  name: string,
  version: string,
  description: string,
  configSchema: S,
  build: (config: z.output<S>) => StreamingDetector,
): StreamingDetectorFactory<S> {
  return {
    name,
    version,
    description,
    configSchema,
    create(config?: z.input<S>) {
      return build(parseConfig(configSchema, config ?? {}, `${name} config`));
    },
  };
}

/** Two-sided normal tail mass inside ±|z|: 0 at z = 0, → 1 as |z| grows. */
export function normalConfidence(z: number): number {
  if (!Number.isFinite(z)) return Number.isNaN(z) ? 0 : 1;
  return 1 - 2 * pnormUpper(Math.abs(z));
}

// ---------------------------------------------------------------------------------------------
// (a) Baseline: exponentially weighted Gaussian.

export const ewmaGaussianConfig = z.object({
  /** Memory of the mean and variance, in points (α = 2/(span + 1)). */
  span: z.number().int().min(2).default(1000),
  /** Points before any score is given (the estimate is still warming up). */
  warmup: z.number().int().min(0).default(50),
});

/**
 * EWMA mean and variance; the score is the normal mass within ±|z| of the point's deviation
 * from the mean before the point is seen. The streaming analogue of NAB's windowedGaussian.
 * O(1) per point.
 */
export const ewmaGaussianStream = factory(
  'ewmaGaussian',
  '1.0.0',
  'EWMA mean and variance; score = normal confidence of the deviation.',
  ewmaGaussianConfig,
  (config) => {
    const alpha = 2 / (config.span + 1);
    let n = 0;
    let mean = 0;
    let variance = 0;
    return {
      reset() {
        n = 0;
        mean = 0;
        variance = 0;
      },
      update(_t: number, value: number) {
        if (!Number.isFinite(value)) return 0;
        let score = 0;
        if (n === 0) {
          mean = value;
        } else {
          const deviation = value - mean;
          if (n >= config.warmup) {
            const sd = Math.sqrt(variance);
            score = sd > 0 ? normalConfidence(deviation / sd) : deviation === 0 ? 0 : 1;
          }
          // West's incremental EW variance (stable, O(1)).
          const increment = alpha * deviation;
          mean += increment;
          variance = (1 - alpha) * (variance + deviation * increment);
        }
        n++;
        return score;
      },
    };
  },
);

// ---------------------------------------------------------------------------------------------
// Building blocks for the stronger detector.

/**
 * Robust multi-scale deviation: for each smoothing constant α, a Huber-clipped EWMA level and an
 * EWMA of absolute residuals as scale; the result is the largest |residual|/scale over scales,
 * measured before the point updates the state. Short scales catch spikes, long ones level shifts.
 */
function multiScaleDeviation(alphas: readonly number[], scaleAlpha: number, clip: number) {
  const k = alphas.length;
  const level = new Float64Array(k);
  const spread = new Float64Array(k);
  let n = 0;
  let low = Infinity;
  let high = -Infinity;
  return {
    reset() {
      level.fill(0);
      spread.fill(0);
      n = 0;
      low = Infinity;
      high = -Infinity;
    },
    /** |z| of the largest-deviation scale; 0 for the first point. */
    update(value: number): number {
      if (value < low) low = value;
      if (value > high) high = value;
      if (n === 0) {
        level.fill(value);
        n++;
        return 0;
      }
      // A floor tied to the range seen so far keeps flat stretches from dividing by ~0.
      const floor = Math.max(1e-3 * (high - low), 1e-12 * Math.abs(value), 1e-12);
      let worst = 0;
      for (let j = 0; j < k; j++) {
        const residual = value - level[j];
        const scale = Math.max(spread[j] * 1.2533, floor);
        const z = Math.abs(residual) / scale;
        if (z > worst) worst = z;
        const bound = clip * scale;
        const clipped = residual > bound ? bound : residual < -bound ? -bound : residual;
        level[j] += alphas[j] * clipped;
        spread[j] += scaleAlpha * (Math.min(Math.abs(residual), bound * 2) - spread[j]);
      }
      n++;
      return worst;
    },
  };
}

/**
 * Numenta's anomaly-likelihood idea on a raw score stream: the short moving average of the raw
 * score is compared with the mean and spread of that average over a long window; the upper
 * normal tail is mapped to [0, 1] by log scale, so 0.5 ↔ tail 1e-5 and 1 ↔ tail ≤ 1e-10.
 */
function likelihood(shortWindow: number, longWindow: number, minHistory: number) {
  const shortRing = new Float64Array(shortWindow);
  const longRing = new Float64Array(longWindow);
  let shortSum = 0;
  let longSum = 0;
  let longSumSq = 0;
  let n = 0;
  let m = 0;
  return {
    reset() {
      shortRing.fill(0);
      longRing.fill(0);
      shortSum = longSum = longSumSq = 0;
      n = m = 0;
    },
    update(raw: number): number {
      const slot = n % shortWindow;
      shortSum += raw - shortRing[slot];
      shortRing[slot] = raw;
      n++;
      const average = shortSum / Math.min(n, shortWindow);
      let score = 0;
      if (m >= minHistory) {
        const count = Math.min(m, longWindow);
        const mean = longSum / count;
        const variance = Math.max(longSumSq / count - mean * mean, 0);
        const sd = Math.max(Math.sqrt(variance), 1e-3 * Math.max(Math.abs(mean), 1e-6));
        const tail = pnormUpper((average - mean) / sd);
        score = Math.min(1, Math.max(0, Math.log(tail + 1e-10) / Math.log(1e-10)));
      }
      const longSlot = m % longWindow;
      const old = longRing[longSlot];
      if (m >= longWindow) {
        longSum -= old;
        longSumSq -= old * old;
      }
      longRing[longSlot] = average;
      longSum += average;
      longSumSq += average * average;
      m++;
      return score;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// (b) Multi-scale robust deviation + likelihood + first-occurrence suppression.

export const robustLikelihoodConfig = z.object({
  /** EWMA smoothing constants of the level estimates, one per scale, each in (0, 1]. */
  alphas: z.array(z.number().gt(0).max(1)).min(1).default([0.5, 0.05, 0.005]),
  /** EWMA constant of the residual-scale estimates. */
  scaleAlpha: z.number().gt(0).max(1).default(0.01),
  /** Residuals are clipped at this many scales when they update a level (robustness). */
  clip: z.number().gt(0).default(3),
  /** Largest deviation, in scales, passed on (keeps the likelihood's moments finite). */
  maxDeviation: z.number().gt(0).default(30),
  /** Points averaged into the short-term raw score. */
  shortWindow: z.number().int().min(1).default(5),
  /** Points of history the likelihood's mean and spread are taken over. */
  longWindow: z.number().int().min(10).default(3000),
  /** Points before the likelihood gives any score. */
  minHistory: z.number().int().min(2).default(150),
  /** Output at or above this level is an alarm and opens a quiet period. */
  alarmLevel: z.number().min(0).max(1).default(0.5),
  /** Points after an alarm during which the output is damped (a change is reported once). */
  quietPoints: z.number().int().min(0).default(300),
  /** Factor applied to the output during the quiet period. */
  quietFactor: z.number().min(0).max(1).default(0.2),
});

/**
 * Multi-scale robust z-scores (Huber-clipped EWMA levels at several memories) turned into a
 * per-series anomaly likelihood (how unusual the recent average deviation is, relative to this
 * series' own history), reported once per change: after an alarm the output is damped for a
 * quiet period, as NAB rewards the first detection in a window and charges every later one
 * outside it. O(scales) per point, O(longWindow) memory.
 */
export const robustLikelihoodStream = factory(
  'robustLikelihood',
  '1.0.0',
  'Multi-scale robust z-scores, anomaly likelihood against the series history, one alarm per change.',
  robustLikelihoodConfig,
  (config) => {
    const deviation = multiScaleDeviation(config.alphas, config.scaleAlpha, config.clip);
    const tail = likelihood(config.shortWindow, config.longWindow, config.minHistory);
    let quiet = 0;
    return {
      reset() {
        deviation.reset();
        tail.reset();
        quiet = 0;
      },
      update(_t: number, value: number) {
        if (!Number.isFinite(value)) return 0;
        const raw = Math.min(deviation.update(value), config.maxDeviation);
        let score = tail.update(raw);
        if (quiet > 0) {
          quiet--;
          score *= config.quietFactor;
        } else if (score >= config.alarmLevel) {
          quiet = config.quietPoints;
        }
        return score;
      },
    };
  },
);

/** Every streaming detector by name. */
export const streamingDetectors: Record<string, StreamingDetectorFactory> = {
  [ewmaGaussianStream.name]: ewmaGaussianStream,
  [robustLikelihoodStream.name]: robustLikelihoodStream,
};

/** Runs a detector over a whole series from a fresh state; scores in [0, 1]. O(n · cost per point). */
export function scoreSeries(detector: StreamingDetector, timestamps: ArrayLike<number>, values: ArrayLike<number>): Float64Array {
  detector.reset();
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const s = detector.update(timestamps[i], values[i]);
    out[i] = Number.isFinite(s) ? Math.min(1, Math.max(0, s)) : 0;
  }
  return out;
}
