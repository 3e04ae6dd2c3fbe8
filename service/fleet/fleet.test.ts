import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IngestStore } from '../adapters/metrics/ingest-store.js';
import { acceleratedClock } from '../clock/accelerated.js';
import { SimulatedFleet, VERSION_FILE } from './fleet.js';
import { spread } from './judge.js';
import { MinuteStore } from './memory.js';
import { layoutFleet } from './hosts.js';
import { fleetMetrics, MINUTE, sampleMetrics, trafficAt, versionEffectSchema } from './model.js';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 5, 1, 6, 0); // 14:00 UTC+8, the daily peak

/** A clock the test moves by hand; virtual time equals real time for file modification times. */
function manualClock(start: number) {
  let now = start;
  return { now: () => now, sleep: async () => undefined, advance: (ms: number) => void (now += ms), set: (t: number) => void (now = t) };
}

describe('acceleratedClock', () => {
  it('runs virtual time factor× faster than the real clock from its start', () => {
    let real = 1_000;
    const clock = acceleratedClock({ factor: 600, start: START, realNow: () => real });
    expect(clock.now()).toBe(START);
    real += 100;
    expect(clock.now()).toBe(START + 60_000);
    expect(clock.virtualAt(1_000 + 1_000)).toBe(START + 600_000);
    expect(clock.realDuration(600_000)).toBe(1_000);
  });

  it('sleep(ms) takes ms/factor of real time and rejects when aborted', async () => {
    const clock = acceleratedClock({ factor: 1_000 });
    const began = Date.now();
    await clock.sleep(2_000);
    const took = Date.now() - began;
    expect(took).toBeGreaterThanOrEqual(1);
    expect(took).toBeLessThan(500);
    const controller = new AbortController();
    const sleeping = clock.sleep(3_600_000, controller.signal);
    controller.abort(new Error('stopped'));
    await expect(sleeping).rejects.toThrow('stopped');
  });

  it('refuses a factor outside 1…100000', () => {
    expect(() => acceleratedClock({ factor: 0.5 })).toThrow(/factor/);
    expect(() => acceleratedClock({ factor: Number.NaN })).toThrow(/factor/);
  });
});

describe('layoutFleet', () => {
  it('spreads hosts evenly over datacenters and groups, with unique names', () => {
    const hosts = layoutFleet({ hosts: 200 });
    expect(new Set(hosts.map((h) => h.name)).size).toBe(200);
    const perDc = new Map<string, number>();
    for (const h of hosts) perDc.set(h.datacenter, (perDc.get(h.datacenter) ?? 0) + 1);
    expect([...perDc.values()]).toEqual([50, 50, 50, 50]);
    expect(new Set(hosts.map((h) => h.group)).size).toBe(8);
    expect(Math.min(...hosts.map((h) => h.size))).toBeLessThan(Math.max(...hosts.map((h) => h.size)));
  });
});

describe('fleet model', () => {
  const [host] = layoutFleet({ hosts: 1 });

  it('sampleMetrics is a function of (host, minute, effect, seed)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 50_000_000 }), fc.integer(), (minute, seed) => {
      const t = minute * MINUTE;
      expect(sampleMetrics(host, t, null, seed)).toEqual(sampleMetrics(host, t, null, seed));
      const values = sampleMetrics(host, t, null, seed);
      expect(values).toHaveLength(fleetMetrics.length);
      expect(values.every(Number.isFinite)).toBe(true);
    }));
  });

  it('traffic peaks in the afternoon and bottoms out before dawn (UTC+8)', () => {
    expect(trafficAt(START)).toBeCloseTo(1.6);
    expect(trafficAt(START + 12 * HOUR)).toBeCloseTo(0.4);
    const mean = (from: number, k: number) => {
      let sum = 0;
      for (let i = 0; i < 60; i++) sum += sampleMetrics(host, from + i * MINUTE, null, 1)[k];
      return sum / 60;
    };
    const qps = fleetMetrics.findIndex((m) => m.name === 'rpc.qps');
    expect(mean(START, qps) / mean(START + 12 * HOUR, qps)).toBeGreaterThan(3);
  });

  it('a bad version multiplies latency and adds errors', () => {
    const effect = versionEffectSchema.parse({ latency: 1.4, errorRate: 2.5 });
    const rt = fleetMetrics.findIndex((m) => m.name === 'rpc.rt');
    const errors = fleetMetrics.findIndex((m) => m.name === 'app.error_rate');
    let good = 0;
    let bad = 0;
    let goodErrors = 0;
    let badErrors = 0;
    for (let i = 0; i < 120; i++) {
      const t = START + i * MINUTE;
      good += sampleMetrics(host, t, null, 1)[rt];
      bad += sampleMetrics(host, t, effect, 1)[rt];
      goodErrors += sampleMetrics(host, t, null, 1)[errors];
      badErrors += sampleMetrics(host, t, effect, 1)[errors];
    }
    expect(bad / good).toBeCloseTo(1.4, 1);
    expect((badErrors - goodErrors) / 120).toBeGreaterThan(2);
  });
});

describe('SimulatedFleet', () => {
  const setup = (hosts = 8) => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-fleet-'));
    const clock = manualClock(START);
    const ingest = new IngestStore(':memory:');
    const fleet = new SimulatedFleet(layoutFleet({ hosts }), clock, (points) => void ingest.write(points), {
      root, initialVersion: '1.0.0', historyMs: 6 * HOUR, badVersions: { '2.0.0-bad': { latency: 1.4, errorRate: 2.5 } },
    });
    return { root, clock, ingest, fleet };
  };

  it('init() gives every host a folder with the initial version and reports the history before now', async () => {
    const { fleet, ingest } = setup();
    const written = fleet.init();
    const minutes = 6 * 60 + 1;
    expect(written).toBe(minutes * 8 * fleetMetrics.length);
    await fleet.flushed();
    expect(ingest.count()).toBe(written);
    // The ingest (mirror) and the fleet's own source hold the same numbers.
    const q = { metric: 'app.error_rate', hosts: fleet.hosts.slice(0, 3).map((h) => h.name), start: START - HOUR, end: START, step: 5 * MINUTE };
    const [fromIngest, fromFleet] = [await ingest.query(q), await fleet.source.query(q)];
    for (const h of q.hosts) expect(Array.from(fromFleet[h].values)).toEqual(Array.from(fromIngest[h].values));
    for (const h of fleet.hosts) expect(fleet.versionOnDisk(h.name)).toBe('1.0.0');
    const out = await ingest.query({ metric: 'rpc.rt', hosts: [fleet.hosts[0].name], start: START - 6 * HOUR, end: START + MINUTE, step: MINUTE });
    expect(Array.from(out[fleet.hosts[0].name].values).every(Number.isFinite)).toBe(true);
    expect(fleet.reportedUntil()).toBe(START);
    // Background exceptions only, on several hosts.
    const logs = fleet.logsFor(fleet.hosts.map((h) => h.name), 0, Infinity);
    expect(logs.length).toBeGreaterThan(100);
    expect(logs.every((e) => !/NullPointerException/.test(e.signature))).toBe(true);
  });

  it('a version written into a host folder degrades that host from then on, and only it', async () => {
    const { fleet, ingest, clock } = setup();
    fleet.init();
    const [target, other] = fleet.hosts.map((h) => h.name);
    clock.advance(30 * MINUTE);
    fleet.catchUp();
    clock.advance(1_000);
    writeFileSync(join(fleet.hostDir(target), VERSION_FILE), '2.0.0-bad');
    const changedAt = clock.now();
    fleet.catchUp(); // the fleet's next tick notices the file (this clock cannot date its mtime)
    clock.advance(60 * MINUTE);
    fleet.catchUp();
    expect(fleet.history(target)).toEqual([{ at: changedAt, version: '2.0.0-bad' }]);
    expect(fleet.history(other)).toEqual([]);
    expect(fleet.versionAt(target, changedAt - 1)).toBe('1.0.0');
    expect(fleet.versionAt(target, changedAt)).toBe('2.0.0-bad');

    await fleet.flushed();
    const mean = async (host: string, metric: string, from: number, to: number) => {
      const out = await ingest.query({ metric, hosts: [host], start: from, end: to, step: MINUTE });
      const values = Array.from(out[host].values);
      expect(values.every(Number.isFinite)).toBe(true);
      return values.reduce((a, b) => a + b, 0) / values.length;
    };
    const before = [START - 60 * MINUTE, changedAt - MINUTE] as const;
    const after = [changedAt + MINUTE, changedAt + 60 * MINUTE] as const;
    expect((await mean(target, 'rpc.rt', ...after)) / (await mean(target, 'rpc.rt', ...before))).toBeGreaterThan(1.25);
    expect((await mean(other, 'rpc.rt', ...after)) / (await mean(other, 'rpc.rt', ...before))).toBeLessThan(1.1);
    expect(await mean(target, 'app.error_rate', ...after)).toBeGreaterThan(2);

    const fatal = fleet.logsFor([target, other], 0, Infinity).filter((e) => /NullPointerException/.test(e.signature));
    expect(fatal.length).toBeGreaterThan(20);
    expect(fatal.every((e) => e.host === target && e.t >= changedAt)).toBe(true);
    // Rolled back: the fatal exception stops.
    writeFileSync(join(fleet.hostDir(target), VERSION_FILE), '1.0.0');
    const rolledBackAt = clock.now();
    fleet.catchUp();
    clock.advance(30 * MINUTE);
    fleet.catchUp();
    expect(fleet.versionAt(target, rolledBackAt + MINUTE)).toBe('1.0.0');
    expect(fleet.logsFor([target], rolledBackAt + MINUTE, Infinity).some((e) => /NullPointerException/.test(e.signature))).toBe(false);
  });

  it('logsFor returns only the asked hosts and minutes, ordered by time per host', () => {
    const { fleet } = setup(4);
    fleet.init();
    const host = fleet.hosts[1].name;
    const from = START - 2 * HOUR;
    const logs = fleet.logsFor([host], from, START - HOUR);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.every((e) => e.host === host && e.t >= from && e.t < START - HOUR)).toBe(true);
    expect(logs.map((e) => e.t)).toEqual([...logs.map((e) => e.t)].sort((a, b) => a - b));
    expect(() => fleet.logsFor(['nobody'], 0, 1)).toThrow(/no host nobody/);
  });

  it('with an accelerated clock, start() keeps reporting the minutes as they pass', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-fleet-'));
    const clock = acceleratedClock({ factor: 6_000 });
    const ingest = new IngestStore(':memory:');
    const fleet = new SimulatedFleet(layoutFleet({ hosts: 3 }), clock, (points) => void ingest.write(points), { root, historyMs: HOUR, tickMs: 5 });
    fleet.init();
    const first = fleet.reportedUntil();
    fleet.start();
    await new Promise((r) => setTimeout(r, 200)); // 20 virtual minutes
    fleet.stop();
    expect(fleet.reportedUntil() - first).toBeGreaterThanOrEqual(10 * MINUTE);
    expect(clock.now() - fleet.reportedUntil()).toBeLessThan(5 * MINUTE);
  });
});

describe('MinuteStore', () => {
  it('answers queries as the ingest store does on the same points (any window, step and aggregate)', async () => {
    const origin = START;
    const memory = new MinuteStore(origin, 16);
    const ingest = new IngestStore(':memory:');
    const hosts = ['h1', 'h2'];
    for (let slot = 0; slot < 90; slot++) {
      for (const [i, host] of hosts.entries()) {
        if (host === 'h2' && slot % 7 === 3) continue; // h2 skips some minutes: missing points
        const v = Math.sin(slot / 5) * 10 + i;
        memory.put(['m'], host, slot, [v]);
        ingest.write([{ metric: 'm', host, t: origin + slot * MINUTE, v }]);
      }
      memory.commit(slot);
    }
    expect(memory.until).toBe(origin + 89 * MINUTE);
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: -30, max: 100 }), fc.integer({ min: 1, max: 80 }), fc.constantFrom(1, 2, 5, 15), fc.constantFrom('mean', 'max', 'count', 'last', undefined),
      async (offset, points, stepMinutes, aggregate) => {
        const query = { metric: 'm', hosts: [...hosts, 'nobody'], start: origin + offset * MINUTE, end: origin + (offset + points * stepMinutes) * MINUTE, step: stepMinutes * MINUTE, aggregate: aggregate as 'mean' | undefined };
        const [a, b] = [await memory.query(query), await ingest.query(query)];
        for (const host of query.hosts) {
          expect(a[host].start).toBe(b[host].start);
          expect(Array.from(a[host].values)).toEqual(Array.from(b[host].values));
        }
      }), { numRuns: 200 });
  });
});

describe('spread(hosts, count)', () => {
  it('picks min(count, hosts) distinct hosts in their order, starting with the first, every part of the list represented', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 60 }), (n, count) => {
      const hosts = Array.from({ length: n }, (_, i) => `h${i}`);
      const picked = spread(hosts, count);
      expect(picked).toHaveLength(Math.min(n, count));
      expect(new Set(picked).size).toBe(picked.length);
      const indices = picked.map((h) => Number(h.slice(1)));
      expect(indices).toEqual([...indices].sort((a, b) => a - b));
      if (n > 0) expect(indices[0]).toBe(0);
      // Evenly: no gap between picks is more than one host longer than any other.
      const gaps = indices.slice(1).map((v, i) => v - indices[i]);
      if (gaps.length > 0) expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
    }));
  });
});
