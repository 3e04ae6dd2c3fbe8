/**
 * Every registered detector on the same kind of input: one call's time and points per second at
 * a few window and history sizes, from the inputs its declared capabilities ask for (the contract
 * suite's builder). A detector added to the registry appears here without further wiring.
 */
import { buildInput } from '../test/contract-inputs.js';
import { exampleConfig, listDetectors, resolveDetector } from '../src/registry.js';
import { report, time, type BenchOptions, type Row } from './lib/harness.js';

export async function run(options: BenchOptions): Promise<void> {
  const rows: Row[] = [];
  const windows = options.quick ? [60] : [30, 60];
  for (const module of listDetectors()) {
    const { config } = resolveDetector({ name: module.name, config: exampleConfig(module.name) });
    for (const windowLength of windows) {
      const input = buildInput(module.capabilities, { seed: 7, amplitude: 5, noise: 1, phaseMinute: 300, windowLength, hosts: 4 }, 'both');
      const points = input.treated.values.length + (input.history?.values.length ?? 0) + (input.control?.values.length ?? 0) + (input.controlHistory?.values.length ?? 0);
      const t = time(() => module.detect(input, config), options.quick ? 2 : 5);
      const prepared = module.prepare && input.history ? module.prepare(input, config) : undefined;
      const cached = prepared === undefined ? null : time(() => module.detect({ ...input, prepared }, config), options.quick ? 2 : 5);
      rows.push({
        detector: module.name,
        version: module.version,
        windowPoints: windowLength,
        inputPoints: points,
        medianMs: t.medianMs,
        pointsPerSecond: Math.round((points / t.medianMs) * 1000),
        withPreparedMs: cached ? cached.medianMs : null,
      });
    }
  }
  report('detectors: one call on the contract input', rows);
}
