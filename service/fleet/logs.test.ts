import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IngestLogs } from '../adapters/logs/ingest-logs.js';
import { SimulatedFleet, VERSION_FILE } from './fleet.js';
import { layoutFleet } from './hosts.js';
import { MINUTE } from './model.js';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 5, 1, 6, 0);
const open: { fleet: SimulatedFleet; logs: IngestLogs }[] = [];
afterEach(() => {
  for (const { fleet, logs } of open.splice(0)) {
    fleet.stop();
    logs.close();
  }
});

function setup() {
  let now = START;
  const clock = { now: () => now, sleep: async () => undefined };
  const logs = new IngestLogs(':memory:');
  const fleet = new SimulatedFleet(layoutFleet({ hosts: 6 }), clock, null, {
    root: mkdtempSync(join(tmpdir(), 'sluice-fleet-logs-')), historyMs: 6 * HOUR, tickMs: 60_000,
    badVersions: { '2.0.0-bad': { latency: 1.4, errorRate: 2.5 } },
  }, (events) => void logs.write(events));
  open.push({ fleet, logs });
  return { fleet, logs, advance: (ms: number) => void (now += ms) };
}

describe('the simulated fleet writes its exception logs to the log ingest', () => {
  it('the history goes in when the fleet starts, then each reported minute; the ingest answers what logsFor answers', async () => {
    const { fleet, logs, advance } = setup();
    fleet.init();
    expect(logs.count()).toBe(0); // the service's log ingest does not exist before start
    fleet.start();
    const hosts = fleet.hosts.map((h) => h.name);
    const history = fleet.logsFor(hosts, 0, Infinity);
    expect(history.length).toBeGreaterThan(50);
    expect(logs.count()).toBe(history.reduce((n, e) => n + e.count, 0));
    advance(30 * MINUTE);
    fleet.catchUp();
    const from = START - 6 * HOUR - MINUTE;
    const read = await logs.query({ hosts, start: from, end: START + 31 * MINUTE, step: MINUTE });
    // The ingest buckets by minute; the fleet logs at the minute's start (a fatal one at +1 ms).
    const expected = fleet.logsFor(hosts, from, START + 31 * MINUTE).map((e) => ({ ...e, t: e.t - ((e.t - from) % MINUTE) }));
    const key = (e: { host: string; t: number; signature: string }) => `${e.host}|${e.t}|${e.signature}`;
    const sum = (events: { host: string; t: number; signature: string; count: number }[]) => {
      const out = new Map<string, number>();
      for (const e of events) out.set(key(e), (out.get(key(e)) ?? 0) + e.count);
      return out;
    };
    expect(sum(read)).toEqual(sum(expected));
  });

  it("a bad version's fatal exception reaches the ingest at level fatal", async () => {
    const { fleet, logs, advance } = setup();
    fleet.init();
    fleet.start();
    const target = fleet.hosts[0].name;
    writeFileSync(join(fleet.hostDir(target), VERSION_FILE), '2.0.0-bad');
    fleet.catchUp();
    advance(60 * MINUTE);
    fleet.catchUp();
    const fatal = await logs.query({ hosts: fleet.hosts.map((h) => h.name), start: START, end: START + 61 * MINUTE, step: MINUTE, levels: ['fatal'] });
    expect(fatal.length).toBeGreaterThan(20);
    expect(fatal.every((e) => e.host === target && /NullPointerException/.test(e.signature))).toBe(true);
  });
});
