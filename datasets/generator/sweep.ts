/**
 * How small a fault the gate sees: faults of fixed sizes injected into the released hosts of
 * generated batches, with and without unreleased hosts, replayed through a gate configuration.
 * Sizes are in multiples of each host's own noise (σ of its first differences / √2 over the six
 * hours before the release, as the generator measures it; for a noise increase, the factor on σ).
 *
 * Every size of a fault reuses the same batches (same indices, same world: only the fault's size
 * differs), so recall rises with size by the fault alone. The same batches without a fault give
 * the false-positive rate. Used by `bench/sensitivity.bench.ts` and the `sensitivity` notebook.
 */
import type { ParsedCase } from '../../src/datasets/case.js';
import type { ReplayConfig } from '../../src/replay/config.js';
import { accuracy } from '../../src/replay/metrics.js';
import { replayAll } from '../../src/replay/pool.js';
import { generateCase } from './generate.js';
import type { BadKind, CaseKind, GeneratorPreset } from './presets.js';

export interface FaultSweep {
  name: string;
  kind: BadKind;
  /** The preset's effect the size fixes (drawn from [size, size]). */
  effect: keyof GeneratorPreset['effects'];
  /** `σ`: a shift in host noise; `×`: a factor on it. */
  unit: 'σ' | '×';
  sizes: readonly number[];
}

export const faultSweeps: readonly FaultSweep[] = [
  { name: 'level shift (every released host)', kind: 'small level shift', effect: 'smallShift', unit: 'σ', sizes: [0.5, 1, 1.5, 2, 3, 4] },
  { name: 'latency shift on 1–2 released hosts', kind: 'latency regression on a few hosts', effect: 'fewHostsShift', unit: 'σ', sizes: [1, 2, 3, 4, 6] },
  { name: 'noise increase (every released host)', kind: 'variance increase', effect: 'variance', unit: '×', sizes: [1.5, 2, 3, 4, 6] },
  { name: 'spike burst (2–4 points)', kind: 'spike burst', effect: 'spike', unit: 'σ', sizes: [3, 4, 6, 8, 12] },
];

/** Case indices of the batches, past both presets' shipped or default cases. */
export const SWEEP_FIRST_INDEX = 50_000;

/** `count` batches of `kind` in the world of `preset`, all with or all without unreleased hosts, the effect fixed at `size`. */
export function sweepCases(preset: GeneratorPreset, kind: CaseKind, count: number, control: boolean, effect?: { key: keyof GeneratorPreset['effects']; size: number }): ParsedCase[] {
  const world: GeneratorPreset = {
    ...preset,
    noUnreleasedChance: control ? 0 : 1,
    effects: effect ? { ...preset.effects, [effect.key]: [effect.size, effect.size] } : preset.effects,
  };
  return Array.from({ length: count }, (_, i) => generateCase(world, SWEEP_FIRST_INDEX + i, kind));
}

/** Smallest size at which recall reaches `level`, linear between the sizes measured; null when it never does. */
export function sizeAtRecall(sizes: readonly number[], recalls: readonly number[], level: number): number | null {
  for (let i = 0; i < sizes.length; i++) {
    if (recalls[i] >= level) {
      if (i === 0) return sizes[0];
      const [a, b] = [recalls[i - 1], recalls[i]];
      return sizes[i - 1] + ((level - a) / (b - a)) * (sizes[i] - sizes[i - 1]);
    }
  }
  return null;
}

export interface SweepRow {
  fault: FaultSweep;
  control: boolean;
  /** Recall (0–1) at each of `fault.sizes`. */
  recalls: number[];
  sizeAt50: number | null;
  sizeAt90: number | null;
}

export interface SweepResult {
  world: string;
  /** Batches per size. */
  count: number;
  rows: SweepRow[];
  /** The same batches without a fault: `count` × 2 per control setting. */
  healthy: { control: boolean; cases: number; falsePositiveRate: number }[];
  evaluations: number;
  seconds: number;
}

/**
 * Runs every fault at every size with and without unreleased hosts (`count` batches each) and the
 * healthy batches, in one replay (one worker pool). O(faults × sizes × count) evaluations.
 */
export async function runSweep(preset: GeneratorPreset, config: ReplayConfig, options: { count: number; workers?: number; onProgress?: (done: number, total: number) => void }): Promise<SweepResult> {
  const { count } = options;
  const cells: { control: boolean; fault: FaultSweep | null; size: number; cases: ParsedCase[] }[] = [];
  for (const control of [true, false]) {
    for (const fault of faultSweeps) for (const size of fault.sizes) cells.push({ control, fault, size, cases: sweepCases(preset, fault.kind, count, control, { key: fault.effect, size }) });
    cells.push({ control, fault: null, size: 0, cases: sweepCases(preset, 'normal', count * 2, control) });
  }
  // Ids name their cell: the same index recurs at every size.
  const all = cells.flatMap((cell, c) => cell.cases.map((x) => ({ ...x, id: `${c}/${x.id}` })));
  const started = Date.now();
  const outcomes = await replayAll(all, config, { workers: options.workers, onProgress: options.onProgress });
  const seconds = (Date.now() - started) / 1000;
  const of = (c: number) => accuracy(outcomes.filter((o) => o.id.startsWith(`${c}/`)));
  const rows: SweepRow[] = [];
  const healthy: SweepResult['healthy'] = [];
  for (const control of [true, false]) {
    for (const fault of faultSweeps) {
      const recalls = fault.sizes.map((size) => of(cells.findIndex((x) => x.control === control && x.fault === fault && x.size === size)).recall);
      rows.push({ fault, control, recalls, sizeAt50: sizeAtRecall(fault.sizes, recalls, 0.5), sizeAt90: sizeAtRecall(fault.sizes, recalls, 0.9) });
    }
    healthy.push({ control, cases: count * 2, falsePositiveRate: of(cells.findIndex((x) => x.control === control && x.fault === null)).falsePositiveRate });
  }
  return { world: preset.name, count, rows, healthy, evaluations: all.length, seconds };
}
