import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { series, type Series } from '../../src/core/series.js';
import { arimaDetector, arimaDetectorConfigSchema, stlArimaDetector, stlArimaDetectorConfigSchema } from './detector.js';

const minute = 60_000;
const t0 = Date.UTC(2026, 0, 5);

/** A seeded day-seasonal minute metric: level 100, daily swing ±20, AR(1) noise. */
function metric(days: number, period = 1440, seed = 1, scale = 1): Float64Array {
  let state = seed;
  const uniform = () => ((state = (state * 16807) % 2147483647) / 2147483647);
  const n = days * period;
  const out = new Float64Array(n);
  let noise = 0;
  for (let t = 0; t < n; t++) {
    noise = 0.6 * noise + (uniform() - 0.5) * 2;
    out[t] = scale * (100 + 20 * Math.sin((2 * Math.PI * t) / period) + noise);
  }
  return out;
}

function split(values: Float64Array, windowLength: number): { history: Series; treated: Series } {
  const cut = values.length - windowLength;
  return { history: series(t0, minute, values.subarray(0, cut)), treated: series(t0 + cut * minute, minute, values.subarray(cut)) };
}

describe('stlArimaDetector.detect(input, config)', () => {
  const config = stlArimaDetectorConfigSchema.parse({ period: 288 });
  const values = metric(4, 288, 3);
  it('scores an unchanged continuation low, with a band from the forecast', () => {
    const result = stlArimaDetector.detect(split(values, 30), config);
    expect(result.status).toBe('ok');
    expect(result.score).toBeLessThan(50);
    expect(result.anomalous).toBe(false);
    expect(result.plot?.map((p) => p.role)).toEqual(['observed', 'forecast', 'lower', 'upper', 'score']);
    expect(String(result.evidence.model)).toMatch(/^ARIMA\(\d,\d,\d\)/);
  });
  it('flags a +15 shift in the window as anomalous and up; a direction of down scores it 0', () => {
    const shifted = Float64Array.from(values);
    for (let t = shifted.length - 30; t < shifted.length; t++) shifted[t] += 15;
    const input = split(shifted, 30);
    const result = stlArimaDetector.detect(input, config);
    expect(result.anomalous).toBe(true);
    expect(result.score).toBeGreaterThan(80);
    expect(result.direction).toBe('up');
    expect(stlArimaDetector.detect({ ...input, direction: 'down' }, config).score).toBe(0);
  });
  it('prepare then detect gives the same result as detect alone', () => {
    const input = split(values, 30);
    const prepared = stlArimaDetector.prepare!({ history: input.history }, config);
    expect(stlArimaDetector.detect({ ...input, prepared }, config)).toEqual(stlArimaDetector.detect(input, config));
  });
  it('gives insufficient_data without history, with under two cycles, or without a period', () => {
    const input = split(values, 30);
    expect(stlArimaDetector.detect({ treated: input.treated }, config).status).toBe('insufficient_data');
    const short = split(values.subarray(0, 400), 30);
    const result = stlArimaDetector.detect(short, config);
    expect(result.status).toBe('insufficient_data');
    expect(result.reason).toMatch(/two full cycles/);
    // no configured or data-implied period: a day at the step, 1440 minutes, more than this history holds
    expect(stlArimaDetector.detect(input, stlArimaDetectorConfigSchema.parse({})).reason).toMatch(/2880/);
    expect(stlArimaDetector.detect({ ...input, period: 288 }, stlArimaDetectorConfigSchema.parse({})).status).toBe('ok');
    const odd = { treated: series(0, 7 * minute, [1]), history: series(-700 * minute, 7 * minute, new Array(100).fill(1)) };
    expect(stlArimaDetector.detect(odd, stlArimaDetectorConfigSchema.parse({})).reason).toMatch(/period/);
  });
  it('is scale equivariant: ×1000 gives the same score', () => {
    const shifted = Float64Array.from(values);
    for (let t = shifted.length - 30; t < shifted.length; t++) shifted[t] += 4;
    const a = stlArimaDetector.detect(split(shifted, 30), config).score;
    const b = stlArimaDetector.detect(split(shifted.map((v) => v * 1000), 30), config).score;
    expect(Math.abs(a - b)).toBeLessThan(0.5);
  });
});

describe('arimaDetector.detect(input, config)', () => {
  const config = arimaDetectorConfigSchema.parse({ order: { p: 1, d: 0, q: 0 }, historyWindow: 600 });
  let state = 11;
  const uniform = () => ((state = (state * 16807) % 2147483647) / 2147483647);
  const values = new Float64Array(660);
  let level = 0;
  for (let t = 0; t < values.length; t++) {
    level = 0.5 * level + (uniform() - 0.5) * 2;
    values[t] = 50 + level;
  }
  it('an AR(1) around 50: no change scores low; a drop of 5 is anomalous and down', () => {
    expect(arimaDetector.detect(split(values, 60), config).anomalous).toBe(false);
    const dropped = Float64Array.from(values);
    for (let t = 600; t < 660; t++) dropped[t] -= 5;
    const result = arimaDetector.detect(split(dropped, 60), config);
    expect(result.anomalous).toBe(true);
    expect(result.direction).toBe('down');
    expect(result.evidence.model).toBe('ARIMA(1,0,0) with mean');
    expect(Number(result.evidence['coef.intercept'])).toBeGreaterThan(49);
  });
  it('automatic order selection runs on the same input', () => {
    const result = arimaDetector.detect(split(values, 60), arimaDetectorConfigSchema.parse({ historyWindow: 300 }));
    expect(result.status).toBe('ok');
    expect(result.score).toBeLessThan(50);
  });
  it('never throws and keeps scores in [0, 100] on damaged input (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { freq: 5, nil: null }), { minLength: 0, maxLength: 80 }),
        fc.array(fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { freq: 5, nil: null }), { minLength: 0, maxLength: 10 }),
        fc.constantFrom<'up' | 'down' | 'both'>('up', 'down', 'both'),
        (historyValues, treatedValues, direction) => {
          const history = series(t0, minute, historyValues);
          const treated = series(t0 + historyValues.length * minute, minute, treatedValues);
          for (const [detector, cfg] of [
            [arimaDetector, config],
            [stlArimaDetector, stlArimaDetectorConfigSchema.parse({ period: 12, order: { p: 1, d: 1, q: 0 } })],
          ] as const) {
            const result = detector.detect({ history, treated, direction }, cfg as never);
            expect(result.score).toBeGreaterThanOrEqual(0);
            expect(result.score).toBeLessThanOrEqual(100);
            if (result.status === 'insufficient_data') expect(result.reason).toBeTruthy();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('fitStlArima / forecastStlArima match forecast::stlf(method = "arima")', async () => {
  const { readFileSync } = await import('node:fs');
  const { fitStlArima, forecastStlArima } = await import('./stl-arima.js');
  const reference = JSON.parse(readFileSync(new URL('./fixtures/r-reference.json', import.meta.url), 'utf8')) as {
    stlf: { name: string; values: number[]; period: number; h: number; seasonal: number[]; order: number[]; includeDrift: boolean; mean: number[]; lower95: number[]; upper95: number[] }[];
  };
  for (const c of reference.stlf) {
    it(`${c.name}: same seasonal component, ARIMA order and ${c.h}-step forecasts (1e-3 relative)`, () => {
      const model = fitStlArima(c.values, { period: c.period });
      for (let i = 0; i < c.seasonal.length; i++) expect(Math.abs(model.seasonal[i] - c.seasonal[i])).toBeLessThan(1e-8);
      const o = model.arima.order;
      expect([o.p, o.d, o.q]).toEqual(c.order);
      expect(model.arima.coefficients.drift !== null).toBe(c.includeDrift);
      const forecast = forecastStlArima(model, c.h, [0.95]);
      for (let h = 0; h < c.h; h++) {
        expect(Math.abs(forecast.mean[h] - c.mean[h]) / Math.abs(c.mean[h])).toBeLessThan(1e-3);
        // forecast's intervals use σ² = RSS / (n − k), ours the ML σ²: equal to within 1e-3 here
        expect(Math.abs(forecast.intervals[0].upper[h] - c.upper95[h]) / Math.abs(c.upper95[h])).toBeLessThan(1e-3);
        expect(Math.abs(forecast.intervals[0].lower[h] - c.lower95[h]) / Math.abs(c.lower95[h])).toBeLessThan(1e-3);
      }
    });
  }
});
