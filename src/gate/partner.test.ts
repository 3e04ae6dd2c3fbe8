import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateCase, v1Preset, withoutReleasedHistory } from '../../datasets/generator/index.js';
import { createRandom } from '../core/random.js';
import { GateCache } from './cache.js';
import { evaluate } from './evaluate.js';
import { historyLevels, partnerHistory, partnerView, ratioSeries } from './partner.js';
import { parsePolicy } from './policy.js';

const cfg = parsePolicy({}).views.pooled;
const CUT = 400;
const LENGTH = CUT + 12;

interface Fleet {
  /** Per metric (0: the judged one, then candidates), the released and the unreleased hosts. */
  released: Float64Array[][];
  unreleased: Float64Array[][];
}

/**
 * `released` hosts new at the release and `unreleased` hosts with a past. Each host has a size
 * (log-normal, 20 %) that scales its traffic; metric 0 is one traffic figure, metric 1 another
 * (the partner), metric 2 a latency of its own per-host speed. 2 % noise per point. From the
 * release on, `change(metric, isNew)` multiplies the values.
 */
function fleet(seed: number, released: number, unreleased: number, change: (metric: number, isNew: boolean) => number = () => 1): Fleet {
  const random = createRandom(seed);
  const out: Fleet = { released: [[], [], []], unreleased: [[], [], []] };
  const host = (isNew: boolean) => {
    const size = random.logNormal(0, 0.2);
    const speed = random.logNormal(0, 0.15);
    const base = [100 * size, 40 * size, 20 * speed];
    for (let m = 0; m < 3; m++) {
      const after = change(m, isNew);
      const values = Float64Array.from({ length: LENGTH }, (_, i) => (isNew && i < CUT ? NaN : base[m] * (1 + 0.3 * Math.sin(i / 40)) * (1 + 0.02 * random.normal()) * (i >= CUT ? after : 1)));
      (isNew ? out.released : out.unreleased)[m].push(values);
    }
  };
  for (let h = 0; h < released; h++) host(true);
  for (let h = 0; h < unreleased; h++) host(false);
  return out;
}

function judge(f: Fleet, direction: 'up' | 'down' | 'both' = 'both', candidates = [1, 2]) {
  const history = partnerHistory(historyLevels(f.unreleased[0], CUT, cfg), candidates.map((m) => historyLevels(f.unreleased[m], CUT, cfg)), cfg, direction);
  if (!history) return null;
  const p = candidates[history.partner];
  return { history, result: partnerView(f.released[0], f.released[p], f.unreleased[0], f.unreleased[p], CUT, LENGTH, cfg, direction, history, `m${p}`) };
}

describe('partnerHistory and partnerView', () => {
  it('take the metric that shares the hosts\' sizes as the partner, and not one of their own', () => {
    const found = judge(fleet(1, 2, 6));
    expect(found?.result?.partner).toBe('m1');
    expect(found!.history.share).toBeLessThan(0.25);
    // Only the latency, whose hosts differ by speed, not size: no partner.
    expect(judge(fleet(1, 2, 6), 'both', [2])).toBeNull();
  });

  it('see a 15 % drop on new hosts of any size in most batches, and healthy new hosts in none', () => {
    let caught = 0;
    let quietFlagged = 0;
    for (let seed = 1; seed <= 200; seed++) {
      if ((judge(fleet(seed, 2, 6, (m, isNew) => (m === 0 && isNew ? 0.85 : 1)))?.result?.score ?? 0) >= 60) caught++;
      if ((judge(fleet(seed, 2, 6))?.result?.score ?? 0) >= 60) quietFlagged++;
    }
    expect(caught).toBeGreaterThanOrEqual(180);
    expect(quietFlagged).toBeLessThanOrEqual(2);
  });

  it('are not moved by a traffic peak on every host (both metrics double)', () => {
    let flagged = 0;
    for (let seed = 1; seed <= 200; seed++) if ((judge(fleet(seed, 2, 6, (m) => (m < 2 ? 2 : 1)))?.result?.score ?? 0) >= 60) flagged++;
    expect(flagged).toBeLessThanOrEqual(2);
  });

  it('widen the band when the spread rests on three hosts\' own offsets', () => {
    // The partner explains sizes only in part: each host keeps an offset of its own.
    const offsets = (seed: number, unreleased: number) => {
      const f = fleet(seed, 2, unreleased);
      const random = createRandom(seed + 1000);
      for (const v of f.unreleased[1]) {
        const own = random.logNormal(0, 0.03);
        for (let i = 0; i < v.length; i++) v[i] *= own;
      }
      return judge(f);
    };
    const median = (x: number[]) => x.sort((a, b) => a - b)[Math.floor(x.length / 2)];
    const runs = (unreleased: number) => Array.from({ length: 40 }, (_, k) => offsets(k + 1, unreleased)).filter((x) => x?.result);
    const few = runs(3);
    const many = runs(12);
    expect(few.length).toBeGreaterThanOrEqual(10);
    expect(many.length).toBeGreaterThanOrEqual(10);
    expect(median(few.map((x) => x!.history.freedom))).toBeLessThan(median(many.map((x) => x!.history.freedom)));
    expect(median(few.map((x) => x!.result!.band))).toBeGreaterThan(1.5 * median(many.map((x) => x!.result!.band)));
    for (const x of [...few, ...many]) expect(x!.result!.band).toBeGreaterThanOrEqual(cfg.shiftBand);
  });

  it('never throw on any values (NaN, zeros, negatives), keep the score in 0–100 and ignore the metric\'s unit', () => {
    const value = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(NaN), fc.constant(0));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.array(fc.tuple(fc.nat(LENGTH - 1), value), { maxLength: 40 }), fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (seed, edits, unit) => {
        const f = fleet(seed, 2, 5, (m, isNew) => (m === 0 && isNew ? 1.1 : 1));
        const hosts = [...f.released[0], ...f.unreleased[0], ...f.unreleased[1]];
        edits.forEach(([i, v], k) => (hosts[k % hosts.length][i] = v));
        const found = judge(f);
        if (found?.result) {
          expect(found.result.score).toBeGreaterThanOrEqual(0);
          expect(found.result.score).toBeLessThanOrEqual(100);
        }
        const scaled: Fleet = { released: [f.released[0].map((v) => v.map((x) => x * unit)), ...f.released.slice(1)], unreleased: [f.unreleased[0].map((v) => v.map((x) => x * unit)), ...f.unreleased.slice(1)] };
        const again = judge(scaled);
        expect(again?.result ? 'judged' : 'not').toBe(found?.result ? 'judged' : 'not');
        if (found?.result && again?.result) expect(again.result.score).toBeCloseTo(found.result.score, 6);
      }),
      { numRuns: 150 },
    );
  });
});

describe('ratioSeries(hosts, partners, from, to)', () => {
  it('is the hosts\' geometric mean of value over partner, per point, over the points where both are positive', () => {
    const hosts = [Float64Array.from([2, 8, NaN, 0]), Float64Array.from([4, 2, NaN, 5])];
    const partners = [Float64Array.from([1, 2, 1, 1]), Float64Array.from([1, 1, 1, -1])];
    const r = ratioSeries(hosts, partners, 0, 4);
    expect(r[0]).toBeCloseTo(Math.sqrt(2 * 4), 12);
    expect(r[1]).toBeCloseTo(Math.sqrt(4 * 2), 12);
    expect(r[2]).toBeNaN();
    expect(r[3]).toBeNaN();
    expect(Array.from(ratioSeries(hosts, [partners[0], undefined], 1, 3))).toEqual([4, NaN]);
  });
});

describe('the gate with released hosts new with the release', () => {
  it('fails a level shift down of order count that new hosts\' sizes hid, naming the partner metric', () => {
    // v1-0703: two new released hosts, four unreleased; order count down 3–12 noise σ on the new
    // hosts, within the 15 % by which the hosts' sizes differ.
    const c = withoutReleasedHistory(generateCase(v1Preset, 703, 'level shift down'));
    const verdict = evaluate(c);
    expect(verdict.decision).toBe('FAIL');
    const orders = verdict.metrics.find((m) => m.name === 'business.order.count')!;
    expect(orders.anomalous).toBe(true);
    expect(orders.views.partner?.partner).toBe('middleware.tddl.write.qps');
    expect(orders.reasons[0]).toMatch(/0\.\d\d× the level against middleware\.tddl\.write\.qps/);
    // Its picture: the new hosts' order count over their queries below the unreleased hosts'.
    const [released, unreleased] = orders.plot!.againstPartner!;
    const meanAfter = (values: (number | null)[]) => {
      const after = values.slice(-12).filter((v): v is number => v !== null);
      return after.reduce((a, b) => a + b, 0) / after.length;
    };
    expect(meanAfter(released.values)).toBeLessThan(0.9 * meanAfter(unreleased.values));
    // Without the view, nothing else sees it; the noise-and-trend switch (hosts that warm up) leaves it on.
    expect(evaluate(c, { views: { pooled: { partner: false } } }).decision).toBe('PASS');
    expect(evaluate(c, { views: { pooled: { newHosts: false } } }).decision).toBe('FAIL');
  });

  it('judges the new hosts beside released hosts with a past (a scale-out with the release)', () => {
    // v1-0768 with every other released host new: the slow one is new, and views 1–4 read only the
    // one with a past. Its latency against its other latency (a host's speed is shared) shows it.
    const c = withoutReleasedHistory(generateCase(v1Preset, 768, 'latency regression on a few hosts'), (j) => j % 2 === 1);
    const verdict = evaluate(c);
    expect(verdict.decision).toBe('FAIL');
    const rt = verdict.metrics.find((m) => m.name === 'middleware.hsf.provider.rt')!;
    expect(rt.views.partner?.partner).toBe('middleware.tddl.read.rt');
    expect(rt.views.partner!.ratio).toBeGreaterThan(1.2);
    expect(evaluate(c, { views: { pooled: { partner: false } } }).decision).toBe('PASS');
  });

  it('gives the same verdict with and without a cache when metrics have different unreleased hosts', () => {
    // One metric lacks an unreleased host: each metric's levels must be those of its own hosts.
    const c = withoutReleasedHistory(generateCase(v1Preset, 703, 'level shift down'));
    const uneven = { ...c, metrics: c.metrics.map((m, k) => (k === 0 ? { ...m, unreleased: m.unreleased.slice(1) } : m)) };
    const plain = evaluate(uneven);
    const cached = evaluate(uneven, {}, { cache: new GateCache() });
    expect(plain.score).toBe(cached.score);
    expect(plain.metrics.map((m) => m.views.partner ?? null)).toEqual(cached.metrics.map((m) => m.views.partner ?? null));
  });

  it('leaves batches whose released hosts have a past as they were (the view runs only for new hosts)', () => {
    const c = generateCase(v1Preset, 703, 'level shift down');
    const withView = evaluate(c);
    const without = evaluate(c, { views: { pooled: { partner: false } } });
    expect(withView.score).toBe(without.score);
    expect(withView.metrics.every((m) => m.views.partner === undefined)).toBe(true);
  });
});
