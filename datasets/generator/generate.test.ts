import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeArrowShard } from '../../src/datasets/arrow.js';
import { type ParsedCase, checkCase, metricCategories } from '../../src/datasets/case.js';
import { readSplit, splitText } from '../../src/datasets/dataset.js';
import { generateCase, generateCases, planKinds, splitCases } from './generate.js';
import { type CaseKind, badKinds, goodKinds, unseenPreset, v1Preset } from './presets.js';

/** Bitwise equality of two value arrays (NaN bits included); much faster than a deep equal. */
function same(a: Float64Array, b: Float64Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const shipped = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../release-cases-v1');

describe('planKinds(preset, count)', () => {
  it('gives exactly 40 % bad cases for v1 and the per-kind counts of the datasheet', () => {
    const kinds = planKinds(v1Preset, 600);
    expect(kinds).toHaveLength(600);
    const counts: Record<string, number> = {};
    for (const k of kinds) counts[k] = (counts[k] ?? 0) + 1;
    expect(badKinds.reduce((s, k) => s + (counts[k] ?? 0), 0)).toBe(240);
    expect(counts).toMatchInlineSnapshot(`
      {
        "daily ramp": 18,
        "data gaps": 24,
        "error-rate rise": 25,
        "gradual degradation": 25,
        "latency regression on a few hosts": 25,
        "level shift down": 25,
        "level shift up": 31,
        "low traffic": 30,
        "new fatal exception": 25,
        "normal": 180,
        "small latency regression": 12,
        "small level shift": 18,
        "spike burst": 18,
        "surging old exception": 18,
        "traffic peak": 42,
        "traffic ramp": 30,
        "upstream failure": 36,
        "variance increase": 18,
      }
    `);
    expect(planKinds(v1Preset, 600)).toEqual(kinds);
    expect(planKinds(v1Preset, 600, 1)).not.toEqual(kinds);
  });
});

describe('generateCase(preset, index, kind)', () => {
  const cases: ParsedCase[] = [];
  const kinds = planKinds(v1Preset, 600);
  for (let i = 0; i < 40; i++) cases.push(generateCase(v1Preset, i, kinds[i] as CaseKind));

  it('makes valid cases with all five categories, 5–8 metrics, 4–9 hosts (2–3 without control hosts) and a label naming the kind', () => {
    for (const [i, c] of cases.entries()) {
      expect(checkCase(c)).toEqual([]);
      expect(c.id).toBe(`v1-${String(i).padStart(4, '0')}`);
      expect(new Set(c.metrics.map((m) => m.category))).toEqual(new Set(metricCategories));
      expect(c.metrics.length).toBeGreaterThanOrEqual(5);
      expect(c.metrics.length).toBeLessThanOrEqual(8);
      const hosts = c.metrics[0]!.released.length + c.metrics[0]!.unreleased.length;
      expect(hosts).toBeGreaterThanOrEqual(c.metrics[0]!.unreleased.length === 0 ? 2 : 4);
      expect(hosts).toBeLessThanOrEqual(9);
      expect(c.label!.kind).toBe(kinds[i]);
      expect(c.label!.bad).toBe((badKinds as readonly string[]).includes(kinds[i]!));
      if (c.label!.bad) expect(c.label!.metrics.length).toBeGreaterThan(0);
      else expect(c.label!.metrics).toEqual([]);
      expect(c.release.deployedAt - c.start).toBe(v1Preset.historyPoints * v1Preset.step);
      for (let k = 1; k < c.logs.length; k++) expect(c.logs[k]!.t).toBeGreaterThanOrEqual(c.logs[k - 1]!.t);
    }
  });

  it('is pure: the same arguments give the same case', () => {
    expect(generateCase(v1Preset, 3, 'spike burst')).toEqual(generateCase(v1Preset, 3, 'spike burst'));
  });

  // These kinds choose their metrics and hosts as a healthy case does, so the pair differs only by the fault.
  const sameShape: CaseKind[] = ['level shift up', 'level shift down', 'spike burst', 'gradual degradation', 'variance increase', 'small level shift'];
  it.each(sameShape)('a "%s" fault changes only the labeled metrics of released hosts, from the deployment on', (kind) => {
    for (const index of [0, 1, 2]) {
      const healthy = generateCase(v1Preset, index, 'normal');
      const faulty = generateCase(v1Preset, index, kind);
      expect(faulty.metrics.map((m) => m.name)).toEqual(healthy.metrics.map((m) => m.name));
      expect(faulty.logs).toEqual(healthy.logs);
      const labeled = new Set(faulty.label!.metrics);
      expect(labeled.size).toBeGreaterThan(0);
      faulty.metrics.forEach((metric, m) => {
        const before = healthy.metrics[m]!;
        expect(metric.unreleased.map((h) => h.host)).toEqual(before.unreleased.map((h) => h.host));
        expect(metric.unreleased.every((h, k) => same(h.values, before.unreleased[k]!.values))).toBe(true);
        metric.released.forEach((host, h) => {
          const reference = before.released[h]!.values;
          if (!labeled.has(metric.name)) {
            expect(same(host.values, reference)).toBe(true);
            return;
          }
          expect(same(host.values.subarray(0, v1Preset.historyPoints), reference.subarray(0, v1Preset.historyPoints))).toBe(true);
        });
        if (labeled.has(metric.name)) {
          const changed = metric.released.some((host, h) => host.values.some((v, i) => i >= v1Preset.historyPoints && v !== before.released[h]!.values[i] && v === v));
          expect(changed).toBe(true);
        }
      });
    }
  });

  it('a traffic peak (a confounder) moves released and unreleased hosts alike and is labeled good', () => {
    const healthy = generateCase(v1Preset, 5, 'normal');
    const peak = generateCase(v1Preset, 5, 'traffic peak');
    expect(peak.label).toEqual({ bad: false, metrics: [], kind: 'traffic peak' });
    const volume = peak.metrics.find((m) => m.name.endsWith('.qps') || m.name.endsWith('.count'));
    expect(volume).toBeDefined();
    const ratio = (c: ParsedCase, group: 'released' | 'unreleased'): number => {
      const metric = c.metrics.find((m) => m.name === volume!.name)!;
      let observed = 0;
      let last = 0;
      for (const host of metric[group]) {
        for (let i = v1Preset.historyPoints; i < host.values.length; i++) observed += host.values[i]! || 0;
        for (let i = v1Preset.historyPoints - 12; i < v1Preset.historyPoints; i++) last += host.values[i]! || 0;
      }
      return observed / last;
    };
    expect(ratio(peak, 'released') / ratio(healthy, 'released')).toBeGreaterThan(1.15);
    expect(ratio(peak, 'unreleased') / ratio(healthy, 'unreleased')).toBeGreaterThan(1.15);
  });

  it('a new fatal exception shows in the released hosts\' logs only, after the deployment', () => {
    const c = generateCase(v1Preset, 7, 'new fatal exception');
    const released = new Set(c.metrics[0]!.released.map((h) => h.host));
    const background = new Set(c.logs.filter((e) => e.t < c.release.deployedAt).map((e) => e.signature));
    const fresh = c.logs.filter((e) => !background.has(e.signature));
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.every((e) => released.has(e.host) && e.t >= c.release.deployedAt)).toBe(true);
    expect(c.label!.metrics).toContain('logs');
  });

  it('the unseen preset makes other, valid cases', () => {
    const unseen = [...generateCases(unseenPreset, { count: 12 })];
    expect(unseen.map((c) => c.id)[0]).toBe('unseen-0000');
    for (const c of unseen) expect(checkCase(c)).toEqual([]);
    expect(unseen.filter((c) => c.label!.bad)).toHaveLength(Math.round(12 * unseenPreset.badShare));
    expect(unseenPreset.apps).not.toContain(cases[0]!.app);
  });
});

describe('splitCases(preset, cases)', () => {
  it('puts about 70 % of every kind in train, disjoint and complete', () => {
    const kinds = planKinds(v1Preset, 600);
    const cases = kinds.map((kind, i) => ({ id: `v1-${String(i).padStart(4, '0')}`, kind }));
    const split = splitCases(v1Preset, cases);
    const train = new Set(split.train);
    expect(split.train.length + split.test.length).toBe(600);
    expect(split.test.every((id) => !train.has(id))).toBe(true);
    for (const kind of [...badKinds, ...goodKinds]) {
      const all = cases.filter((c) => c.kind === kind);
      const inTrain = all.filter((c) => train.has(c.id)).length;
      expect(Math.abs(inTrain - all.length * v1Preset.trainShare)).toBeLessThanOrEqual(0.5);
    }
  });
});

describe('the shipped datasets/release-cases-v1', () => {
  it('is present (it is committed)', () => {
    expect(existsSync(path.join(shipped, 'manifest.json'))).toBe(true);
  });

  it('regenerates byte for byte: shard 0 (cases 0–49), the manifest and the split', async () => {
    const manifest = JSON.parse(await readFile(path.join(shipped, 'manifest.json'), 'utf8')) as { cases: number; shards: { count: number }[] };
    expect(manifest.cases).toBe(600);
    expect(manifest.shards).toHaveLength(12);
    const kinds = planKinds(v1Preset, 600);
    const cases = Array.from({ length: 50 }, (_, i) => generateCase(v1Preset, i, kinds[i] as CaseKind));
    const bytes = encodeArrowShard(cases);
    expect(Buffer.compare(Buffer.from(bytes.cases), await readFile(path.join(shipped, 'cases-0000.arrow')))).toBe(0);
    expect(Buffer.compare(Buffer.from(bytes.series), await readFile(path.join(shipped, 'series-0000.arrow')))).toBe(0);
    expect(Buffer.compare(Buffer.from(bytes.logs), await readFile(path.join(shipped, 'logs-0000.arrow')))).toBe(0);
    const split = splitCases(v1Preset, kinds.map((kind, i) => ({ id: `v1-${String(i).padStart(4, '0')}`, kind })));
    expect(await readFile(path.join(shipped, 'split.json'), 'utf8')).toBe(splitText(split));
    expect(await readSplit(shipped)).toEqual(split);
  });
});
