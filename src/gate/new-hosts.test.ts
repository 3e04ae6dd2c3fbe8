import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../core/random.js';
import { newHostsHistory, newHostsView, trimmedRoughness } from './new-hosts.js';
import { parsePolicy } from './policy.js';

const cfg = parsePolicy({}).views.pooled;
const CUT = 400;
const LENGTH = CUT + 12;

/**
 * `released` hosts new at the release (no values before it) and `unreleased` hosts with a past, each
 * with its own level (sizes differ by 30 %) and noise (±25 %, log-normal); the released hosts'
 * noise × `factor` from the release on.
 */
function fleet(seed: number, released: number, unreleased: number, factor: number, change: (isNew: boolean, i: number, level: number, noise: number) => number = () => 0): { released: Float64Array[]; unreleased: Float64Array[] } {
  const random = createRandom(seed);
  const host = (isNew: boolean) => {
    const level = 100 * random.logNormal(0, 0.3);
    const noise = 2 * random.logNormal(0, 0.25);
    const own = noise * (isNew ? factor : 1);
    return Float64Array.from({ length: LENGTH }, (_, i) => (isNew && i < CUT ? NaN : level + own * random.normal() + change(isNew, i, level, noise)));
  };
  return { released: Array.from({ length: released }, () => host(true)), unreleased: Array.from({ length: unreleased }, () => host(false)) };
}

function judge(f: { released: Float64Array[]; unreleased: Float64Array[] }, direction: 'up' | 'down' | 'both' = 'up') {
  return newHostsView(f.released, f.unreleased, CUT, LENGTH, cfg, direction, newHostsHistory(f.unreleased, CUT, cfg, direction));
}

describe('trimmedRoughness(values, from, to)', () => {
  it('is the mean absolute difference without the two largest', () => {
    // Differences 1, 2, 3, 4, 5, 6, 7: without 7 and 6, (1 + 2 + 3 + 4 + 5) / 5.
    const v = Float64Array.from([0, 1, 3, 6, 10, 15, 21, 28]);
    expect(trimmedRoughness(v, 0, 8)).toBe(3);
  });
  it('is hardly moved by one slow request (its two differences are left out)', () => {
    const random = createRandom(5);
    const quiet = Float64Array.from({ length: 12 }, () => 100 + random.normal());
    const spiked = quiet.slice();
    spiked[6] += 50;
    let plain = 0;
    for (let i = 1; i < 12; i++) plain += Math.abs(quiet[i] - quiet[i - 1]) / 11;
    // Kept in, the spike's two differences would make it about ten times as large.
    expect(trimmedRoughness(spiked, 0, 12)).toBeLessThan(1.3 * plain);
  });
  it('skips pairs with a missing value and needs six differences', () => {
    expect(trimmedRoughness(Float64Array.from([1, 2, NaN, 4, 5, NaN, 7, 8]), 0, 8)).toBeNaN();
    expect(trimmedRoughness(Float64Array.from([1, 2, 4, NaN, 5, 6, 8, 9, 11]), 0, 9)).toBeCloseTo(1.25);
  });
});

describe('newHostsView(released, unreleased, cut, length, config, history)', () => {
  it('flags two new hosts six times as noisy as the fleet in most batches, healthy new hosts in none', () => {
    let caught = 0;
    let quietFlagged = 0;
    for (let seed = 1; seed <= 100; seed++) {
      if (judge(fleet(seed, 2, 5, 6))!.score >= 60) caught++;
      if (judge(fleet(seed, 2, 5, 1))!.score >= 60) quietFlagged++;
    }
    // Hosts' own noise differs by ±25 % and twelve points measure it to about ±30 %: the spread
    // of log roughness between hosts is about 0.4, so a new host's noise is known to a factor of
    // 1.5 and only large increases stand out (four times as noisy: about 45 %; here about 80 %).
    expect(caught).toBeGreaterThanOrEqual(70);
    expect(quietFlagged).toBe(0);
  });

  it('reports the roughness ratio and the form judged', () => {
    const r = judge(fleet(7, 3, 6, 5))!;
    expect(r.ratio).toBeGreaterThan(3);
    expect(['absolute', 'relative']).toContain(r.form);
    expect(r.noise).toBeGreaterThan(r.bands.noise);
    expect(r.direction).toBe('none');
  });

  // A degradation that grows through the window: 8 σ by its end on the released hosts.
  const ramp = (isNew: boolean, i: number, _level: number, noise: number) => (isNew && i >= CUT ? ((i - CUT + 1) / 12) * 8 * noise : 0);
  it('flags new hosts drifting up through the window in most batches, in the metric\'s bad direction only', () => {
    let caught = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const r = judge(fleet(seed, 2, 5, 1, ramp))!;
      if (r.scores.trend >= 60) {
        caught++;
        expect(r.direction).toBe('up');
      }
      expect(judge(fleet(seed, 2, 5, 1, ramp), 'down')!.scores.trend).toBe(0);
    }
    // 38 of 50 here: each host's slope is measured against its own roughness, known to ±30 %.
    expect(caught).toBeGreaterThanOrEqual(35);
  });

  it('does not blame the release for a ramp every host takes in proportion to its level (traffic), nor for one slow request at the window\'s end', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const common = judge(fleet(seed, 2, 5, 1, (_, i, level) => (i >= CUT ? ((i - CUT + 1) / 12) * 0.3 * level : 0)))!;
      expect(common.scores.trend, `seed ${seed}`).toBeLessThan(60);
      const late = judge(fleet(seed, 2, 5, 1, (isNew, i, _level, noise) => (isNew && i === LENGTH - 1 ? 20 * noise : 0)))!;
      expect(late.scores.trend, `seed ${seed}`).toBeLessThan(60);
    }
  });

  it('does not change when every host is scaled', () => {
    const f = fleet(9, 2, 5, 3);
    const scaled = { released: f.released.map((v) => v.map((x) => x * 1000)), unreleased: f.unreleased.map((v) => v.map((x) => x * 1000)) };
    const a = judge(f)!;
    const b = judge(scaled)!;
    expect(b.noise).toBeCloseTo(a.noise, 9);
    expect(b.trend).toBeCloseTo(a.trend, 9);
    expect(b.score).toBeCloseTo(a.score, 9);
  });

  it('does not judge with fewer than three unreleased hosts', () => {
    const f = fleet(11, 2, 2, 4);
    expect(judge(f)).toBeNull();
  });

  it('never throws and scores within 0–100 on any finite or missing values', () => {
    const value = fc.oneof(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.constant(NaN));
    const host = fc.array(value, { minLength: 30, maxLength: 30 }).map((a) => Float64Array.from(a));
    fc.assert(
      fc.property(fc.array(host, { minLength: 1, maxLength: 3 }), fc.array(host, { minLength: 0, maxLength: 6 }), (released, unreleased) => {
        const history = newHostsHistory(unreleased, 18, { ...cfg, nullPoints: 18, nullWindowPoints: 6 }, 'both');
        const r = newHostsView(released, unreleased, 18, 30, cfg, 'both', history);
        if (r) expect(r.score >= 0 && r.score <= 100).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
