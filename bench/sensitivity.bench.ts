/**
 * How small a fault the gate sees: recall of the default gate against the size of a fault injected
 * on the released hosts, with and without unreleased hosts, and its false-positive rate on the same
 * batches without a fault (see `datasets/generator/sweep.ts`). A row reads as a minimum detectable
 * effect for one-hour windows of five-minute points. Printed per world (generator preset); the
 * `sensitivity` notebook draws the same numbers.
 */
import { unseenPreset, v1Preset } from '../datasets/generator/index.js';
import { runSweep } from '../datasets/generator/sweep.js';
import { parseReplayConfig } from '../src/replay/config.js';
import { table, type BenchOptions, type Row } from './lib/harness.js';

export async function run(options: BenchOptions): Promise<void> {
  const count = options.quick ? 10 : 40;
  const config = parseReplayConfig({});
  for (const preset of options.quick ? [v1Preset] : [v1Preset, unseenPreset]) {
    const result = await runSweep(preset, config, { count });
    const rows: Row[] = [];
    for (const control of [true, false]) {
      for (const row of result.rows.filter((r) => r.control === control)) {
        const { fault } = row;
        fault.sizes.forEach((size, i) => console.log(`BENCH ${JSON.stringify({ bench: 'gate sensitivity', world: preset.name, fault: fault.name, control, size, unit: fault.unit, cases: count, recall: row.recalls[i] })}`));
        console.log(`BENCH ${JSON.stringify({ bench: 'gate sensitivity: summary', world: preset.name, fault: fault.name, control, unit: fault.unit, sizeAt50: row.sizeAt50, sizeAt90: row.sizeAt90 })}`);
        rows.push({
          fault: fault.name,
          control: control ? 'yes' : 'no',
          'recall by size': fault.sizes.map((size, i) => `${size}${fault.unit}: ${Math.round(row.recalls[i] * 100)} %`).join('  '),
          '50 % at': row.sizeAt50 === null ? `> ${fault.sizes.at(-1)}` : Number(row.sizeAt50.toFixed(2)),
          '90 % at': row.sizeAt90 === null ? `> ${fault.sizes.at(-1)}` : Number(row.sizeAt90.toFixed(2)),
        });
      }
      const healthy = result.healthy.find((h) => h.control === control)!;
      console.log(`BENCH ${JSON.stringify({ bench: 'gate sensitivity: no fault', world: preset.name, control, cases: healthy.cases, falsePositiveRate: healthy.falsePositiveRate })}`);
      rows.push({ fault: 'no fault: false-positive rate', control: control ? 'yes' : 'no', 'recall by size': `${(healthy.falsePositiveRate * 100).toFixed(1)} % of ${healthy.cases}`, '50 % at': '', '90 % at': '' });
    }
    // Columns differ by fault (each has its own sizes): the sizes and their recalls share one cell.
    console.log(`\ngate sensitivity: recall by fault size, world ${preset.name} (${count} batches per size; ${result.evaluations} evaluations in ${result.seconds.toFixed(1)} s)\n${table(rows)}\n`);
  }
}
