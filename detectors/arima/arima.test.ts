import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/core/errors.js';
import { arimaLogLikelihood, fitArima, forecastArima, type ArimaFit } from './fit.js';
import { armaAutocovariance, stationaryStateCovariance } from './kalman.js';
import { arFromUnconstrained, arToUnconstrained, differencingCoefficients, expandAr, expandMa, invertMa, isStationary, polynomialRoots } from './polynomial.js';

const here = dirname(fileURLToPath(import.meta.url));
interface RCase {
  name: string;
  order: [number, number, number];
  seasonal: [number, number, number];
  period: number;
  values: number[];
  coef: Record<string, number>;
  loglik: number;
  sigma2: number;
  forecast: number[];
  se: number[];
  lower95: number[];
  upper95: number[];
}
interface PyCase {
  name: string;
  exactLoglikAtR: number;
  exactSigma2AtR: number;
  exactLoglikAtRWithSigma2: number;
  probeCoef: Record<string, number>;
  exactLoglikAtProbe: number;
  statsmodels: { llf: number; forecast: number[]; lower95: number[]; upper95: number[] };
}
const rReference = JSON.parse(readFileSync(join(here, 'fixtures/r-reference.json'), 'utf8')) as { cases: RCase[]; gaps: RCase[] };
// R writes its missing values as the string "NA".
for (const c of rReference.gaps) c.values = c.values.map((v) => (typeof v === 'number' ? v : NaN));
const pyReference = JSON.parse(readFileSync(join(here, 'fixtures/py-reference.json'), 'utf8')) as { cases: PyCase[] };

const orderOf = (c: RCase) => ({ p: c.order[0], d: c.order[1], q: c.order[2], P: c.seasonal[0], D: c.seasonal[1], Q: c.seasonal[2], period: c.period });
const coefficientsOf = (c: RCase, coef: Record<string, number>) => {
  const take = (prefix: string, count: number) => Float64Array.from({ length: count }, (_, j) => coef[`${prefix}${j + 1}`] ?? 0);
  return { ar: take('ar', c.order[0]), ma: take('ma', c.order[2]), seasonalAr: take('sar', c.seasonal[0]), seasonalMa: take('sma', c.seasonal[2]) };
};
const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe('lag polynomials', () => {
  it('expandAr multiplies the seasonal factor: (1 − 0.5B)(1 − 0.3B⁴) → φ* = [0.5, 0, 0, 0.3, −0.15]', () => {
    expect(Array.from(expandAr([0.5], [0.3], 4))).toEqual([0.5, 0, 0, 0.3, -0.15]);
  });
  it('expandMa: (1 + 0.4B)(1 + 0.5B²) → θ* = [0.4, 0.5, 0.2]', () => {
    const theta = Array.from(expandMa([0.4], [0.5], 2));
    expect(theta[0]).toBeCloseTo(0.4, 15);
    expect(theta[1]).toBeCloseTo(0.5, 15);
    expect(theta[2]).toBeCloseTo(0.2, 15);
  });
  it('differencingCoefficients(1, 1, 4) is (1 − B)(1 − B⁴) = 1 − B − B⁴ + B⁵', () => {
    expect(Array.from(differencingCoefficients(1, 1, 4))).toEqual([1, 0, 0, 1, -1]);
  });
  it('the partial-autocorrelation map round-trips and always gives a stationary polynomial', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 1, maxLength: 6 }), (raw) => {
        const phi = arFromUnconstrained(raw);
        expect(isStationary(phi, 0)).toBe(true);
        const back = arToUnconstrained(phi);
        for (let j = 0; j < raw.length; j++) expect(back[j]).toBeCloseTo(raw[j], 6);
      }),
    );
  });
  it('isStationary rejects a unit root and an explosive AR(2)', () => {
    expect(isStationary([1])).toBe(false);
    expect(isStationary([0.5, 0.6])).toBe(false);
    expect(isStationary([0.5, 0.3])).toBe(true);
  });
  it('polynomialRoots finds the roots of 1 − 1.5z + 0.5z² (1 and 2)', () => {
    const { re, im } = polynomialRoots([-1.5, 0.5]);
    const sorted = Array.from(re).sort((a, b) => a - b);
    expect(sorted[0]).toBeCloseTo(1, 12);
    expect(sorted[1]).toBeCloseTo(2, 12);
    expect(Math.abs(im[0]) + Math.abs(im[1])).toBeLessThan(1e-12);
  });
  it('invertMa flips roots inside the unit circle: θ = 2 → 0.5; MA(2) with one inside root', () => {
    expect(invertMa([2])[0]).toBeCloseTo(0.5, 14);
    // (1 + 2B)(1 + 0.5B) = 1 + 2.5B + B² → (1 + 0.5B)² = 1 + B + 0.25B²
    const inverted = invertMa([2.5, 1]);
    expect(inverted[0]).toBeCloseTo(1, 10);
    expect(inverted[1]).toBeCloseTo(0.25, 10);
    expect(Array.from(invertMa([0.3, 0.2]))).toEqual([0.3, 0.2]);
  });
});

describe('armaAutocovariance / stationaryStateCovariance', () => {
  it('AR(1) φ = 0.6: γ(k) = 0.6ᵏ / (1 − 0.36)', () => {
    const gamma = armaAutocovariance([0.6], [], 4);
    for (let k = 0; k <= 4; k++) expect(gamma[k]).toBeCloseTo(0.6 ** k / 0.64, 14);
  });
  it('MA(1) θ = 0.5: γ = [1.25, 0.5, 0]', () => {
    const gamma = armaAutocovariance([], [0.5], 2);
    expect(Array.from(gamma)).toEqual([1.25, 0.5, 0]);
  });
  it('the state covariance solves P = TPT′ + RR′ for an ARMA(2,2)', () => {
    const phi = [0.5, -0.3];
    const theta = [0.4, 0.2];
    const r = 3;
    const P = stationaryStateCovariance(phi, theta, r);
    const T = [
      [0.5, 1, 0],
      [-0.3, 0, 1],
      [0, 0, 0],
    ];
    const R = [1, 0.4, 0.2];
    for (let i = 0; i < r; i++) {
      for (let k = 0; k < r; k++) {
        let v = R[i] * R[k];
        for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) v += T[i][a] * P[a * r + b] * T[k][b];
        expect(P[i * r + k]).toBeCloseTo(v, 12);
      }
    }
  });
});

/** log N(x; 0, Σ) by Cholesky, for the brute-force checks below. */
function gaussianLogDensity(x: number[], covariance: number[][]): number {
  const n = x.length;
  const L = covariance.map((row) => row.map(() => 0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = covariance[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(s) : s / L[j][j];
    }
  }
  const z: number[] = [];
  let logDet = 0;
  for (let i = 0; i < n; i++) {
    let s = x[i];
    for (let k = 0; k < i; k++) s -= L[i][k] * z[k];
    z.push(s / L[i][i]);
    logDet += 2 * Math.log(L[i][i]);
  }
  return -0.5 * (n * Math.log(2 * Math.PI) + logDet + z.reduce((a, b) => a + b * b, 0));
}

describe('kalmanFilter with gaps is the exact density of the observed points', () => {
  const phi = [0.5];
  const theta = [0.3];
  const n = 40;
  const missing = new Set([10, 11, 25, 39]);
  let state = 99;
  const uniform = () => ((state = (state * 16807) % 2147483647) / 2147483647);
  const series = Array.from({ length: n }, () => uniform() * 4 - 2);
  const values = series.map((v, t) => (missing.has(t) ? NaN : v));
  const gamma = armaAutocovariance(phi, theta, n);
  it('ARMA(1,1), d = 0: N(0, Γ) restricted to the observed times', () => {
    const times = [...Array(n).keys()].filter((t) => !missing.has(t));
    const covariance = times.map((a) => times.map((b) => gamma[Math.abs(a - b)]));
    const expected = gaussianLogDensity(times.map((t) => series[t]), covariance);
    const got = arimaLogLikelihood(values, { p: 1, d: 0, q: 1, P: 0, D: 0, Q: 0, period: 1 }, { ar: Float64Array.from(phi), ma: Float64Array.from(theta) }, 1);
    expect(got.used).toBe(times.length);
    expect(Math.abs(got.logLikelihood - expected)).toBeLessThan(1e-9);
  });
  it('ARIMA(1,1,1): given y₀, the observed yₜ − y₀ are partial sums of the ARMA differences', () => {
    // Cov(Sₐ, S_b) = Σ_{i ≤ a} Σ_{j ≤ b} γ(i − j) with Sₜ = yₜ − y₀ = w₁ + … + wₜ
    const times = [...Array(n).keys()].filter((t) => t > 0 && !missing.has(t));
    const covariance = times.map((a) =>
      times.map((b) => {
        let s = 0;
        for (let i = 1; i <= a; i++) for (let j = 1; j <= b; j++) s += gamma[Math.abs(i - j)];
        return s;
      }),
    );
    const expected = gaussianLogDensity(times.map((t) => series[t] - series[0]), covariance);
    const got = arimaLogLikelihood(values, { p: 1, d: 1, q: 1, P: 0, D: 0, Q: 0, period: 1 }, { ar: Float64Array.from(phi), ma: Float64Array.from(theta) }, 1);
    expect(got.used).toBe(times.length);
    expect(Math.abs(got.logLikelihood - expected)).toBeLessThan(1e-8);
  });
});

describe('arimaLogLikelihood(values, order, coefficients) is the exact Gaussian log-likelihood of the differenced series', () => {
  for (const [index, c] of rReference.cases.entries()) {
    const py = pyReference.cases[index];
    it(`${c.name}: within 1e-6 of the full-covariance density at R's coefficients and at a probe point`, () => {
      const atR = arimaLogLikelihood(c.values, orderOf(c), coefficientsOf(c, c.coef));
      expect(Math.abs(atR.logLikelihood - py.exactLoglikAtR)).toBeLessThan(1e-6);
      expect(relative(atR.sigma2, py.exactSigma2AtR)).toBeLessThan(1e-9);
      const withSigma = arimaLogLikelihood(c.values, orderOf(c), coefficientsOf(c, c.coef), c.sigma2);
      expect(Math.abs(withSigma.logLikelihood - py.exactLoglikAtRWithSigma2)).toBeLessThan(1e-6);
      const atProbe = arimaLogLikelihood(c.values, orderOf(c), coefficientsOf(c, py.probeCoef));
      expect(Math.abs(atProbe.logLikelihood - py.exactLoglikAtProbe)).toBeLessThan(1e-6);
    });
  }
});

describe('fitArima matches R (stats::arima, CSS-ML) and forecastArima matches predict.Arima', () => {
  const fits = new Map<string, ArimaFit>();
  const fitOf = (c: RCase): ArimaFit => {
    let fit = fits.get(c.name);
    if (!fit) {
      fit = fitArima(c.values, orderOf(c));
      fits.set(c.name, fit);
    }
    return fit;
  };
  for (const [index, c] of rReference.cases.entries()) {
    const py = pyReference.cases[index];
    it(`${c.name}: log-likelihood no worse than the exact one at R's estimate by more than 1e-4`, () => {
      const fit = fitOf(c);
      expect(fit.logLikelihood).toBeGreaterThan(py.exactLoglikAtR - 1e-4);
      expect(fit.used).toBe(c.values.length - c.order[1] - c.seasonal[1] * c.period);
    });
    it(`${c.name}: 12-step forecasts and 95 % limits within 1e-3 relative of R`, () => {
      const forecast = forecastArima(fitOf(c), 12, [0.95]);
      const [interval] = forecast.intervals;
      for (let h = 0; h < 12; h++) {
        expect(relative(forecast.mean[h], c.forecast[h])).toBeLessThan(1e-3);
        expect(relative(forecast.se[h], c.se[h])).toBeLessThan(1e-3);
        expect(relative(interval.lower[h], c.lower95[h])).toBeLessThan(1e-3);
        expect(relative(interval.upper[h], c.upper95[h])).toBeLessThan(1e-3);
      }
    });
  }
  // The 1,000-point random walk has a nearly flat likelihood under ARIMA(2,1,2) (the AR and MA
  // parts almost cancel), so its coefficients are not identified and only the likelihood and
  // the forecasts are compared.
  for (const c of rReference.cases.filter((c) => c.name.startsWith('airpassengers'))) {
    it(`${c.name}: coefficients within 2e-3 of R and σ² within 1e-3 relative`, () => {
      const fit = fitOf(c);
      for (const [name, value] of Object.entries(c.coef)) expect(Math.abs(fit.named[name] - value)).toBeLessThan(2e-3);
      expect(relative(fit.sigma2, c.sigma2)).toBeLessThan(1e-3);
    });
  }
});

describe('fitArima with missing values matches R (its Kalman filter also skips the update at NA)', () => {
  for (const c of rReference.gaps) {
    it(`${c.name}: coefficients within 2e-3, forecasts and standard errors within 1e-3 relative`, () => {
      const fit = fitArima(c.values, orderOf(c));
      expect(fit.used).toBe(c.values.length - c.order[1] - c.seasonal[1] * c.period - 5);
      for (const [name, value] of Object.entries(c.coef)) expect(Math.abs(fit.named[name] - value)).toBeLessThan(2e-3);
      // R's figure uses a diffuse prior for the differencing states, ours conditions on observed values.
      expect(Math.abs(fit.logLikelihood - c.loglik)).toBeLessThan(5e-3);
      const forecast = forecastArima(fit, 12, [0.95]);
      for (let h = 0; h < 12; h++) {
        expect(relative(forecast.mean[h], c.forecast[h])).toBeLessThan(1e-3);
        expect(relative(forecast.se[h], c.se[h])).toBeLessThan(1e-3);
      }
    });
  }
});

describe('fitArima on odd input', () => {
  it('throws a clear insufficient_data error when the series is too short for the order', () => {
    let error: unknown;
    try {
      fitArima([1, 2, 3, 4, 5], { p: 2, d: 1, q: 2 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SluiceError);
    expect((error as SluiceError).code).toBe('insufficient_data');
    expect((error as SluiceError).message).toMatch(/ARIMA\(2,1,2\)\(0,0,0\)\[1\] needs at least \d+ observed points, got 5/);
  });
  it('throws invalid_config naming the field for a bad order', () => {
    expect(() => fitArima([1, 2, 3], { p: -1 })).toThrow(/p:/);
    expect(() => fitArima(new Array(50).fill(0).map((_, i) => i), { P: 1, period: 1 })).toThrow(/period/);
    expect(() => fitArima(new Array(50).fill(0).map((_, i) => i), { d: 2, includeDrift: true })).toThrow(/includeDrift/);
  });
  it('a constant series fits with zero-ish variance and forecasts the constant', () => {
    const fit = fitArima(new Array(40).fill(5), { p: 1 });
    const forecast = forecastArima(fit, 3);
    for (const v of forecast.mean) expect(v).toBeCloseTo(5, 6);
  });
  it('an AR(1) with a mean, simulated, recovers φ and the mean (and gaps only cost precision)', () => {
    const n = 600;
    const y = new Float64Array(n);
    let state = 12345;
    const uniform = () => ((state = (state * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
    const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    let prev = 0;
    for (let t = 0; t < n; t++) {
      prev = 0.7 * prev + normal();
      y[t] = 10 + prev;
    }
    const fit = fitArima(y, { p: 1 });
    expect(fit.coefficients.ar[0]).toBeGreaterThan(0.6);
    expect(fit.coefficients.ar[0]).toBeLessThan(0.8);
    expect(fit.coefficients.intercept!).toBeGreaterThan(9.5);
    expect(fit.coefficients.intercept!).toBeLessThan(10.5);
    const gappy = Float64Array.from(y, (v, t) => (t % 7 === 3 ? NaN : v));
    const gapFit = fitArima(gappy, { p: 1 });
    expect(gapFit.used).toBe(n - Math.ceil((n - 3) / 7));
    expect(Math.abs(gapFit.coefficients.ar[0] - fit.coefficients.ar[0])).toBeLessThan(0.05);
  });
  it('is scale equivariant: fitting c·y gives the same ARMA coefficients and c times the forecasts (property)', () => {
    const base = rReference.cases[0].values.slice(0, 80);
    fc.assert(
      fc.property(fc.constantFrom(1e-6, 0.01, -3, 1e4, 1e6), (scale) => {
        const fit = fitArima(base, { p: 1, d: 1, q: 1 });
        const scaled = fitArima(base.map((v) => v * scale), { p: 1, d: 1, q: 1 });
        expect(Math.abs(scaled.coefficients.ar[0] - fit.coefficients.ar[0])).toBeLessThan(1e-4);
        expect(Math.abs(scaled.coefficients.ma[0] - fit.coefficients.ma[0])).toBeLessThan(1e-4);
        expect(relative(scaled.sigma2, fit.sigma2 * scale * scale)).toBeLessThan(1e-4);
        const a = forecastArima(fit, 4, [0.9]);
        const b = forecastArima(scaled, 4, [0.9]);
        for (let h = 0; h < 4; h++) {
          expect(relative(b.mean[h], a.mean[h] * scale)).toBeLessThan(1e-6);
          expect(relative(b.se[h], a.se[h] * Math.abs(scale))).toBeLessThan(1e-4);
        }
      }),
      { numRuns: 5 },
    );
  });
  it('never throws on finite input with gaps and gives finite forecasts (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { freq: 6, nil: null }), { minLength: 12, maxLength: 60 }),
        fc.constantFrom({ p: 1, d: 0, q: 0 }, { p: 0, d: 1, q: 1 }, { p: 1, d: 1, q: 1 }),
        (raw, order) => {
          const values = raw.map((v) => (v === null ? NaN : v));
          let fit: ArimaFit;
          try {
            fit = fitArima(values, order);
          } catch (e) {
            expect(e).toBeInstanceOf(SluiceError);
            expect((e as SluiceError).code).toBe('insufficient_data');
            return;
          }
          expect(Number.isFinite(fit.logLikelihood) || fit.sigma2 === 0).toBe(true);
          const forecast = forecastArima(fit, 3, [0.9]);
          for (let h = 0; h < 3; h++) {
            expect(Number.isFinite(forecast.mean[h])).toBe(true);
            expect(forecast.se[h]).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
