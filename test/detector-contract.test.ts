/**
 * The shared detector contract (STYLE habit 5): every registered detector runs the same
 * properties, with inputs built from its declared capabilities and its registry example config.
 * Nothing here looks at a detector's name.
 *
 * Runs are seeded (FC_SEED overrides) so a failure reproduces; detectors that fit models over
 * days of history get fewer runs (a time budget per property, CONTRACT_BUDGET_MS) to keep the
 * file within seconds per detector.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { DetectorModule, DetectorResult, Direction } from '../src/core/detector.js';
import { exampleConfig, listDetectors, resolveDetector } from '../src/registry.js';
import { buildInput, damageInput, type Damage, type Scenario } from './contract-inputs.js';

const seed = Number(process.env.FC_SEED ?? 20261126);

const scenario: fc.Arbitrary<Scenario> = fc.record({
  seed: fc.integer({ min: 1, max: 2_000_000_000 }),
  amplitude: fc.double({ min: 0, max: 10, noNaN: true }),
  noise: fc.double({ min: 0.05, max: 2, noNaN: true }),
  phaseMinute: fc.integer({ min: 0, max: 1439 }),
  windowLength: fc.integer({ min: 30, max: 60 }),
  hosts: fc.integer({ min: 2, max: 4 }),
});

const damage: fc.Arbitrary<Damage> = fc.record({
  seed: fc.integer({ min: 1, max: 2_000_000_000 }),
  gapRate: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(1)),
  scale: fc.constantFrom(1, 1e-6, 1e6, -1, 0),
  constant: fc.boolean(),
  treatedLength: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 3 })),
  historyLength: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 50 })),
  dropHistory: fc.boolean(),
  dropControl: fc.boolean(),
  dropHosts: fc.boolean(),
  dropLogs: fc.boolean(),
  oddEvents: fc.integer({ min: 0, max: 6 }),
});

const direction = fc.constantFrom<Direction>('up', 'down', 'both');

/**
 * Runs per property: as many as fit a time budget at this detector's measured cost on a clean
 * input, between 3 and `most`, so slow model fits do not make the file take minutes.
 */
const budgetMs = Number(process.env.CONTRACT_BUDGET_MS ?? 1000);
const costs = new Map<DetectorModule, number>();
function runsFor(module: DetectorModule, config: unknown, most: number): number {
  let cost = costs.get(module);
  if (cost === undefined) {
    const input = buildInput(module.capabilities, { seed: 11, amplitude: 5, noise: 1, phaseMinute: 300, windowLength: 60, hosts: 3 }, 'both');
    const started = performance.now();
    module.detect(input, config);
    cost = Math.max(performance.now() - started, 0.01);
    costs.set(module, cost);
  }
  return Math.max(3, Math.min(most, Math.floor(budgetMs / cost)));
}

function withoutNegativeZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(withoutNegativeZero);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNegativeZero(v)]));
  }
  return value;
}

/** The checks every result passes, whatever the input. */
function checkShape(module: DetectorModule, result: DetectorResult): void {
  expect(result.detector).toBe(module.name);
  expect(result.version).toBe(module.version);
  expect(['ok', 'insufficient_data']).toContain(result.status);
  expect(Number.isFinite(result.score)).toBe(true);
  expect(result.score).toBeGreaterThanOrEqual(0);
  expect(result.score).toBeLessThanOrEqual(100);
  expect(typeof result.anomalous).toBe('boolean');
  expect(['up', 'down', 'none']).toContain(result.direction);
  if (result.status === 'insufficient_data') {
    expect(result.score).toBe(0);
    expect(result.anomalous).toBe(false);
    expect(typeof result.reason).toBe('string');
    expect(result.reason?.length).toBeGreaterThan(0);
  }
  // JSON-safe: no NaN, Infinity, undefined-in-arrays or class instances survive a round trip changed
  // (−0 becomes 0 in JSON, which is harmless, so it is not held against a result).
  expect(JSON.parse(JSON.stringify(result))).toEqual(withoutNegativeZero(result));
}

const modules = listDetectors();

describe.each(modules.map((m) => [m.name, m] as const))('contract: %s', (_name, module) => {
  const { config } = resolveDetector({ name: module.name, config: exampleConfig(module.name) });
  const caps = module.capabilities;

  it('any input with gaps, odd scales, missing parts or odd log events: no throw, score in [0, 100], JSON-safe result', () => {
    fc.assert(
      fc.property(scenario, damage, direction, (s, d, dir) => {
        const input = damageInput(buildInput(caps, s, dir), d);
        checkShape(module, module.detect(input, config));
      }),
      { seed, numRuns: runsFor(module, config, 40) },
    );
  });

  it('identical released and unreleased hosts, history continuing the same pattern: not anomalous', () => {
    fc.assert(
      fc.property(scenario, direction, (s, dir) => {
        const result = module.detect(buildInput(caps, s, dir), config);
        checkShape(module, result);
        expect(result.status, result.reason).toBe('ok');
        expect(result.anomalous, JSON.stringify(result.evidence)).toBe(false);
      }),
      { seed, numRuns: runsFor(module, config, 20) },
    );
  });

  it('a large shift on the released hosts only: anomalous, in the right direction', () => {
    fc.assert(
      fc.property(scenario, direction, fc.boolean(), (s, dir, rise) => {
        const up = dir === 'up' || (dir === 'both' && rise);
        const result = module.detect(buildInput(caps, s, dir, { shift: up ? 80 : -80 }), config);
        checkShape(module, result);
        expect(result.status, result.reason).toBe('ok');
        expect(result.anomalous, JSON.stringify(result.evidence)).toBe(true);
        // Exceptions only ever rise; a metric moves the way it was pushed.
        expect(result.direction).toBe(caps.needsLogs || up ? 'up' : 'down');
      }),
      { seed, numRuns: runsFor(module, config, 20) },
    );
  });

  // Comparison detectors may fall back from control to history, so only the bare window is a sure cut;
  // a detector that needs nothing beyond the window (a static threshold) has nothing to cut.
  it.skipIf(!caps.needsHistory && !caps.needsControl && !caps.needsLogs)('given only the treated window, a detector that declares any need says insufficient data, never a pass', () => {
    const full = buildInput(caps, { seed: 3, amplitude: 5, noise: 1, phaseMinute: 100, windowLength: 40, hosts: 3 }, 'both', { shift: 80 });
    const result = module.detect({ treated: full.treated, direction: full.direction }, config);
    checkShape(module, result);
    expect(result.status).toBe('insufficient_data');
  });

  it.skipIf(module.prepare === undefined)('with prepare: detect({ ...input, prepared }) equals detect(input), clean or damaged', () => {
    fc.assert(
      fc.property(scenario, direction, fc.boolean(), damage, fc.boolean(), (s, dir, shifted, d, damaged) => {
        const clean = buildInput(caps, s, dir, shifted ? { shift: 80 } : undefined);
        const input = damaged ? damageInput(clean, d) : clean;
        const prepared = module.prepare?.({ history: input.history, period: input.period, direction: input.direction }, config);
        expect(module.detect({ ...input, prepared }, config)).toEqual(module.detect(input, config));
      }),
      { seed, numRuns: runsFor(module, config, 10) },
    );
  });

  it('is pure: the same input twice gives the same result', () => {
    const input = buildInput(caps, { seed: 7, amplitude: 5, noise: 1, phaseMinute: 600, windowLength: 45, hosts: 3 }, 'both', { shift: 30 });
    expect(module.detect(input, config)).toEqual(module.detect(input, config));
  });
});

describe('contract suite coverage', () => {
  it('runs every registered detector', () => {
    expect(modules.length).toBeGreaterThanOrEqual(7);
  });
});
