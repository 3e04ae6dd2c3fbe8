import { describe, expect, it } from 'vitest';
import { bandFloor, forecastBandPlot, judgeForecast } from './forecast-judgement.js';
import { deviationScore, topQuarterMean, windowScore } from './score.js';
import { series } from './series.js';

const identity = { name: 'example', version: '1.0.0' } as const;

describe('topQuarterMean and windowScore top-quarter', () => {
  it('averages the highest ⌈n/4⌉ scores; the window score skips missing points', () => {
    expect(topQuarterMean([])).toBe(0);
    expect(topQuarterMean([0, 100, 0, 0, 50])).toBe(75);
    expect(windowScore([0, 100, NaN, 0, 0, 50], { method: 'top-quarter' })).toBe(75);
    expect(windowScore([NaN], { method: 'top-quarter' })).toBeNaN();
  });
});

describe('bandFloor', () => {
  it('is the largest of minDelta, 1e-6 · mean |history| and the smallest positive number', () => {
    expect(bandFloor([NaN, -2e6, 4e6], 0)).toBeCloseTo(3, 12);
    expect(bandFloor([1, 2], 5)).toBe(5);
    expect(bandFloor([0, NaN], 0)).toBe(Number.MIN_VALUE);
  });
});

describe('judgeForecast', () => {
  const treated = series(0, 60_000, [10, 17, NaN, 9, 10, 11, 10, 10]);
  const forecast = [10, 10, 10, 10, NaN, 10, 10, 10];

  it('scores the points that have an observation and a forecast against forecast ± δ', () => {
    const r = judgeForecast({ identity, treated, forecast, delta: 2, direction: 'both', anomalousAbove: 50, evidence: { sigma: 1 } });
    expect(r.status).toBe('ok');
    const scores = [0, 7, -1, 1, 0, 0].map((residual) => deviationScore(residual, 2));
    expect(r.score).toBeCloseTo(topQuarterMean(scores), 12);
    expect(r.direction).toBe('up');
    expect(r.anomalous).toBe(true);
    expect(r.evidence).toEqual({ sigma: 1, delta: 2, treatedPoints: 7, pointsOutside: 1, meanResidual: 7 / 6, maxPointScore: deviationScore(7, 2), windowScore: 'mean of the top quarter of point scores' });
    expect(r.plot?.map((p) => `${p.name}:${p.role}`)).toEqual(['observed:observed', 'forecast:forecast', 'lower:lower', 'upper:upper', 'score:score']);
    expect(r.plot?.[2].values.slice(0, 2)).toEqual([8, 8]);
    expect(r.plot?.[4].values[2]).toBeNull();
    expect(r.plot?.[4].values[4]).toBeNull();
  });

  it('averages a per-point δ over the window or over the scored points, and counts only the bad direction', () => {
    const delta = [1, 1, 1, 1, 5, 1, 1, 1];
    const window = judgeForecast({ identity, treated, forecast, delta, direction: 'down', anomalousAbove: 50 });
    expect(window.evidence.delta).toBe(12 / 8);
    expect(window.direction).toBe('none');
    expect(window.evidence.pointsOutside).toBe(0);
    const scored = judgeForecast({ identity, treated, forecast, delta, deltaMean: 'scored', direction: 'down', anomalousAbove: 50, forecastName: 'expected' });
    expect(scored.evidence.delta).toBe(1);
    expect(scored.plot?.[1].name).toBe('expected');
  });

  it('is insufficient_data when no point has both an observation and a forecast', () => {
    const r = judgeForecast({ identity, treated: series(0, 1000, [1, NaN]), forecast: [NaN, 1], delta: 1, direction: 'both', anomalousAbove: 50 });
    expect(r.status).toBe('insufficient_data');
    expect(r.evidence).toEqual({ treatedPoints: 0 });
  });

  it('plots without a score series when no point scores are given', () => {
    expect(forecastBandPlot(series(0, 1000, [1]), [1], [0], [2]).map((p) => p.name)).toEqual(['observed', 'forecast', 'lower', 'upper']);
  });
});
