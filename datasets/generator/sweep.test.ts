import { describe, expect, it } from 'vitest';
import { v1Preset } from './presets.js';
import { faultSweeps, sizeAtRecall, sweepCases } from './sweep.js';

describe('sizeAtRecall(sizes, recalls, level)', () => {
  it('interpolates linearly between the sizes measured, gives the first size when it already reaches the level, null when none does', () => {
    expect(sizeAtRecall([1, 2, 3], [0.2, 0.6, 1], 0.5)).toBeCloseTo(1.75, 12);
    expect(sizeAtRecall([1, 2, 3], [0.2, 0.6, 1], 0.9)).toBeCloseTo(2.75, 12);
    expect(sizeAtRecall([1, 2, 3], [0.95, 1, 1], 0.9)).toBe(1);
    expect(sizeAtRecall([1, 2, 3], [0, 0.2, 0.4], 0.5)).toBeNull();
  });
});

describe('sweepCases(preset, kind, count, control, effect)', () => {
  it('gives the same batches at every size: only the labeled metric of the released hosts differs, from the release on', () => {
    const shift = faultSweeps[0];
    const [small] = sweepCases(v1Preset, shift.kind, 1, true, { key: shift.effect, size: 1 });
    const [large] = sweepCases(v1Preset, shift.kind, 1, true, { key: shift.effect, size: 3 });
    expect(large.id).toBe(small.id);
    expect(large.label!.metrics).toEqual(small.label!.metrics);
    const cut = Math.ceil((small.release.deployedAt - small.start) / small.step);
    for (const [i, metric] of small.metrics.entries()) {
      const other = large.metrics[i];
      expect(other.unreleased).toEqual(metric.unreleased);
      for (const [h, host] of metric.released.entries()) {
        const differs = Array.from(host.values, (v, t) => !Object.is(v, other.released[h].values[t]));
        expect(differs.slice(0, cut).some(Boolean)).toBe(false);
        // A shift of 3 σ moves every window point of a labeled metric; other metrics are untouched.
        expect(differs.slice(cut + 1).every(Boolean)).toBe(small.label!.metrics.includes(metric.name));
      }
    }
  });

  it('without control, no batch has unreleased hosts; with control, every batch has them', () => {
    for (const c of sweepCases(v1Preset, 'normal', 5, false)) expect(c.metrics.every((m) => m.unreleased.length === 0)).toBe(true);
    for (const c of sweepCases(v1Preset, 'normal', 5, true)) expect(c.metrics.every((m) => m.unreleased.length > 0)).toBe(true);
  });
});
