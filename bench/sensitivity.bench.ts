/**
 * How small a fault the gate sees: recall of the default gate against the size of a fault injected
 * on the released hosts, with and without unreleased hosts, and its false-positive rate on the same
 * batches without a fault. Sizes are in multiples of each host's own noise (σ of its first
 * differences / √2 over the six hours before the release, as the generator measures it), so a row
 * reads as a minimum detectable effect for one-hour windows of five-minute points.
 *
 * Every size of a row reuses the same batches (same index, same world: only the fault's size
 * differs), so recall rises with size by the fault alone. Printed per world (generator preset).
 */
import { generateCase, unseenPreset, v1Preset, type BadKind, type CaseKind, type GeneratorPreset } from '../datasets/generator/index.js';
import type { ParsedCase } from '../src/datasets/case.js';
import { parseReplayConfig } from '../src/replay/config.js';
import { accuracy } from '../src/replay/metrics.js';
import { replayAll } from '../src/replay/pool.js';
import { table, type Row } from './lib/harness.js';

interface Fault {
  name: string;
  kind: BadKind;
  /** The preset's effect the size sets (a fixed range [size, size]). */
  effect: keyof GeneratorPreset['effects'];
  unit: string;
  sizes: number[];
}

const faults: Fault[] = [
  { name: 'level shift (every released host)', kind: 'small level shift', effect: 'smallShift', unit: 'σ', sizes: [0.5, 1, 1.5, 2, 3, 4] },
  { name: 'latency shift on 1–2 released hosts', kind: 'latency regression on a few hosts', effect: 'fewHostsShift', unit: 'σ', sizes: [1, 2, 3, 4, 6] },
  { name: 'noise increase (every released host)', kind: 'variance increase', effect: 'variance', unit: '× σ', sizes: [1.5, 2, 3, 4, 6] },
  { name: 'spike burst (2–4 points)', kind: 'spike burst', effect: 'spike', unit: 'σ', sizes: [3, 4, 6, 8, 12] },
];

/** Fresh case indices, past both presets' shipped or default cases. */
const FIRST = 50_000;

function batch(preset: GeneratorPreset, kind: CaseKind, count: number, control: boolean, effect?: { key: keyof GeneratorPreset['effects']; size: number }): ParsedCase[] {
  const world: GeneratorPreset = {
    ...preset,
    noUnreleasedChance: control ? 0 : 1,
    effects: effect ? { ...preset.effects, [effect.key]: [effect.size, effect.size] } : preset.effects,
  };
  return Array.from({ length: count }, (_, i) => generateCase(world, FIRST + i, kind));
}

/** Smallest size at which recall reaches `level`, by linear interpolation between the sizes measured (null: never). */
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

export async function run(options: { quick: boolean }): Promise<void> {
  const count = options.quick ? 10 : 40;
  const worlds = options.quick ? [v1Preset] : [v1Preset, unseenPreset];
  const config = parseReplayConfig({});
  for (const preset of worlds) {
    // Every batch of the world in one replay (one worker pool), each id naming its cell.
    const cells: { control: boolean; fault: Fault | null; size: number; cases: ParsedCase[] }[] = [];
    for (const control of [true, false]) {
      for (const fault of faults) for (const size of fault.sizes) cells.push({ control, fault, size, cases: batch(preset, fault.kind, count, control, { key: fault.effect, size }) });
      cells.push({ control, fault: null, size: 0, cases: batch(preset, 'normal', count * 2, control) });
    }
    const all = cells.flatMap((cell, c) => cell.cases.map((x) => ({ ...x, id: `${c}/${x.id}` })));
    const started = Date.now();
    const outcomes = await replayAll(all, config);
    const seconds = (Date.now() - started) / 1000;
    const of = (c: number) => accuracy(outcomes.filter((o) => o.id.startsWith(`${c}/`)));
    const rows: Row[] = [];
    for (const control of [true, false]) {
      for (const fault of faults) {
        const recalls = fault.sizes.map((size) => {
          const c = cells.findIndex((x) => x.control === control && x.fault === fault && x.size === size);
          const recall = of(c).recall;
          console.log(`BENCH ${JSON.stringify({ bench: 'gate sensitivity', world: preset.name, fault: fault.name, control, size, unit: fault.unit, cases: count, recall })}`);
          return recall;
        });
        const half = sizeAtRecall(fault.sizes, recalls, 0.5);
        const most = sizeAtRecall(fault.sizes, recalls, 0.9);
        console.log(`BENCH ${JSON.stringify({ bench: 'gate sensitivity: summary', world: preset.name, fault: fault.name, control, unit: fault.unit, sizeAt50: half, sizeAt90: most })}`);
        rows.push({
          fault: fault.name,
          control: control ? 'yes' : 'no',
          'recall by size': fault.sizes.map((size, i) => `${size}${fault.unit === 'σ' ? 'σ' : '×'}: ${Math.round(recalls[i] * 100)} %`).join('  '),
          '50 % at': half === null ? `> ${fault.sizes.at(-1)}` : Number(half.toFixed(2)),
          '90 % at': most === null ? `> ${fault.sizes.at(-1)}` : Number(most.toFixed(2)),
        });
      }
      const healthy = of(cells.findIndex((x) => x.control === control && x.fault === null));
      console.log(`BENCH ${JSON.stringify({ bench: 'gate sensitivity: no fault', world: preset.name, control, cases: count * 2, falsePositiveRate: healthy.falsePositiveRate })}`);
      rows.push({ fault: 'no fault: false-positive rate', control: control ? 'yes' : 'no', 'recall by size': `${(healthy.falsePositiveRate * 100).toFixed(1)} % of ${count * 2}`, '50 % at': '', '90 % at': '' });
    }
    console.log(`\ngate sensitivity: recall by fault size, world ${preset.name} (${count} batches per size; ${all.length} evaluations in ${seconds.toFixed(1)} s)\n${table(rows)}\n`);
  }
}
