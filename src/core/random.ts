/**
 * A small seeded pseudo-random generator for reproducible data: the release-case generator and
 * the demo's simulated fleet draw from it so that the same seed gives the same bytes on every
 * machine. Not for cryptography.
 *
 * The core is xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom number generators",
 * 2018): 32-bit integer arithmetic only (`Math.imul`, shifts), so results do not depend on the
 * platform's floating point. The state is seeded through splitmix32 so that nearby seeds give
 * unrelated streams.
 */

/** A seeded stream of random numbers. Every method advances the stream. */
export interface Random {
  /** Uniform on [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform on [low, high). */
  uniform(low: number, high: number): number;
  /** Uniform integer on [low, high], both ends included. */
  integer(low: number, high: number): number;
  /** Normal with the given mean and standard deviation (Box–Muller). */
  normal(mean?: number, sd?: number): number;
  /** Log-normal whose logarithm has the given mean and standard deviation. */
  logNormal(logMean: number, logSd: number): number;
  /** Poisson with mean `lambda` ≥ 0: exact by multiplication below 30, normal approximation above. */
  poisson(lambda: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** A new array holding `items` in a uniformly random order (Fisher–Yates). */
  shuffled<T>(items: readonly T[]): T[];
  /** An independent stream derived from this stream's seed and `label`; does not advance this one. */
  fork(label: string | number): Random;
}

/** Hashes numbers and strings into one 32-bit unsigned seed (FNV-1a over the parts, then a finalizer). */
export function seedFrom(...parts: (string | number)[]): number {
  let hash = 0x811c9dc5;
  const mix = (byte: number): void => {
    hash ^= byte & 0xff;
    hash = Math.imul(hash, 0x01000193);
  };
  for (const part of parts) {
    const text = typeof part === 'number' ? `#${part}` : `'${part}`;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      mix(code);
      mix(code >>> 8);
    }
    mix(0x1f);
  }
  return finalize(hash);
}

function finalize(value: number): number {
  let z = value >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Creates a generator from a 32-bit seed (any finite number; it is reduced modulo 2³²).
 * Cost: O(1) per draw, 16 bytes of state.
 *
 * @example
 *   const random = createRandom(42);
 *   random.integer(1, 6); // the same die roll on every run
 */
export function createRandom(seed: number): Random {
  if (!Number.isFinite(seed)) throw new RangeError(`createRandom: seed must be a finite number, got ${seed}`);
  const rootSeed = Math.trunc(seed) >>> 0;
  let splitState = rootSeed;
  const splitmix = (): number => {
    splitState = (splitState + 0x9e3779b9) >>> 0;
    let z = splitState;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  let s0 = splitmix();
  let s1 = splitmix();
  let s2 = splitmix();
  let s3 = splitmix();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;

  const nextUint32 = xoshiro128StarStar(s0, s1, s2, s3);

  let spareNormal = NaN;
  const next = (): number => nextUint32() / 4294967296;
  const standardNormal = (): number => {
    if (spareNormal === spareNormal) {
      const value = spareNormal;
      spareNormal = NaN;
      return value;
    }
    // 1 − u keeps the logarithm's argument in (0, 1].
    const radius = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };

  const random: Random = {
    next,
    uniform: (low, high) => low + (high - low) * next(),
    integer: (low, high) => {
      const lo = Math.ceil(low);
      const hi = Math.floor(high);
      if (hi < lo) throw new RangeError(`Random.integer: empty range [${low}, ${high}]`);
      return lo + Math.floor(next() * (hi - lo + 1));
    },
    normal: (mean = 0, sd = 1) => mean + sd * standardNormal(),
    logNormal: (logMean, logSd) => Math.exp(logMean + logSd * standardNormal()),
    poisson: (lambda) => {
      if (!(lambda > 0)) return 0;
      if (lambda >= 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * standardNormal()));
      const limit = Math.exp(-lambda);
      let k = 0;
      let product = next();
      while (product > limit) {
        k++;
        product *= next();
      }
      return k;
    },
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new RangeError('Random.pick: empty array');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    shuffled: (items) => {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const held = out[i] as (typeof out)[number];
        out[i] = out[j] as (typeof out)[number];
        out[j] = held;
      }
      return out;
    },
    fork: (label) => createRandom(seedFrom(rootSeed, label)),
  };
  return random;
}

/**
 * The bare xoshiro128** step from a given 128-bit state (four 32-bit words, not all zero):
 * returns a function giving the next unsigned 32-bit output. `createRandom` seeds it.
 */
export function xoshiro128StarStar(a: number, b: number, c: number, d: number): () => number {
  let s0 = a >>> 0;
  let s1 = b >>> 0;
  let s2 = c >>> 0;
  let s3 = d >>> 0;
  return () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
