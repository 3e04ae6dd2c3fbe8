import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import { createRandom } from '../../src/core/random.js';
import { series } from '../../src/core/series.js';
import { didConfigSchema, didDetect } from './did.js';

const config = parseConfig(didConfigSchema, {}, 'did');
const step = 60_000;

/** Two groups sharing a daily-ish wave and noise; `treatedLevel` scales the released group. */
function pair(options: { n?: number; cut?: number; seed?: number; treatedLevel?: number; effect?: (i: number, v: number) => number; common?: (i: number, v: number) => number; noise?: number } = {}) {
  const n = options.n ?? 400;
  const cut = options.cut ?? 360;
  const random = createRandom(options.seed ?? 1);
  const noise = options.noise ?? 1;
  const treated = new Float64Array(n);
  const control = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const wave = 100 + 20 * Math.sin((2 * Math.PI * i) / 120);
    let t = wave * (options.treatedLevel ?? 1.2) + random.normal(0, noise);
    let c = wave + random.normal(0, noise);
    if (options.common) {
      t = options.common(i, t);
      c = options.common(i, c);
    }
    if (options.effect && i >= cut) t = options.effect(i, t);
    treated[i] = t;
    control[i] = c;
  }
  return {
    history: series(0, step, treated.subarray(0, cut)),
    controlHistory: series(0, step, control.subarray(0, cut)),
    treated: series(cut * step, step, treated.subarray(cut)),
    control: series(cut * step, step, control.subarray(cut)),
  };
}

describe('did(treated, control, histories)', () => {
  it('does not flag a pair that keeps its usual relation', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const r = didDetect({ ...pair({ seed }), direction: 'both' }, config);
      expect(r.status).toBe('ok');
      expect(r.anomalous, `seed ${seed}: ${JSON.stringify(r.evidence)}`).toBe(false);
    }
  });

  it('flags a level shift on the released hosts in the right direction', () => {
    const up = didDetect({ ...pair({ effect: (_i, v) => v + 12 }), direction: 'up' }, config);
    expect(up).toMatchObject({ anomalous: true, direction: 'up' });
    const down = didDetect({ ...pair({ effect: (_i, v) => v - 12 }), direction: 'down' }, config);
    expect(down).toMatchObject({ anomalous: true, direction: 'down' });
    // The harmless direction scores nothing.
    expect(didDetect({ ...pair({ effect: (_i, v) => v - 12 }), direction: 'up' }, config).anomalous).toBe(false);
  });

  it('cancels an event that scales every host (a traffic peak) and one that adds to every host', () => {
    const peak = didDetect({ ...pair({ common: (i, v) => (i >= 365 ? v * 2 : v) }), direction: 'both' }, config);
    expect(peak.anomalous, JSON.stringify(peak.evidence)).toBe(false);
    const upstream = didDetect({ ...pair({ common: (i, v) => (i >= 365 ? v + 40 : v) }), direction: 'both' }, config);
    expect(upstream.anomalous, JSON.stringify(upstream.evidence)).toBe(false);
  });

  it('flags a variance increase on the released hosts only', () => {
    const random = createRandom(9);
    const r = didDetect({ ...pair({ effect: (_i, v) => v + random.normal(0, 10) }), direction: 'up' }, config);
    expect(r.anomalous).toBe(true);
    expect(r.evidence.spreadScore).toBeGreaterThan(50);
  });

  it('a control quiet for a few minutes by chance does not make the released hosts\' usual noise a spread; a control that roughens with them excuses it', () => {
    // Ten window minutes; the unreleased aggregate's noise there a tenth of its usual.
    const p = pair({ n: 370 });
    const quiet = Float64Array.from(p.control.values, (v, i) => 100 + 20 * Math.sin((2 * Math.PI * (360 + i)) / 120) + 0.1 * (v - (100 + 20 * Math.sin((2 * Math.PI * (360 + i)) / 120))));
    const r = didDetect({ ...p, control: series(p.control.start, step, quiet), direction: 'both' }, config);
    expect(r.evidence.spreadScore, JSON.stringify(r.evidence)).toBeLessThan(30);
    // Both groups four times as noisy: an event on every host.
    const random = createRandom(5);
    const louder = (s: typeof p.treated) => series(s.start, step, Float64Array.from(s.values, (v) => v + random.normal(0, 4)));
    const common = didDetect({ ...p, treated: louder(p.treated), control: louder(p.control), direction: 'both' }, config);
    expect(common.evidence.spreadScore, JSON.stringify(common.evidence)).toBeLessThan(50);
    // The released group alone: flagged.
    expect(didDetect({ ...p, treated: louder(p.treated), direction: 'both' }, config).evidence.spreadScore).toBeGreaterThan(50);
  });

  it('answers insufficient data without a control, its history, or enough points', () => {
    const p = pair();
    expect(didDetect({ treated: p.treated, history: p.history }, config).status).toBe('insufficient_data');
    expect(didDetect({ treated: p.treated, control: p.control, history: p.history }, config).reason).toMatch(/history of both/);
    const empty = { ...p, treated: series(p.treated.start, step, new Float64Array(40).fill(NaN)) };
    expect(didDetect(empty, config).reason).toMatch(/window points/);
  });

  it('never throws and keeps the score in 0–100 on any finite input with NaN gaps', () => {
    const value = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(NaN));
    fc.assert(
      fc.property(fc.array(value, { minLength: 0, maxLength: 80 }), fc.array(value, { minLength: 0, maxLength: 80 }), fc.constantFrom('up', 'down', 'both' as const), (a, b, direction) => {
        const n = Math.min(a.length, b.length);
        const cut = Math.floor(n * 0.75);
        const r = didDetect(
          {
            history: series(0, step, a.slice(0, cut)),
            controlHistory: series(0, step, b.slice(0, cut)),
            treated: series(cut * step, step, a.slice(cut, n)),
            control: series(cut * step, step, b.slice(cut, n)),
            direction,
          },
          parseConfig(didConfigSchema, { minBaselinePoints: 4 }, 'did'),
        );
        expect(r.score).toBeGreaterThanOrEqual(0);
        expect(r.score).toBeLessThanOrEqual(100);
        expect(() => JSON.stringify(r)).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });

  it('is invariant to scaling both groups', () => {
    const p = pair({ effect: (_i, v) => v + 5 });
    const scale = (s: ReturnType<typeof series>, k: number) => series(s.start, s.step, Array.from(s.values, (v) => v * k));
    const a = didDetect({ ...p, direction: 'up' }, config);
    const b = didDetect({ history: scale(p.history, 1000), controlHistory: scale(p.controlHistory, 1000), treated: scale(p.treated, 1000), control: scale(p.control, 1000), direction: 'up' }, config);
    expect(b.score).toBeCloseTo(a.score, 6);
  });
});
