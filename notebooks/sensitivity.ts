/**
 * The `sensitivity` notebook: how small a fault the gate sees. For each kind of fault, recall
 * against the fault's size (in host noise σ, or a factor on σ for a noise increase), with and
 * without unreleased hosts, in one or two generator worlds; the sizes at 50 % and 90 % recall;
 * the false-positive rate on the same batches without a fault. The numbers are those of
 * `bench/sensitivity.bench.ts` (`datasets/generator/sweep.ts`).
 */
import { presets, type GeneratorPreset } from '../datasets/generator/presets.js';
import { faultSweeps, runSweep, type SweepResult } from '../datasets/generator/sweep.js';
import { parseReplayConfig } from '../src/replay/config.js';
import { page, paragraph, section, table } from './html.js';
import { lineChart, palette } from './svg.js';

export interface SensitivityNotebookOptions {
  /** Generator worlds (preset names; default v1 and unseen). */
  worlds?: string[];
  /** Batches per size (default 40). */
  count?: number;
  workers?: number;
  log?: (line: string) => void;
}

/** Runs the sweeps and renders the report; returns the HTML and the results. */
export async function sensitivityNotebook(options: SensitivityNotebookOptions = {}): Promise<{ html: string; results: SweepResult[] }> {
  const log = options.log ?? (() => {});
  const count = options.count ?? 40;
  const worlds: GeneratorPreset[] = (options.worlds ?? ['v1', 'unseen']).map((name) => {
    const preset = presets[name];
    if (!preset) throw new Error(`unknown world '${name}' (expected one of ${Object.keys(presets).join(', ')})`);
    return preset;
  });
  const config = parseReplayConfig({});
  const results: SweepResult[] = [];
  for (const preset of worlds) {
    let last = -1;
    const result = await runSweep(preset, config, {
      count,
      workers: options.workers,
      onProgress: (done, total) => {
        const pct = Math.floor((done / total) * 10);
        if (pct !== last) log(`sensitivity: world ${preset.name} ${done}/${total}`);
        last = pct;
      },
    });
    results.push(result);
  }

  const sections: string[] = [];
  sections.push(
    section(
      'What is measured',
      paragraph(
        `A fault of a fixed size is injected into the released hosts of generated batches (the same ${count} batches at every size, so recall rises by the fault alone), with unreleased hosts and without them, and each batch is judged by the default gate; FAIL and INCONCLUSIVE count as caught. Sizes are multiples of each host's own noise σ (σ of its first differences / √2 over the six hours before the release); for a noise increase, the factor on σ. The same batches without a fault give the false-positive rate.`,
      ),
    ),
  );
  for (const fault of faultSweeps) {
    const lines = results.flatMap((r, w) =>
      r.rows
        .filter((row) => row.fault.name === fault.name)
        .map((row) => ({ name: `${r.world}, ${row.control ? 'with' : 'without'} unreleased hosts`, x: fault.sizes, y: row.recalls, color: palette[w * 2 + (row.control ? 0 : 1)], dash: row.control ? undefined : '5 3', width: 2 })),
    );
    const rows = results.flatMap((r) =>
      r.rows
        .filter((row) => row.fault.name === fault.name)
        .map((row) => [r.world, row.control ? 'yes' : 'no', ...row.recalls.map((x) => `${Math.round(x * 100)} %`), row.sizeAt50 === null ? `> ${fault.sizes.at(-1)}` : row.sizeAt50, row.sizeAt90 === null ? `> ${fault.sizes.at(-1)}` : row.sizeAt90]),
    );
    sections.push(
      section(
        fault.name,
        lineChart({
          title: `Recall by size: ${fault.name}`,
          xLabel: fault.unit === 'σ' ? 'size (host noise σ)' : 'noise factor (× σ)',
          yLabel: 'recall',
          xKind: 'number',
          yDomain: [0, 1],
          xDomain: [0, fault.sizes[fault.sizes.length - 1]],
          lines,
        }),
        table(['world', 'control', ...fault.sizes.map((s) => `${s}${fault.unit}`), '50 % at', '90 % at'], rows, 2),
      ),
    );
  }
  sections.push(
    section(
      'No fault',
      table(
        ['world', 'control', 'batches', 'false-positive rate'],
        results.flatMap((r) => r.healthy.map((h) => [r.world, h.control ? 'yes' : 'no', h.cases, `${(h.falsePositiveRate * 100).toFixed(1)} %`])),
      ),
    ),
  );
  const evaluations = results.reduce((a, r) => a + r.evaluations, 0);
  const seconds = results.reduce((a, r) => a + r.seconds, 0);
  const html = page('Sluice: how small a fault the gate sees', `${evaluations} evaluations in ${seconds.toFixed(1)} s; worlds ${results.map((r) => r.world).join(', ')}; ${count} batches per size`, sections);
  return { html, results };
}
