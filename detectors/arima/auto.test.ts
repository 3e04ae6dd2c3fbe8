import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { autoArima, kpssPValue, kpssStatistic, ndiffs, nsdiffs } from './auto.js';

const here = dirname(fileURLToPath(import.meta.url));
interface AutoCase {
  name: string;
  values: number[];
  period: number;
  order: [number, number, number];
  seasonal: [number, number, number];
  includeMean: boolean;
  includeDrift: boolean;
  aicc: number;
}
const reference = JSON.parse(readFileSync(join(here, 'fixtures/r-reference.json'), 'utf8')) as { auto: AutoCase[] };
const airPassengers = Float64Array.from(reference.auto[0].values);

describe('unit-root tests', () => {
  it('kpssPValue interpolates the KPSS table and clamps to [0.01, 0.1]', () => {
    expect(kpssPValue(0.1)).toBe(0.1);
    expect(kpssPValue(0.463)).toBeCloseTo(0.05, 12);
    expect(kpssPValue(0.5185)).toBeCloseTo(0.0375, 12);
    expect(kpssPValue(2)).toBe(0.01);
  });
  it('kpssStatistic is large for a trend and small for white noise', () => {
    const trend = Float64Array.from({ length: 100 }, (_, i) => i);
    expect(kpssStatistic(trend)).toBeGreaterThan(1);
    const alternating = Float64Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 1 : -1));
    expect(kpssStatistic(alternating)).toBeLessThan(0.1);
  });
  it('ndiffs asks one difference of log AirPassengers once seasonally differenced, and none of a constant', () => {
    const logged = airPassengers.map(Math.log);
    const seasonal = logged.subarray(12).map((v, i) => v - logged[i]);
    expect(ndiffs(seasonal)).toBe(1);
    expect(ndiffs(new Float64Array(30).fill(2))).toBe(0);
  });
  it('nsdiffs: AirPassengers is strongly seasonal at period 12; a trend is not', () => {
    expect(nsdiffs(airPassengers, 12)).toBe(1);
    expect(nsdiffs(Float64Array.from({ length: 60 }, (_, i) => i + Math.sin(i)), 12)).toBe(0);
  });
});

// Each search fits 14–28 models; together a few seconds on an idle machine.
describe('autoArima(values, { period }) chooses the same orders as forecast::auto.arima', () => {
  for (const c of reference.auto) {
    it(`${c.name}: (${c.order.join(',')})(${c.seasonal.join(',')})[${c.period}]`, () => {
      const { fit, trace } = autoArima(c.values, { period: c.period });
      const o = fit.order;
      expect([o.p, o.d, o.q]).toEqual(c.order);
      expect([o.P, o.D, o.Q]).toEqual(c.seasonal);
      expect(fit.coefficients.intercept !== null).toBe(c.includeMean);
      expect(fit.coefficients.drift !== null).toBe(c.includeDrift);
      // R's figure comes from its approximate (diffuse) likelihood, ours from the exact one.
      expect(Math.abs(fit.aicc - c.aicc)).toBeLessThan(0.05);
      expect(trace.length).toBeGreaterThan(4);
    });
  }
  it('a non-seasonal random walk with drift gets d = 1 and a drift term', () => {
    let state = 7;
    const uniform = () => ((state = (state * 16807) % 2147483647) / 2147483647);
    const y = new Float64Array(200);
    let level = 0;
    for (let t = 0; t < y.length; t++) {
      level += 0.5 + (uniform() - 0.5) * 2;
      y[t] = level;
    }
    const { fit } = autoArima(y);
    expect(fit.order.d).toBe(1);
    expect(fit.coefficients.drift).not.toBeNull();
    expect(fit.coefficients.drift!).toBeGreaterThan(0.3);
    expect(fit.coefficients.drift!).toBeLessThan(0.7);
  });
});
