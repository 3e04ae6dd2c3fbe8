import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deviationScore } from '../../src/core/score.js';
import { cloneStream, fitHoltWinters, smooth, streamFrom, update, type HoltWintersOptions } from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
const air = (JSON.parse(readFileSync(join(here, 'fixtures/r-reference.json'), 'utf8')) as { cases: { name: string; values: number[] }[] }).cases[0].values;

describe('update(state, y) continues the batch recursion one point at a time', () => {
  const shapes: HoltWintersOptions[] = [
    { period: 12, alpha: 0.3, beta: 0.1, gamma: 0.2 },
    { period: 12, seasonal: 'multiplicative', alpha: 0.3, beta: 0.1, gamma: 0.2 },
    { period: 12, damped: true, alpha: 0.3, beta: 0.1, gamma: 0.2, phi: 0.9 },
    { period: 12, seasonal: 'none', alpha: 0.5, beta: 0.2 },
  ];
  for (const options of shapes) {
    it(`${options.seasonal ?? 'additive'}${options.damped ? ' damped' : ''}: streamed forecasts equal the batch fitted values, gaps included`, () => {
      const all = Float64Array.from(air);
      all[130] = NaN;
      const split = 100;
      const head = fitHoltWinters(all.subarray(0, split), options);
      expect(head.ok).toBe(true);
      if (!head.ok) return;
      const fit = head.value;
      const fitted = new Float64Array(all.length).fill(NaN);
      smooth(all, fit.spec, fit.parameters, fit.start, { fitted });
      const state = streamFrom(fit, 3);
      for (let t = split; t < all.length; t++) {
        const step = update(state, all[t]);
        expect(step.forecast).toBeCloseTo(fitted[t], 9);
        if (t === 130) {
          expect(step.residual).toBeNaN();
          expect(step.score).toBe(0);
        } else {
          expect(step.residual).toBeCloseTo(all[t] - fitted[t], 9);
          expect(step.score).toBeCloseTo(deviationScore(all[t] - fitted[t], 3 * fit.sigma), 9);
          expect(step.outside).toBe(Math.abs(step.residual) > 3 * fit.sigma);
        }
      }
      expect(state.seen).toBe(all.length - split);
    });
  }

  it('cloneStream gives an independent copy', () => {
    const fit = fitHoltWinters(Float64Array.from(air), { period: 12, alpha: 0.3, beta: 0.1, gamma: 0.2 });
    if (!fit.ok) throw new Error(fit.error.message);
    const a = streamFrom(fit.value);
    const b = cloneStream(a);
    const first = update(a, 500).forecast;
    expect(update(b, 500).forecast).toBe(first);
    expect(update(a, 100).forecast).not.toBe(update(streamFrom(fit.value), 100).forecast);
  });

  it('scores only the bad direction', () => {
    const fit = fitHoltWinters(Float64Array.from(air), { period: 12, alpha: 0.3, beta: 0.1, gamma: 0.2 });
    if (!fit.ok) throw new Error(fit.error.message);
    const up = streamFrom(fit.value);
    const predicted = update(cloneStream(up), NaN).forecast;
    expect(update(cloneStream(up), predicted - 10 * fit.value.sigma, 'up').score).toBe(0);
    expect(update(cloneStream(up), predicted - 10 * fit.value.sigma, 'down').score).toBeGreaterThan(95);
  });
});
