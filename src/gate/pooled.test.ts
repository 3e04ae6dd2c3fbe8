import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../core/random.js';
import { parsePolicy } from './policy.js';
import { peersHistory, peersView, pooledHistory, pooledView } from './pooled.js';

const cfg = parsePolicy({}).views.pooled;
const CUT = 400;
const LENGTH = CUT + 12;

/** σ of first differences / √2, as the gate measures a host's noise. */
function noiseOf(v: Float64Array, from: number, to: number): number {
  let s = 0;
  let n = 0;
  for (let i = from + 1; i < to; i++) {
    s += Math.abs(v[i] - v[i - 1]);
    n++;
  }
  return (1.2533 * s) / n / Math.SQRT2;
}

/** `released` + `unreleased` hosts around level 100 with σ 2; `change(h, i)` adds to host h at point i. */
function hosts(seed: number, released: number, unreleased: number, change: (h: number, i: number, random: () => number) => number): Float64Array[] {
  const random = createRandom(seed);
  return Array.from({ length: released + unreleased }, (_, h) => Float64Array.from({ length: LENGTH }, (_, i) => 100 + 10 * h + 2 * random.normal() + change(h, i, () => random.normal())));
}

function judge(values: Float64Array[], released: number, direction: 'up' | 'down' | 'both' = 'up') {
  const history = pooledHistory(values, released, CUT, cfg, direction, noiseOf);
  // Without unreleased hosts the view needs none (the gate calls it so for the own-past view).
  return pooledView(values, released, CUT, LENGTH, cfg, direction, history, values.length === released ? 0 : cfg.minControlHosts);
}

describe('pooledView(hosts, released, cut, length, config, direction, history)', () => {
  it('flags a shift of 2.5 σ on every released host that the unreleased hosts do not share', () => {
    const r = judge(hosts(1, 3, 5, (h, i) => (h < 3 && i >= CUT ? 5 : 0)), 3)!;
    expect(r.shift).toBeGreaterThan(cfg.shiftBand);
    expect(r.score).toBeGreaterThan(60);
    expect(r.direction).toBe('up');
  });

  it('does not blame the release for a step every host takes (a traffic peak, an upstream failure)', () => {
    const r = judge(hosts(2, 3, 5, (_, i) => (i >= CUT ? 20 : 0)), 3)!;
    expect(r.score).toBeLessThan(50);
  });

  it('flags the released hosts turning four times as noisy, whatever the direction', () => {
    const r = judge(hosts(3, 2, 5, (h, i, normal) => (h < 2 && i >= CUT ? 2 * Math.sqrt(15) * normal() : 0)), 2, 'down')!;
    expect(r.spread).toBeGreaterThan(cfg.spreadBand);
    expect(r.score).toBeGreaterThan(60);
  });

  it('with the dispersion, finds one released host turning three times as noisy over 12 points more often than by its roughness alone', () => {
    let bySpread = 0;
    let byEither = 0;
    for (let seed = 30; seed < 90; seed++) {
      const r = judge(hosts(seed, 1, 3, (h, i, normal) => (h === 0 && i >= CUT ? 2 * Math.sqrt(8) * normal() : 0)), 1, 'both')!;
      if (r.scores.spread >= 60) bySpread++;
      if (r.score >= 60) byEither++;
      // Quiet hosts of the same seed: the dispersion stays under its band.
      expect(judge(hosts(seed + 1000, 1, 3, () => 0), 1, 'both')!.scores.dispersion).toBeLessThan(50);
    }
    expect(byEither).toBeGreaterThan(bySpread + 3);
  });

  it('with spread and dispersion summed, finds one released host turning 2.5 times as noisy more often than by either alone, and stays quiet without a change', () => {
    let byEither = 0;
    let byAll = 0;
    let quietFlagged = 0;
    for (let seed = 200; seed < 400; seed++) {
      const r = judge(hosts(seed, 1, 3, (h, i, normal) => (h === 0 && i >= CUT ? 2 * Math.sqrt(2.5 ** 2 - 1) * normal() : 0)), 1, 'both')!;
      expect(r.noise).toBeCloseTo((r.spread + r.dispersion) / Math.sqrt(3.6), 12);
      if (Math.max(r.scores.spread, r.scores.dispersion) >= 50) byEither++;
      if (r.score >= 50) byAll++;
      if (judge(hosts(seed + 1000, 1, 3, () => 0), 1, 'both')!.scores.noise >= 50) quietFlagged++;
    }
    expect(byAll).toBeGreaterThan(byEither + 4);
    expect(quietFlagged).toBeLessThanOrEqual(2);
  });

  it('leaves the dispersion quiet for a ramp with one slow request on a released host', () => {
    for (let seed = 40; seed < 50; seed++) {
      const r = judge(hosts(seed, 2, 4, (h, i) => (i >= CUT - 60 ? 0.3 * (i - CUT + 60) * (1 + 0.1 * h) : 0) + (h === 1 && i === CUT + 9 ? 60 : 0)), 2, 'both')!;
      expect(r.dispersion).toBeLessThan(cfg.dispersionBand);
      expect(r.scores.dispersion).toBeLessThan(50);
    }
  });

  it('scores quiet released hosts low', () => {
    for (let seed = 10; seed < 20; seed++) expect(judge(hosts(seed, 2, 4, () => 0), 2)!.score).toBeLessThan(50);
  });

  it('without unreleased hosts, judges the released hosts against their own past: a 2 σ shift on all of them, not quiet ones', () => {
    let caught = 0;
    for (let seed = 50; seed < 60; seed++) {
      const r = judge(hosts(seed, 3, 0, (_, i) => (i >= CUT ? 4 : 0)), 3)!;
      if (r.score >= 60) caught++;
      expect(judge(hosts(seed + 1000, 3, 0, () => 0), 3)!.score).toBeLessThan(50);
    }
    expect(caught).toBeGreaterThanOrEqual(9);
  });

  it('against their own past, a steady ramp is the shift statistic\'s question, not a burst', () => {
    // From the release on the level climbs 0.5 σ per point: a drift, not minutes that spike.
    for (let seed = 60; seed < 70; seed++) {
      const r = judge(hosts(seed, 2, 0, (_, i) => (i >= CUT ? i - CUT : 0)), 2)!;
      expect(r.burst).toBeLessThan(r.bands.burst);
      expect(r.shift).toBeGreaterThan(r.bands.shift);
    }
  });

  it('counts each minute with the hosts that reported in it: half a window missing on one of two released hosts widens the shift\'s standard error', () => {
    // Two identical released hosts, flat in the window at their level + 3 (so every minute's
    // residual is the same with one host or two), and flat unreleased hosts.
    const random = createRandom(7);
    const released = Float64Array.from({ length: LENGTH }, (_, i) => (i < CUT ? 100 + 2 * random.normal() : 103));
    const control = (h: number) => Float64Array.from({ length: LENGTH }, (_, i) => (i < CUT ? 120 + 10 * h + 2 * random.normal() : 120 + 10 * h));
    const controls = [0, 1, 2, 3].map(control);
    const full = judge([released, Float64Array.from(released), ...controls], 2)!;
    const gap = Float64Array.from(released, (v, i) => (i >= CUT + 6 ? NaN : v));
    const gapped = judge([released, gap, ...controls], 2)!;
    // Variance per minute 1/2 + 1.1/4 with both hosts, 1 + 1.1/4 with one; the levels before add (1/2 + 1.1/4)/24.
    const se = (minutes: number[]) => Math.sqrt(minutes.reduce((a, b) => a + b, 0) / 144 + 0.775 / 24);
    const expected = se(Array(12).fill(0.775)) / se([...Array(6).fill(0.775), ...Array(6).fill(1.275)]);
    expect(gapped.shift / full.shift).toBeCloseTo(expected, 9);
  });

  it('counts each released host\'s roughness and dispersion with the points it has: most of a window missing (a crash) keeps both in standard errors', () => {
    // Quiet hosts, the released ones' window cut short; the spread from 4 points (3 differences)
    // and the dispersion from 7. Measured with every host's window as full: spread 2.24 and
    // dispersion 1.48 standard deviations; with the points each has: 1.28 and 1.19.
    const sd = (xs: number[]) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
    };
    const statistic = (present: number, which: 'spread' | 'dispersion') =>
      Array.from({ length: 300 }, (_, seed) => judge(hosts(seed, 3, 5, () => 0).map((v, h) => (h < 3 ? v.map((x, i) => (i >= CUT + present ? NaN : x)) : v)), 3)![which]);
    expect(sd(statistic(4, 'spread'))).toBeLessThan(1.6);
    expect(sd(statistic(7, 'dispersion'))).toBeLessThan(1.35);
  });

  it('against their own past, noise that grows with the level (traffic rising) is not a noise increase; noise growing at one level is', () => {
    // Ten hosts, each with noise 2 % of its level, the level rising 1 % a minute: the window is
    // about 43 % rougher than the hour before it, and exactly as much higher.
    const rising = Array.from({ length: 10 }, (_, h) => {
      const random = createRandom(900 + h);
      return Float64Array.from({ length: LENGTH }, (_, i) => (100 + 10 * h) * Math.exp(0.01 * (i - CUT)) * (1 + 0.02 * random.normal()));
    });
    const r = judge(rising, 10)!;
    expect(r.spread).toBeLessThan(r.bands.spread);
    expect(r.scores.spread).toBeLessThan(50);
    // At a flat level, the same hosts twice as rough in the window.
    const rougher = Array.from({ length: 10 }, (_, h) => {
      const random = createRandom(900 + h);
      return Float64Array.from({ length: LENGTH }, (_, i) => (100 + 10 * h) * (1 + (i >= CUT ? 0.04 : 0.02) * random.normal()));
    });
    expect(judge(rougher, 10)!.spread).toBeGreaterThan(cfg.spreadBand);
  });

  it('is null without enough unreleased hosts', () => {
    expect(judge(hosts(4, 2, 1, () => 0), 2)).toBeNull();
  });
});

describe('peersView(hosts, cut, length, config, direction, history)', () => {
  const peersCfg = { ...cfg, dispersionBand: 0 };

  /** Each host first and the others after it, judged one by one with the family's largest nulls: what the peers view stands for. */
  function oneByOne(values: Float64Array[], direction: 'up' | 'down' | 'both') {
    const arrangements = values.map((_, h) => [values[h], ...values.filter((_, i) => i !== h)]);
    const histories = arrangements.map((a) => pooledHistory(a, 1, CUT, peersCfg, direction, noiseOf));
    const largest = (pick: (h: (typeof histories)[number]) => number) => {
      const known = histories.map(pick).filter((x) => x === x);
      return known.length ? Math.max(...known) : NaN;
    };
    const family = { nullShift: largest((h) => h.nullShift), nullBurst: largest((h) => h.nullBurst), nullSpread: largest((h) => h.nullSpread) };
    return arrangements.map((a, h) => pooledView(a, 1, CUT, LENGTH, peersCfg, direction, { ...histories[h], ...family }, 1));
  }

  it('agrees with judging each host alone on any small group: repeated values, gaps, constant hosts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.nat(10_000),
        fc.array(fc.record({ host: fc.nat(5), at: fc.integer({ min: CUT - 40, max: LENGTH - 1 }), span: fc.integer({ min: 1, max: 6 }), fill: fc.constantFrom(NaN, 100, 1e6) }), { maxLength: 4 }),
        fc.boolean(),
        fc.constantFrom('up' as const, 'down' as const, 'both' as const),
        (count, seed, holes, constantHost, direction) => {
          const values = hosts(seed, count, 0, (h, i, normal) => (h === 0 && i >= CUT ? 3 * normal() : 0));
          for (const hole of holes) values[hole.host % count].fill(hole.fill, hole.at, Math.min(LENGTH, hole.at + hole.span));
          if (constantHost) values[count - 1].fill(105);
          const expected = oneByOne(values, direction);
          const found = peersView(values, CUT, LENGTH, peersCfg, direction, peersHistory(values, CUT, peersCfg, direction, noiseOf));
          const best = expected.reduce((b, r, h) => (r && (b < 0 || r.score > (expected[b]?.score ?? -1)) ? h : b), -1);
          if (best < 0) {
            expect(found).toBeNull();
            return;
          }
          const want = expected[best]!;
          expect(found!.result.score).toBeCloseTo(want.score, 9);
          for (const key of ['shift', 'burst', 'spread'] as const) {
            if (Number.isNaN(want[key])) expect(found!.result[key]).toBeNaN();
            else expect(found!.result[key]).toBeCloseTo(want[key], 9);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('gives every host the result of judging it alone against all the others, ties, gaps and all', () => {
    for (const [seed, count] of [[1, 2], [2, 3], [3, 7], [4, 30]] as const) {
      const values = hosts(seed, count, 0, (h, i, normal) => (h === 1 && i >= CUT ? 4 + normal() : 0));
      // Gaps and repeated values: a host missing minutes, two hosts reporting the same value.
      for (let i = CUT + 1; i < LENGTH; i += 3) values[0][i] = NaN;
      if (count > 2) values[2].set(values[count - 1]);
      for (const direction of ['up', 'both'] as const) {
        const expected = oneByOne(values, direction);
        const history = peersHistory(values, CUT, peersCfg, direction, noiseOf);
        const found = peersView(values, CUT, LENGTH, peersCfg, direction, history)!;
        const best = expected.reduce((b, r, h) => (r && (b < 0 || r.score > (expected[b]?.score ?? -1)) ? h : b), -1);
        expect(best).toBeGreaterThanOrEqual(0);
        expect(found.host, `seed ${seed}`).toBe(best);
        const want = expected[best]!;
        for (const key of ['score', 'shift', 'burst', 'spread'] as const) expect(found.result[key]).toBeCloseTo(want[key], 9);
        for (const key of ["shift", "burst", "spread"] as const) expect(found.result.bands[key], `${seed} ${direction} ${key}`).toBeCloseTo(want.bands[key], 9);
        expect([found.result.bands.dispersion, want.bands.dispersion]).toEqual([0, 0]);
      }
    }
  });
});
