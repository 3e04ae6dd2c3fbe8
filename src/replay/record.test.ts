import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateCase, v1Preset } from '../../datasets/generator/index.js';
import { readDataset } from '../datasets/dataset.js';
import { evaluate } from '../gate/evaluate.js';
import { parseReplayConfig } from './config.js';
import { accuracy } from './metrics.js';
import { replayAll } from './pool.js';
import { applyFeedback, labelFromFeedback, recordEvaluation } from './record.js';

describe('recordEvaluation / applyFeedback', () => {
  it('turns recordings with feedback into a dataset that replay reads and scores', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-recordings-'));
    const bad = generateCase(v1Preset, 30_000, 'level shift up');
    const good = generateCase(v1Preset, 30_001, 'normal');
    for (const c of [bad, good]) {
      const verdict = evaluate(c);
      const recording = recordEvaluation(c, verdict, 1_700_000_000_000);
      expect(recording.label).toBeUndefined();
      expect(recording.recorded.detectors.map((d) => d.name)).toContain('did');
      // The person agrees with the gate on both.
      const labeled = applyFeedback(recording, { correct: true, labels: c.label!.metrics, kind: c.label!.kind });
      writeFileSync(join(dir, `${c.id}.json`), JSON.stringify(labeled));
    }
    const { cases, errors } = await readDataset(dir);
    expect(errors).toEqual([]);
    expect(cases.map((c) => c.label?.bad)).toEqual([true, false]);
    const a = accuracy(await replayAll(cases, parseReplayConfig({}), { workers: 1 }));
    expect(a).toMatchObject({ truePositives: 1, trueNegatives: 1, f1: 1 });
  });

  it('labels by flagged XOR incorrect', () => {
    expect(labelFromFeedback('FAIL', { correct: true, labels: ['m'] })).toEqual({ bad: true, metrics: ['m'] });
    expect(labelFromFeedback('FAIL', { correct: false, labels: [] })).toEqual({ bad: false, metrics: [] });
    expect(labelFromFeedback('PASS', { correct: false, labels: ['m'], kind: 'missed' })).toEqual({ bad: true, metrics: ['m'], kind: 'missed' });
    expect(labelFromFeedback('INCONCLUSIVE', { correct: true, labels: [] }).bad).toBe(true);
  });
});
