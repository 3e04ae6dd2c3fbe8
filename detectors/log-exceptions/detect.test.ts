import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseConfig } from '../../src/core/config.js';
import { series } from '../../src/core/series.js';
import type { DetectorInput, LogEvent } from '../../src/core/detector.js';
import { poissonRateTest } from '../../src/core/binomial.js';
import { logExceptions, logExceptionsConfig, logExceptionsDetector } from './index.js';

const MINUTE = 60_000;
const deployedAt = Date.UTC(2026, 10, 26, 10, 0);
const defaults = parseConfig(logExceptionsConfig, {}, 'logExceptions config');
const NPE = 'java.lang.NullPointerException at com.acme.cart.Cart.total';
const TIMEOUT = 'java.net.SocketTimeoutException at com.acme.cart.PriceClient.fetch';
const BUSY = 'com.acme.cart.CartBusyException at com.acme.cart.Cart.lock';

/** 60 minutes of history and 30 of observation; events are (host, minute offset from deployedAt, signature, count). */
function input(events: [string, number, string, number][], controlHosts = ['c1', 'c2']): DetectorInput {
  const logEvents: LogEvent[] = events.map(([host, minute, signature, count]) => ({ host, t: deployedAt + minute * MINUTE, signature, count }));
  return {
    treated: series(deployedAt, MINUTE, new Array(30).fill(1)),
    history: series(deployedAt - 60 * MINUTE, MINUTE, new Array(60).fill(1)),
    logs: { events: logEvents, treatedHosts: ['a1', 'a2'], controlHosts, deployedAt },
  };
}

describe('logExceptions(input, config): new signatures', () => {
  it('a fatal class never seen before fails on one event and names the host', () => {
    const r = logExceptions(input([['a1', 3, NPE, 1], ['c1', -30, TIMEOUT, 2]]), defaults);
    expect(r.status).toBe('ok');
    expect(r.anomalous).toBe(true);
    expect(r.direction).toBe('up');
    // weighted count 10 against half-count 3: 100·10/13.
    expect(r.score).toBeCloseTo(1000 / 13, 10);
    expect(r.evidence).toMatchObject({ signature: NPE, kind: 'new', fatal: true, afterTreated: 1, 'host.a1': 1, newSignatures: 1, fatalNewSignatures: 1 });
  });

  it('an ordinary new signature needs newHalfCount events to reach 50', () => {
    expect(logExceptions(input([['a1', 3, BUSY, 2]]), defaults).anomalous).toBe(false);
    const r = logExceptions(input([['a1', 3, BUSY, 2], ['a2', 4, BUSY, 1]]), defaults);
    expect(r.score).toBeCloseTo(50, 12);
    expect(r.anomalous).toBe(true);
    expect(r.evidence).toMatchObject({ 'host.a1': 2, 'host.a2': 1, fatal: false });
  });

  it('a signature seen before on an unreleased host is not new', () => {
    const r = logExceptions(input([['c2', -50, NPE, 1], ['a1', 3, NPE, 1]]), defaults);
    expect(r.evidence.kind).not.toBe('new');
    expect(r.anomalous).toBe(false);
  });

  it('new on the unreleased hosts too (an outside event) does not blame the release', () => {
    const r = logExceptions(input([['a1', 3, NPE, 4], ['a2', 5, NPE, 4], ['c1', 3, NPE, 5], ['c2', 4, NPE, 3]]), defaults);
    expect(r.evidence.kind).toBe('new');
    expect(r.anomalous).toBe(false);
  });

  it('fatal classes are configurable, by simple or qualified name', () => {
    const none = parseConfig(logExceptionsConfig, { fatalClasses: ['com.acme.cart.CartBusyException'] }, 'c');
    expect(logExceptions(input([['a1', 3, BUSY, 1]]), none).evidence.fatal).toBe(true);
    expect(logExceptions(input([['a1', 3, NPE, 1]]), none).evidence.fatal).toBe(false);
  });
});

describe('logExceptions(input, config): surging signatures', () => {
  // Before: 2 hosts × 60 min = 120 host-minutes; after: 2 × 30 = 60; control after: 60.
  const steady: [string, number, string, number][] = [
    ['a1', -40, TIMEOUT, 3], ['a2', -20, TIMEOUT, 3], ['c1', 5, TIMEOUT, 1], ['c2', 15, TIMEOUT, 1],
  ];

  const hour = parseConfig(logExceptionsConfig, { beforeMs: 60 * MINUTE }, 'logExceptions config');

  it('p-values are the exact Poisson rate tests against before (beyond driftRatio) and against control', () => {
    const r = logExceptions(input([...steady, ['a1', 2, TIMEOUT, 20], ['a2', 9, TIMEOUT, 10]]), hour);
    const pBefore = poissonRateTest(30, 60, 6, 120, 'greater', 1.5).pValue;
    const pControl = poissonRateTest(30, 60, 2, 60, 'greater').pValue;
    expect(r.evidence.pBefore).toBeCloseTo(pBefore, 15);
    expect(r.evidence.pControl).toBeCloseTo(pControl, 15);
    expect(r.evidence.kind).toBe('surge');
    expect(r.evidence.rateRatio).toBeCloseTo(10, 12);
    expect(r.score).toBeCloseTo(Math.min(100, (50 * Math.log(Math.max(pBefore, pControl))) / Math.log(0.001)), 10);
    expect(r.anomalous).toBe(true);
    expect(r.evidence).toMatchObject({ 'host.a1': 20, 'host.a2': 10, afterTreated: 30, beforeTreated: 6, afterControl: 2 });
  });

  it('log coverage before the release defaults to the earliest event, not the metric history', () => {
    // Events from 40 minutes before: 6 in 2 × 40 host-minutes, not in 2 × 60.
    const r = logExceptions(input([...steady, ['a1', 2, TIMEOUT, 20], ['a2', 9, TIMEOUT, 10]]), defaults);
    expect(r.evidence.beforeMinutes).toBe(40);
    expect(r.evidence.pBefore).toBeCloseTo(poissonRateTest(30, 60, 6, 80, 'greater', 1.5).pValue, 15);
  });

  it('with beforeMs, events older than the coverage are left out', () => {
    const r = logExceptions(input([['a1', -50, TIMEOUT, 100], ['a1', -10, TIMEOUT, 2], ['a1', 5, TIMEOUT, 2]], []), parseConfig(logExceptionsConfig, { beforeMs: 20 * MINUTE }, 'c'));
    expect(r.evidence).toMatchObject({ beforeMinutes: 20, beforeTreated: 2, afterTreated: 2 });
  });

  it('the same rate as before is steady', () => {
    const r = logExceptions(input([...steady, ['a1', 2, TIMEOUT, 1], ['a2', 9, TIMEOUT, 2]]), defaults);
    expect(r.evidence.kind).toBe('steady');
    expect(r.anomalous).toBe(false);
  });

  it('a surge on every host, released or not, is not the release', () => {
    const r = logExceptions(input([...steady, ['a1', 2, TIMEOUT, 20], ['a2', 9, TIMEOUT, 10], ['c1', 3, TIMEOUT, 18], ['c2', 8, TIMEOUT, 12]]), defaults);
    expect(r.anomalous).toBe(false);
    expect(r.score).toBeLessThan(50);
  });

  it('without control hosts the test against before decides alone', () => {
    const r = logExceptions(input([...steady.slice(0, 2), ['a1', 2, TIMEOUT, 20], ['a2', 9, TIMEOUT, 10]], []), defaults);
    expect(r.evidence.pControl).toBeNull();
    expect(r.anomalous).toBe(true);
  });

  it('significant but below minRateRatio stays under 50', () => {
    // 3000 vs 2× exposure 4000: ratio 1.5, p tiny when the own past is taken at its word (driftRatio 1).
    const events: [string, number, string, number][] = [['a1', -30, TIMEOUT, 4000], ['a1', 5, TIMEOUT, 3000]];
    const r = logExceptions(input(events, []), parseConfig(logExceptionsConfig, { beforeMs: 60 * MINUTE, driftRatio: 1 }, 'c'));
    expect(r.evidence.pBefore as number).toBeLessThan(1e-20);
    expect(r.score).toBeLessThan(50);
  });

  it('without control hosts, a rise the size of traffic drifting through the day is not a surge', () => {
    // One host, 120 minutes at 1 a minute before, then 30 minutes at 2: ratio 2, as a quiet hour
    // turning busy does; against ratio 1 that is p ≈ 2e-5 (score 79), against driftRatio 1.5 p ≈ 0.04.
    const before = Array.from({ length: 24 }, (_, i): [string, number, string, number] => ['a1', -120 + 5 * i, TIMEOUT, 5]);
    const after = Array.from({ length: 6 }, (_, i): [string, number, string, number] => ['a1', 5 * i, TIMEOUT, 10]);
    const drifting = logExceptions(input([...before, ...after], []), defaults);
    expect(drifting.evidence.rateRatio).toBeCloseTo(2, 12);
    expect(drifting.evidence.pBefore).toBeCloseTo(poissonRateTest(60, 30, 120, 120, 'greater', 1.5).pValue, 15);
    expect(drifting.evidence.pBefore as number).toBeGreaterThan(0.01);
    expect(drifting.anomalous).toBe(false);
    const literal = logExceptions(input([...before, ...after], []), parseConfig(logExceptionsConfig, { driftRatio: 1 }, 'c'));
    expect(literal.evidence.pBefore as number).toBeLessThan(1e-4);
    expect(literal.anomalous).toBe(true);
    // A real surge, ten times the rate, still is one.
    const surge = logExceptions(input([...before, ...Array.from({ length: 6 }, (_, i): [string, number, string, number] => ['a1', 5 * i, TIMEOUT, 50])], []), defaults);
    expect(surge.evidence.kind).toBe('surge');
    expect(surge.anomalous).toBe(true);
  });
});

describe('logExceptions: bad data gives a result', () => {
  it('no logs, or no released hosts, is insufficient data', () => {
    expect(logExceptions({ treated: series(0, MINUTE, [1]) }, defaults).status).toBe('insufficient_data');
    const noHosts = input([]);
    noHosts.logs = { ...noHosts.logs!, treatedHosts: [] };
    expect(logExceptions(noHosts, defaults).status).toBe('insufficient_data');
  });

  it('no coverage before the release is insufficient data (nothing can be called new)', () => {
    const r = logExceptions({ treated: series(deployedAt, MINUTE, [1, 1]), logs: { events: [{ host: 'a1', t: deployedAt, signature: NPE, count: 1 }], treatedHosts: ['a1'], controlHosts: [], deployedAt } }, defaults);
    expect(r.status).toBe('insufficient_data');
    expect(r.reason).toMatch(/before deployedAt/);
  });

  it('no exceptions at all is a clean ok result', () => {
    const r = logExceptions(input([]), defaults);
    expect(r).toMatchObject({ status: 'ok', score: 0, anomalous: false, direction: 'none' });
  });

  it('any events (odd counts, unknown hosts, NaN times) → finite score in [0, 100], JSON-safe', () => {
    const event = fc.record({
      host: fc.constantFrom('a1', 'a2', 'c1', 'zz'),
      t: fc.oneof(fc.integer({ min: -100, max: 40 }).map((m) => deployedAt + m * MINUTE), fc.constant(NaN)),
      signature: fc.constantFrom(NPE, TIMEOUT, BUSY),
      count: fc.oneof(fc.integer({ min: -2, max: 5000 }), fc.double()),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        const base = input([]);
        const r = logExceptionsDetector.detect({ ...base, logs: { ...base.logs!, events } }, defaults);
        expect(r.score).toBeGreaterThanOrEqual(0);
        expect(r.score).toBeLessThanOrEqual(100);
        expect(JSON.parse(JSON.stringify(r))).toEqual(r);
      }),
    );
  });
});
