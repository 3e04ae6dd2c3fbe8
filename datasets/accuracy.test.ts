import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readDataset, readSplit } from '../src/datasets/dataset.js';
import { parseReplayConfig } from '../src/replay/config.js';
import { accuracy } from '../src/replay/metrics.js';
import { replayAll } from '../src/replay/pool.js';

const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'release-cases-v1');
const recorded = JSON.parse(readFileSync(join(dir, 'accuracy.json'), 'utf8')) as { f1: number; falsePositiveRate: number };

describe('accuracy floor: the default gate on release-cases-v1 (test split)', () => {
  it('keeps F1 at or above the figure recorded in accuracy.json and the false-positive rate within 2 %', async () => {
    const { cases, errors } = await readDataset(dir);
    expect(errors).toEqual([]);
    const test = new Set((await readSplit(dir))!.test);
    const outcomes = await replayAll(cases.filter((c) => test.has(c.id)), parseReplayConfig({}));
    const a = accuracy(outcomes);
    console.log(`accuracy floor: F1 ${a.f1.toFixed(4)} (recorded ${recorded.f1.toFixed(4)}), precision ${a.precision.toFixed(3)}, recall ${a.recall.toFixed(3)}, FPR ${a.falsePositiveRate.toFixed(3)}`);
    expect(a.f1).toBeGreaterThanOrEqual(recorded.f1 - 1e-12);
    // The gate's goal is a false-positive rate of at most 2 %; never worse than recorded either.
    expect(a.falsePositiveRate).toBeLessThanOrEqual(Math.max(recorded.falsePositiveRate, 0.02) + 1e-12);
  }, 600_000);
});
