/**
 * Re-scores NAB's published result files with our scorer and compares with NAB's own figures:
 * the normalised scoreboard (final_results.json) and every per-file raw score of the official
 * score files. Needs the corpus next to the repository; skipped with a reason when it is absent,
 * and failing instead under CI.
 */
import { resolve } from 'node:path';
import { nabCorpusForTests } from '../datasets/test/nab-corpus.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCsvColumns, readNabCorpus, readProfiles, readPublishedScoreboard, readThresholds, type NabSeries } from './corpus.js';
import { readResultTree, scoreAllProfiles, type DetectorScores } from './runner.js';

const { dir: nabDir, present } = nabCorpusForTests('NAB re-scoring');

const DETECTORS = ['windowedGaussian', 'numenta', 'ARTime'] as const;

describe.skipIf(!present)('re-scoring the published NAB results', () => {
  let corpus: NabSeries[];
  const withPublished: Record<string, DetectorScores> = {};
  const optimised: Record<string, DetectorScores> = {};
  let scoreboard: Record<string, Record<string, number>>;

  beforeAll(() => {
    corpus = readNabCorpus(nabDir);
    const profiles = readProfiles(nabDir);
    const thresholds = readThresholds(nabDir);
    scoreboard = readPublishedScoreboard(nabDir);
    for (const detector of DETECTORS) {
      const files = readResultTree(nabDir, resolve(nabDir, 'results'), detector, corpus);
      withPublished[detector] = scoreAllProfiles(files, profiles, thresholds[detector]);
      optimised[detector] = scoreAllProfiles(files, profiles);
    }
  });

  it('reads the 58 series and 116 windows of the corpus', () => {
    expect(corpus.length).toBe(58);
    expect(corpus.reduce((n, s) => n + s.windows.length, 0)).toBe(116);
    expect(corpus.reduce((n, s) => n + s.values.length, 0)).toBe(365558);
  });

  it('reproduces the standard-profile scoreboard: windowedGaussian 39.65, numenta 70.10, ARTime 74.85', () => {
    expect(optimised.windowedGaussian.standard.normalizedScore).toBeCloseTo(39.65, 1);
    expect(optimised.numenta.standard.normalizedScore).toBeCloseTo(70.1, 1);
    expect(optimised.ARTime.standard.normalizedScore).toBeCloseTo(74.85, 1);
  });

  it('matches final_results.json on every profile at the published thresholds', () => {
    for (const detector of DETECTORS) {
      for (const [profile, result] of Object.entries(withPublished[detector])) {
        expect(Math.abs(result.normalizedScore - scoreboard[detector][profile])).toBeLessThan(1e-8);
      }
    }
  });

  it('finds the published thresholds by exhaustive sweep, except numenta low-FP which improves to 63.21', () => {
    expect(optimised.ARTime.standard.threshold).toBe(0.317486);
    expect(optimised.windowedGaussian.standard.threshold).toBe(1);
    expect(optimised.numenta.reward_low_FP_rate.normalizedScore).toBeCloseTo(63.21, 2);
    expect(optimised.numenta.reward_low_FP_rate.normalizedScore).toBeGreaterThan(scoreboard.numenta.reward_low_FP_rate);
    for (const detector of DETECTORS) {
      for (const [profile, result] of Object.entries(optimised[detector])) {
        expect(result.normalizedScore).toBeGreaterThanOrEqual(scoreboard[detector][profile] - 1e-8);
      }
    }
  });

  it('matches every per-file raw score and count of the official score files', () => {
    for (const detector of DETECTORS) {
      for (const [profile, result] of Object.entries(withPublished[detector])) {
        const published = readCsvColumns(resolve(nabDir, 'results', detector, `${profile}_scores.csv`));
        const byName = new Map(result.files.map((f) => [f.name, f]));
        let compared = 0;
        published.File.forEach((name, i) => {
          if (published.Detector[i] === 'Totals') {
            expect(result.rawScore).toBeCloseTo(Number(published.Score[i]), 8);
            return;
          }
          const ours = byName.get(name);
          expect(ours, name).toBeDefined();
          // The official files print 12 significant digits.
          expect(Math.abs(ours!.score - Number(published.Score[i]))).toBeLessThan(1e-10);
          expect([ours!.tp, ours!.fp]).toEqual([Number(published.TP[i]), Number(published.FP[i])]);
          compared++;
        });
        expect(compared).toBe(58);
      }
    }
  });

  it('gives known per-file raw scores', () => {
    const file = (d: string, name: string) => withPublished[d].standard.files.find((f) => f.name === name)!;
    expect(file('numenta', 'realKnownCause/nyc_taxi.csv').score).toBeCloseTo(2.43572773247, 10);
    expect(file('numenta', 'artificialNoAnomaly/art_daily_small_noise.csv').score).toBeCloseTo(-0.22, 12);
    expect(file('numenta', 'realAWSCloudwatch/iio_us-east-1_i-a2eb1cd9_NetworkIn.csv').score).toBe(-2);
  });
});
