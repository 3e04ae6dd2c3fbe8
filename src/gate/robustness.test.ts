import { describe, expect, it } from 'vitest';
import { generateCase, v1Preset, type CaseKind } from '../../datasets/generator/index.js';
import { createRandom } from '../core/random.js';
import type { ParsedCase } from '../datasets/case.js';
import { binomialUpper, evaluate } from './evaluate.js';

const cutIndex = (c: ParsedCase) => Math.ceil((c.release.deployedAt - c.start) / c.step);

/** A generated case of `kind` (an index past the shipped dataset's 600). */
const generated = (kind: CaseKind, index: number): ParsedCase => generateCase(v1Preset, 20_100 + index, kind);

/** `c` with `change(values, cut)` applied to a copy of the first released host's values of each metric `which` picks (default: latencies). */
function onFirstReleasedHost(c: ParsedCase, change: (values: Float64Array, cut: number) => void, which = (m: ParsedCase['metrics'][number]) => m.name.endsWith('.rt')): ParsedCase {
  const cut = cutIndex(c);
  return {
    ...c,
    metrics: c.metrics.map((m) => {
      if (!which(m)) return m;
      const values = m.released[0].values.slice();
      change(values, cut);
      return { ...m, released: [{ host: m.released[0].host, values }, ...m.released.slice(1)] };
    }),
  };
}

describe('evaluate(case): one stray point is not a release fault', () => {
  it('a lone slow request (one point at 4× its level) on one released host → PASS', () => {
    // Cases judged PASS whose first released host has a latency metric with a clean window (no
    // slow request of its own there: this is about one alone).
    const cleanMetric = (c: ParsedCase, m: ParsedCase['metrics'][number]) => {
      if (!m.name.endsWith('.rt')) return false;
      const sorted = Float64Array.from(m.released[0].values.subarray(cutIndex(c))).sort();
      return sorted[sorted.length - 1] < 1.3 * sorted[Math.floor(sorted.length / 2)];
    };
    const clean = (c: ParsedCase) => c.metrics.some((m) => cleanMetric(c, m));
    const normal = Array.from({ length: 16 }, (_, i) => generated('normal', i)).filter((c) => clean(c) && evaluate(c).decision === 'PASS');
    expect(normal.length).toBeGreaterThanOrEqual(3);
    for (const c of normal.slice(0, 3)) {
      const spiked = onFirstReleasedHost(c, (v, cut) => {
        v[cut + 5] = 4 * v[cut + 4];
      }, (m) => cleanMetric(c, m));
      expect(evaluate(spiked).decision, c.id).toBe('PASS');
    }
  });

  it('the same host at 4× its level over the whole window (a level shift) → FAIL', () => {
    const c = generated('normal', 0);
    const shifted = onFirstReleasedHost(c, (v, cut) => {
      for (let i = cut; i < v.length; i++) v[i] = 4 * v[i];
    });
    expect(evaluate(shifted).decision).toBe('FAIL');
  });

  it('a metric that sits at 0 with one event in the window is not anomalous; twelve events are', () => {
    const c = generated('normal', 1);
    const zeros = (one: (cut: number, i: number) => number): ParsedCase => {
      const cut = cutIndex(c);
      const metric = c.metrics[0];
      const hosts = (list: typeof metric.released, released: boolean) =>
        list.map((h, k) => ({ host: h.host, values: Float64Array.from(h.values, (_, i) => (released && k === 0 && i >= cut ? one(cut, i) : 0)) }));
      return { ...c, metrics: [{ ...metric, name: 'application.exception.count', category: 'application', direction: 'up', critical: false, released: hosts(metric.released, true), unreleased: hosts(metric.unreleased, false) }], logs: [] };
    };
    const single = evaluate(zeros((cut, i) => (i === cut + 3 ? 1 : 0)));
    expect(single.metrics[0].anomalous).toBe(false);
    expect(single.decision).toBe('PASS');
    const many = evaluate(zeros(() => 3));
    expect(many.metrics[0].anomalous).toBe(true);
  });
});

describe('evaluate(case): slow requests in the hour before do not hide a released host turning noisier', () => {
  /**
   * `c` with every latency of its first released host changed: two slow requests (4× the value
   * before them) 17 and 41 minutes before the release when `slow`, and from the release on noise
   * added that makes the host's own `factor` times as noisy (its σ from the MAD of first differences).
   */
  const changed = (c: ParsedCase, slow: boolean, factor: number, seed: number): ParsedCase => {
    const random = createRandom(seed);
    return onFirstReleasedHost(c, (v, cut) => {
      const differences = Array.from({ length: 59 }, (_, i) => Math.abs(v[cut - 59 + i] - v[cut - 60 + i])).sort((a, b) => a - b);
      const sigma = (1.4826 * differences[29]) / Math.SQRT2;
      if (slow) for (const at of [cut - 17, cut - 41]) v[at] = 4 * v[at - 1];
      for (let i = cut; i < v.length; i++) v[i] += sigma * Math.sqrt(factor * factor - 1) * random.normal();
    });
  };
  const passing = Array.from({ length: 30 }, (_, i) => generated('normal', i)).filter((c) => c.metrics.some((m) => m.name.endsWith('.rt')) && evaluate(c).decision === 'PASS');

  it('the slow requests alone → PASS', () => {
    expect(passing.length).toBeGreaterThanOrEqual(15);
    for (const c of passing) expect(evaluate(changed(c, true, 1, 0)).decision, c.id).toBe('PASS');
  });

  it('four times the noise is still found in at least half the cases it is found in without them', () => {
    // Left in the host's noise and reference roughness, the two slow requests doubled both, and
    // not one of these cases was flagged.
    const flagged = (slow: boolean) => passing.filter((c, i) => evaluate(changed(c, slow, 4, i)).decision !== 'PASS').length;
    const without = flagged(false);
    const withSlow = flagged(true);
    expect(without).toBeGreaterThanOrEqual(4);
    expect(withSlow).toBeGreaterThanOrEqual(Math.ceil(without / 2));
  });
});

describe('evaluate(case): an event on every host excuses only its own share of a count that sat at 0', () => {
  // An error count that never fired before the release (every point 0): relative changes do not
  // exist, so the share the unreleased hosts explain is measured in counts on the released scale.
  const zeroBefore = (releasedRate: number, unreleasedRate: number): ParsedCase => {
    const random = createRandom(7);
    const step = 300_000;
    const start = Date.UTC(2026, 0, 5);
    const host = (name: string, rate: number) => ({ host: name, values: Float64Array.from({ length: 588 }, (_, i) => (i < 576 ? 0 : random.poisson(rate))) });
    return {
      id: `zero-before-${releasedRate}-${unreleasedRate}`, app: 'app', release: { id: 'rel', batch: 1, deployedAt: start + 576 * step }, step, start,
      metrics: [{ name: 'application.error.count', category: 'application', direction: 'up', critical: false, released: [host('r1', releasedRate), host('r2', releasedRate)], unreleased: ['u1', 'u2', 'u3', 'u4'].map((h) => host(h, unreleasedRate)) }],
      logs: [],
    };
  };

  it('20 errors a step on the released hosts while the unreleased hosts see 1 → FAIL', () => {
    const v = evaluate(zeroBefore(20, 1));
    expect(v.decision).toBe('FAIL');
    // The unreleased hosts' move is reported, with the small share of the change it explains.
    const share = /moved too \(\d+\.\d, (\d+) % of the released hosts' change\)/.exec(v.metrics[0].reasons.join('\n'));
    expect(Number(share?.[1])).toBeLessThan(15);
  });

  it('the same errors on every host (an upstream event) → PASS', () => {
    for (const rate of [1, 3, 20]) expect(evaluate(zeroBefore(rate, rate)).decision, `${rate} a step`).toBe('PASS');
  });
});

describe('binomialUpper(k, n, p)', () => {
  it('is P(X ≥ k) for X ~ Binomial(n, p)', () => {
    expect(binomialUpper(0, 12, 0.1)).toBe(1);
    expect(binomialUpper(13, 12, 0.1)).toBe(0);
    expect(binomialUpper(1, 12, 0.1)).toBeCloseTo(1 - 0.9 ** 12, 12);
    expect(binomialUpper(12, 12, 0.5)).toBeCloseTo(0.5 ** 12, 12);
    // P(X ≥ 2), n = 3, p = 0.2: 3 · 0.04 · 0.8 + 0.008
    expect(binomialUpper(2, 3, 0.2)).toBeCloseTo(0.104, 12);
  });
});
