import { describe, expect, it } from 'vitest';
import { generateCase, v1Preset, withoutReleasedHistory, type CaseKind } from '../../datasets/generator/index.js';
import { SluiceError } from '../core/errors.js';
import { createRandom } from '../core/random.js';
import type { ParsedCase } from '../datasets/case.js';
import { GateCache } from './cache.js';
import { evaluate, fuse } from './evaluate.js';
import { defaultPolicy, parsePolicy } from './policy.js';

/** The first few generated cases of a kind (indices past the shipped dataset's 600). */
function cases(kind: CaseKind, count = 3): ParsedCase[] {
  return Array.from({ length: count }, (_, i) => generateCase(v1Preset, 10_000 + i, kind));
}

const withoutControl = (c: ParsedCase): ParsedCase => ({ ...c, metrics: c.metrics.map((m) => ({ ...m, unreleased: [] })) });
const cutIndex = (c: ParsedCase) => Math.ceil((c.release.deployedAt - c.start) / c.step);

/** Blanks every point of `which` group from `from` on (or everywhere). */
function blank(c: ParsedCase, which: 'released' | 'unreleased', from = 0, metric?: string): ParsedCase {
  return {
    ...c,
    metrics: c.metrics.map((m) =>
      metric && m.name !== metric ? m : { ...m, [which]: m[which].map((h) => ({ host: h.host, values: Float64Array.from(h.values, (v, i) => (i >= from ? NaN : v)) })) },
    ),
  };
}

describe('evaluate(case, policy): confounders that hit every host', () => {
  it('traffic peak on every host → PASS', () => {
    for (const c of cases('traffic peak')) expect(evaluate(c).decision, c.id).toBe('PASS');
  });
  it('upstream failure on every host → PASS', () => {
    for (const c of cases('upstream failure')) expect(evaluate(c).decision, c.id).toBe('PASS');
  });
  it('a traffic ramp and the daily ramp on every host → PASS', () => {
    for (const c of [...cases('traffic ramp', 2), ...cases('daily ramp', 2)]) expect(evaluate(c).decision, c.id).toBe('PASS');
  });
});

describe('evaluate(case, policy): missing data is never a PASS', () => {
  const c = cases('normal', 1)[0];
  it('no released data in the observation window → INCONCLUSIVE naming the reason', () => {
    const v = evaluate(blank(c, 'released', cutIndex(c)));
    expect(v).toMatchObject({ decision: 'INCONCLUSIVE', basis: 'insufficient_data' });
    expect(v.reasons[0]).toMatch(/no metric could be judged: 0 of 12 points present/);
  });
  it('a critical metric without data → INCONCLUSIVE', () => {
    const critical = c.metrics.find((m) => m.critical)!;
    const v = evaluate(blank(c, 'released', cutIndex(c), critical.name));
    expect(v.decision).toBe('INCONCLUSIVE');
    expect(v.reasons[0]).toContain(`critical metric ${critical.name} has no data`);
  });
  it('neither history nor control → INCONCLUSIVE', () => {
    const v = evaluate(withoutControl(blank(c, 'released', 0)));
    expect(v.decision).toBe('INCONCLUSIVE');
  });
  it('more than a third of the metrics without data → INCONCLUSIVE', () => {
    let broken = c;
    for (const m of c.metrics.slice(0, Math.ceil(c.metrics.length / 2))) broken = blank(broken, 'released', cutIndex(c), m.name);
    expect(evaluate({ ...broken, metrics: broken.metrics.map((m) => ({ ...m, critical: false })) }).decision).toBe('INCONCLUSIVE');
  });
});

describe('evaluate(case, policy): released hosts that stop reporting are never a PASS', () => {
  // Ten released and twenty unreleased hosts, so that a few silent hosts leave the aggregates
  // judgeable: the gate would pass on the hosts that still report.
  const c = generateCase({ ...v1Preset, releasedHosts: [10, 10], unreleasedHosts: [20, 20], noUnreleasedChance: 0 }, 10_000, 'normal');
  const cut = cutIndex(c);
  /** The first `count` released hosts (every metric) without a point from `from` on. */
  const silent = (count: number, from: number, group: 'released' | 'unreleased' = 'released'): ParsedCase => ({
    ...c,
    metrics: c.metrics.map((m) => ({ ...m, [group]: m[group].map((h, k) => (k < count ? { host: h.host, values: Float64Array.from(h.values, (v, i) => (i >= from ? NaN : v)) } : h)) })),
  });

  it('as it is, the batch passes', () => {
    expect(evaluate(c).decision).toBe('PASS');
  });
  it('two of ten released hosts silent since the release → INCONCLUSIVE, naming them and the metrics', () => {
    const v = evaluate(silent(2, cut));
    expect(v).toMatchObject({ decision: 'INCONCLUSIVE', basis: 'insufficient_data' });
    const hosts = c.metrics[0].released.slice(0, 2).map((h) => h.host);
    expect(v.reasons[0]).toContain(`2 of 10 released hosts (${hosts.join(', ')}) stopped reporting ${c.metrics[0].name}`);
    expect(v.reasons[0]).toContain('against 0 of 20 unreleased hosts');
  });
  it('says which of them still logged in those points (alive: a collection gap rather than a crash)', () => {
    const [a, b] = c.metrics[0].released.map((h) => h.host);
    const last = c.start + (c.metrics[0].released[0].values.length - 1) * c.step;
    const quiet = silent(2, cut);
    const logs = [...c.logs.filter((e) => e.host !== a && e.host !== b), { host: a, t: last, signature: 'java.net.SocketTimeoutException', count: 1 }];
    expect(evaluate({ ...quiet, logs }).reasons[0]).toMatch(new RegExp(`\\); ${a} still logged in those points$`));
    expect(evaluate({ ...quiet, logs: logs.filter((e) => e.host !== a) }).reasons[0]).toMatch(/unreleased hosts\)$/);
  });
  it('every released host silent for the window\'s last half → INCONCLUSIVE', () => {
    expect(evaluate(silent(10, cut + 6)).decision).toBe('INCONCLUSIVE');
  });
  it('without unreleased hosts too', () => {
    expect(evaluate(withoutControl(c)).decision).toBe('PASS');
    expect(evaluate(withoutControl(silent(1, cut + 4))).decision).toBe('INCONCLUSIVE');
  });
  it('one metric silent on one released host → INCONCLUSIVE (a release that stops emitting it)', () => {
    const name = c.metrics[1].name;
    const one = { ...c, metrics: c.metrics.map((m) => (m.name === name ? silent(1, cut).metrics.find((x) => x.name === name)! : m)) };
    const v = evaluate(one);
    expect(v.decision).toBe('INCONCLUSIVE');
    expect(v.reasons[0]).toMatch(new RegExp(`^1 of 10 released hosts \\(${c.metrics[0].released[0].host}\\) stopped reporting ${name.replaceAll('.', '\\.')} \\(`));
  });
  it('a gap that ended, or only the last two points late on every host → judged as usual (PASS)', () => {
    const healed = { ...c, metrics: c.metrics.map((m) => ({ ...m, released: m.released.map((h, k) => (k < 2 ? { host: h.host, values: Float64Array.from(h.values, (v, i) => (i >= cut && i < cut + 6 ? NaN : v)) } : h)) })) };
    expect(evaluate(healed).decision).toBe('PASS');
    const length = c.metrics[0].released[0].values.length;
    expect(evaluate(blank(blank(c, 'released', length - 2), 'unreleased', length - 2)).decision).toBe('PASS');
  });
  it('as many unreleased hosts silent too (a collection outage on every host) → judged on the rest (PASS)', () => {
    const both = silent(2, cut);
    const everywhere = { ...both, metrics: both.metrics.map((m, i) => ({ ...m, unreleased: silent(4, cut, 'unreleased').metrics[i].unreleased })) };
    expect(evaluate(everywhere).decision).toBe('PASS');
  });
  it('a policy can allow a share of silent released hosts (maxSilentShare)', () => {
    expect(evaluate(silent(1, cut), { minData: { maxSilentShare: 0.1 } }).decision).toBe('PASS');
    expect(evaluate(silent(2, cut), { minData: { maxSilentShare: 0.1 } }).decision).toBe('INCONCLUSIVE');
  });
  it('a batch that fails on its scores also names the silent hosts', () => {
    const bad = generateCase({ ...v1Preset, releasedHosts: [10, 10], unreleasedHosts: [20, 20], noUnreleasedChance: 0 }, 10_001, 'level shift up');
    const quiet = { ...bad, metrics: bad.metrics.map((m) => ({ ...m, released: m.released.map((h, k) => (k === 0 ? { host: h.host, values: Float64Array.from(h.values, (v, i) => (i >= cut ? NaN : v)) } : h)) })) };
    const v = evaluate(quiet);
    expect(v.decision).toBe('FAIL');
    expect(v.reasons.at(-1)).toContain(`1 of 10 released hosts (${bad.metrics[0].released[0].host}) stopped reporting`);
  });
});

describe('evaluate(case, policy): released hosts that stop updating a metric are never a PASS', () => {
  // A stale exporter or a hung process repeats a value it had; the views would judge that value.
  const c = generateCase({ ...v1Preset, releasedHosts: [3, 3], unreleasedHosts: [6, 6], noUnreleasedChance: 0 }, 10_002, 'normal');
  const cut = cutIndex(c);
  const name = c.metrics[0].name;
  /** `count` hosts of `group` repeat `value(host values)` for `metric` from `from` on. */
  const frozen = (count: number, from: number, value: (v: Float64Array) => number, group: 'released' | 'unreleased' = 'released', metric = name, base: ParsedCase = c): ParsedCase => ({
    ...base,
    metrics: base.metrics.map((m) => (m.name !== metric ? m : { ...m, [group]: m[group].map((h, k) => (k < count ? { host: h.host, values: Float64Array.from(h.values, (v, i) => (i >= from ? value(h.values) : v)) } : h)) })),
  });
  /** The median of the hour before the release: inside the host's range there. */
  const recent = (v: Float64Array) => [...v.subarray(cut - 60, cut)].sort((a, b) => a - b)[30];

  it('as it is, the batch passes', () => {
    expect(evaluate(c).decision).toBe('PASS');
  });
  it('every released host repeating a recent value since the release → INCONCLUSIVE, naming them and the metric', () => {
    const v = evaluate(frozen(3, cut, recent));
    expect(v).toMatchObject({ decision: 'INCONCLUSIVE', basis: 'insufficient_data' });
    const hosts = c.metrics[0].released.map((h) => h.host);
    expect(v.reasons[0]).toBe(`3 of 3 released hosts (${hosts.join(', ')}) stopped updating ${name} (one value, inside their range before the release or 0 or less where they read only positive values, for the window's last 5 points or more, against 0 of 6 unreleased hosts): a hung process or a stale exporter`);
  });
  it('one released host, for the window\'s last 5 points → INCONCLUSIVE; for 4 → judged as usual', () => {
    const length = c.metrics[0].released[0].values.length;
    expect(evaluate(frozen(1, length - 5, recent)).decision).toBe('INCONCLUSIVE');
    expect(evaluate(frozen(1, length - 4, recent)).decision).toBe('PASS');
  });
  // Whatever the scores make of such data (reasons list the hosts that stopped on a FAIL too).
  it('a value at an end of the host\'s range (a saturated CPU, a count gone quiet) is the data\'s own → not called frozen', () => {
    const max = (v: Float64Array) => Math.max(...v.subarray(cut - 60, cut).filter((x) => x === x));
    const min = (v: Float64Array) => Math.min(...v.subarray(cut - 60, cut).filter((x) => x === x));
    expect(evaluate(frozen(3, cut, (v) => max(v) * 1.1)).reasons.join()).not.toContain('stopped updating');
    expect(evaluate(frozen(3, cut, min)).reasons.join()).not.toContain('stopped updating');
    // A sparse count: 0 at every third point before the release, and 0 throughout the window.
    const sparse = { ...c, metrics: c.metrics.map((m) => (m.name !== name ? m : { ...m, released: m.released.map((h) => ({ host: h.host, values: Float64Array.from(h.values, (v, i) => (i >= cut || i % 3 === 0 ? 0 : v)) })) })) };
    expect(evaluate(sparse).reasons.join()).not.toContain('stopped updating');
  });
  it('a metric that read only positive values before the release reading 0 (or a sentinel −1) since → INCONCLUSIVE (an exporter that lost it)', () => {
    // An \'up\' metric falling to 0 is no fault to the views: only the check sees it.
    for (const sentinel of [0, -1]) {
      const v = evaluate(frozen(3, cut, () => sentinel));
      expect(v.decision).toBe('INCONCLUSIVE');
      expect(v.reasons[0]).toContain(`stopped updating ${name}`);
    }
  });
  it('a metric that often repeats itself before the release needs twice its longest run', () => {
    // Runs of 4 equal points before the release: 7 in the window are its usual, 8 are not.
    const stepped = frozen(3, 0, (v) => 0, 'released', name, c);
    const quantised = { ...stepped, metrics: stepped.metrics.map((m) => (m.name !== name ? m : { ...m, released: m.released.map((h, k) => ({ host: h.host, values: Float64Array.from(c.metrics[0].released[k].values, (_, i) => 10 + (Math.floor(i / 4) % 5)) })) })) };
    const length = c.metrics[0].released[0].values.length;
    const level = (v: Float64Array) => v[cut - 3] === 10 || v[cut - 3] === 14 ? 12 : v[cut - 3];
    expect(evaluate(frozen(3, length - 7, level, 'released', name, quantised)).reasons.join()).not.toContain('stopped updating');
    expect(evaluate(frozen(3, length - 8, level, 'released', name, quantised)).reasons.join()).toContain('stopped updating');
  });
  it('as many unreleased hosts repeating values too (the collection repeats everyone\'s last value) → judged on the data (PASS)', () => {
    const both = frozen(6, cut, recent, 'unreleased', name, frozen(3, cut, recent));
    expect(evaluate(both).decision).toBe('PASS');
  });
  it('frozenPoints: 0 turns the check off', () => {
    expect(evaluate(frozen(3, cut, recent), { minData: { frozenPoints: 0 } }).decision).toBe('PASS');
  });
});

describe('evaluate(case, policy): released hosts that stop logging are never a PASS', () => {
  // Every host logs one background exception a step, for the 72 steps before the release and on.
  const base = generateCase({ ...v1Preset, releasedHosts: [3, 3], unreleasedHosts: [6, 6], noUnreleasedChance: 0 }, 10_003, 'normal');
  const cut = cutIndex(base);
  const hosts = (group: 'released' | 'unreleased') => base.metrics[0][group].map((h) => h.host);
  const length = base.metrics[0].released[0].values.length;
  const steady = (who: string[], from: number, to: number, count = 1) => who.flatMap((host) => Array.from({ length: to - from }, (_, k) => ({ host, t: base.start + (from + k) * base.step, signature: 'java.net.SocketTimeoutException at com.acme.cache.TairClient.get', count })));
  const c: ParsedCase = { ...base, logs: [...steady([...hosts('released'), ...hosts('unreleased')], cut - 72, length)] };
  const cutLogs = (x: ParsedCase, who: string[], from: number): ParsedCase => ({ ...x, logs: x.logs.filter((e) => !(who.includes(e.host) && e.t >= base.start + from * base.step)) });

  it('as it is, the batch passes', () => {
    expect(evaluate(c).decision).toBe('PASS');
  });
  it('no released host logging since the release, where their rate before made 24 events due → INCONCLUSIVE, saying so', () => {
    const v = evaluate(cutLogs(c, hosts('released'), cut));
    expect(v).toMatchObject({ decision: 'INCONCLUSIVE', basis: 'insufficient_data' });
    // 3 hosts × 12 steps, over the drift allowance of 1.5.
    expect(v.reasons).toContain('the 3 released hosts logged nothing since the release, where their rate before it made about 24 events due (the unreleased hosts logged 72): a release that broke its logging, or hosts that stopped');
  });
  it('no host logging at all since the release (the log pipeline) → judged as usual', () => {
    expect(evaluate(cutLogs(c, [...hosts('released'), ...hosts('unreleased')], cut)).decision).toBe('PASS');
  });
  it('hosts that log rarely: nothing for an hour is no evidence → judged as usual', () => {
    // One event per host over the six hours before: 3 × 1/72 × 12 / 1.5 ≈ 0.3 due.
    const rare: ParsedCase = { ...c, logs: [...steady(hosts('released'), cut - 72, cut - 71), ...steady(hosts('unreleased'), cut - 72, length)] };
    expect(evaluate(rare).decision).toBe('PASS');
  });
  it('silentLogsAlpha 0 or no log view turns the check off', () => {
    const silent = cutLogs(c, hosts('released'), cut);
    expect(evaluate(silent, { minData: { silentLogsAlpha: 0 } }).decision).toBe('PASS');
    expect(evaluate(silent, { views: { logs: null } }).decision).toBe('PASS');
  });

  describe('host by host: a released host silent since the release among others that log', () => {
    // Three events a step before the release: 3 × 12 / 1.5 = 24 due on each host in the window.
    const chatty: ParsedCase = { ...base, logs: steady([...hosts('released'), ...hosts('unreleased')], cut - 72, length, 3) };
    const [first, second] = hosts('released');

    it('one of three, where 24 events were due → INCONCLUSIVE, naming it', () => {
      const v = evaluate(cutLogs(chatty, [second], cut));
      expect(v).toMatchObject({ decision: 'INCONCLUSIVE', basis: 'insufficient_data' });
      expect(v.reasons).toContain(`1 of 3 released hosts (${second}) logged nothing since the release, where their own rate before it made at least 24 events due on each, against 0 of 6 unreleased hosts: their logging broke, or they stopped`);
    });
    it('each host is held to silentLogsAlpha / 3: 8 events due (one a step) is not enough, 24 is', () => {
      // e^−8 = 3.4e-4 is below 0.001 but not below 0.001 / 3 = 3.3e-4.
      expect(evaluate(cutLogs(c, [second], cut)).decision).toBe('PASS');
      expect(evaluate(cutLogs(c, [second], cut), { minData: { silentLogsAlpha: 0.01 } }).decision).toBe('INCONCLUSIVE');
    });
    it('as large a share of the unreleased hosts silent too → judged as usual; maxSilentShare allows a share', () => {
      expect(evaluate(cutLogs(chatty, [second, ...hosts('unreleased').slice(0, 2)], cut)).decision).toBe('PASS');
      expect(evaluate(cutLogs(chatty, [second], cut), { minData: { maxSilentShare: 0.34 } }).decision).toBe('PASS');
      expect(evaluate(cutLogs(chatty, [first, second], cut), { minData: { maxSilentShare: 0.34 } }).decision).toBe('INCONCLUSIVE');
    });
    it('a host that logged before and again in the window\'s last minutes → judged as usual', () => {
      const late: ParsedCase = { ...cutLogs(chatty, [second], cut), logs: [...cutLogs(chatty, [second], cut).logs, ...steady([second], length - 1, length, 3)] };
      expect(evaluate(late).decision).toBe('PASS');
    });
  });
});

describe('evaluate(case, policy): released hosts new with the release (no history of their own)', () => {
  // Pods replaced by a rolling update have new names: only the unreleased hosts have a past. One
  // metric; two released hosts at `releasedLevel` from the release on, unreleased hosts at their levels throughout.
  const newHosts = (metric: { name: string; direction: 'up' | 'both' }, releasedLevel: number, unreleasedLevels: number[], seed: number, releasedNoise = 1): ParsedCase => {
    const random = createRandom(seed);
    const step = 300_000;
    const start = Date.UTC(2026, 0, 5);
    const host = (name: string, level: number, history: boolean) => ({ host: name, values: Float64Array.from({ length: 588 }, (_, i) => (i < 576 && !history ? NaN : level * (1 + 0.02 * (history ? 1 : releasedNoise) * random.normal()))) });
    return {
      id: `new-hosts-${releasedLevel}`, app: 'app', release: { id: 'rel', batch: 1, deployedAt: start + 576 * step }, step, start,
      metrics: [{ ...metric, category: 'middleware', critical: false, released: ['r1', 'r2'].map((h) => host(h, releasedLevel, false)), unreleased: unreleasedLevels.map((level, i) => host(`u${i + 1}`, level, true)) }],
      logs: [],
    };
  };
  // A sum over 2 released and 6 unreleased hosts differs threefold by host count alone.
  const qps = (perHost: number): ParsedCase => newHosts({ name: 'rpc.qps', direction: 'both' }, perHost, [100, 100, 100, 100, 100, 100], 11);
  it('the same traffic per host → PASS (the unreleased sum is put on the released hosts\' scale by host count)', () => {
    expect(evaluate(qps(100)).decision).toBe('PASS');
  });
  it('a new released host that stops reporting, or never reports, → INCONCLUSIVE naming it', () => {
    const c = qps(100);
    const quietFrom = (from: number): ParsedCase => ({ ...c, metrics: c.metrics.map((m) => ({ ...m, released: [m.released[0], { host: 'r2', values: m.released[1].values.map((x, i) => (i >= from ? NaN : x)) }] })) });
    for (const [from, quiet] of [[580, 'nothing in the last 3 points'], [0, 'nothing since the release']] as const) {
      const v = evaluate(quietFrom(from));
      expect(v.decision).toBe('INCONCLUSIVE');
      expect(v.reasons.join('\n')).toContain(`1 of 2 released hosts (r2) stopped reporting rpc.qps (${quiet}`);
    }
  });
  it('half the traffic per host on the released hosts → FAIL', () => {
    expect(evaluate(qps(50)).decision).toBe('FAIL');
  });
  // Hosts differ in size: without a past, a released host's level is judged against how far the
  // unreleased hosts' levels spread.
  const sized = (releasedLevel: number, unreleasedLevels: number[]): ParsedCase => newHosts({ name: 'rpc.rt', direction: 'up' }, releasedLevel, unreleasedLevels, 12);
  it('released hosts that differ from the unreleased ones no more than those differ from each other → PASS', () => {
    const v = evaluate(sized(150, [60, 80, 100, 120, 140, 160]));
    expect(v.decision).toBe('PASS');
    expect(v.metrics[0].reasons.join('\n')).toMatch(/capped at [\d.]+: released hosts without a past/);
  });
  it('released hosts far outside that spread → FAIL', () => {
    expect(evaluate(sized(600, [60, 80, 100, 120, 140, 160])).decision).toBe('FAIL');
  });
  // Their noise, though, is comparable: hosts differ in it much less than in level.
  it('released hosts four times as noisy as the unreleased hosts → FAIL on their noise; the same batch passes with the view off', () => {
    const c = newHosts({ name: 'rpc.rt', direction: 'up' }, 100, [100, 100, 100, 100, 100, 100], 13, 4);
    const v = evaluate(c);
    expect(v.decision).toBe('FAIL');
    expect(v.metrics[0].views.newHosts).toMatchObject({ form: expect.any(String) });
    expect(v.metrics[0].views.newHosts!.ratio).toBeGreaterThan(2.5);
    expect(v.metrics[0].reasons[0]).toMatch(/released hosts without a past against the unreleased hosts: [\d.]+× as rough/);
    expect(evaluate(c, { views: { pooled: { newHosts: false } } }).decision).toBe('PASS');
  });
  it('released hosts as noisy as the unreleased hosts → PASS, the view scoring low', () => {
    for (const seed of [13, 14, 15, 16]) {
      const v = evaluate(newHosts({ name: 'rpc.rt', direction: 'up' }, 100, [100, 100, 100, 100, 100, 100], seed));
      expect(v.decision, `seed ${seed}`).toBe('PASS');
      expect(v.metrics[0].views.newHosts!.score, `seed ${seed}`).toBeLessThan(50);
    }
  });
  // An event on every host with new released hosts: the unreleased hosts' own before/after check
  // still runs (they have a past), so the views comparing the groups are discounted as they are
  // when the released hosts have a past.
  it('an upstream failure on every host → PASS, the unreleased hosts seen leaving their forecast', () => {
    for (const c of cases('upstream failure', 4).map((x) => withoutReleasedHistory(x))) {
      const v = evaluate(c);
      expect(v.decision, c.id).toBe('PASS');
      const rate = v.metrics.find((m) => m.name === 'application.error.rate')!;
      expect(rate.views.beforeAfter, c.id).toEqual([]);
      expect(rate.views.beforeAfterControl.length, c.id).toBeGreaterThan(0);
      expect(rate.reasons.join('\n'), c.id).toMatch(/the unreleased hosts moved too/);
    }
  });
  // Hosts added to the batch with the release beside hosts with a past: the released aggregate
  // must not change its composition at the release.
  it('one released host with a past and one new host of another size → PASS; the new host is left to the stopped-hosts checks', () => {
    const random = createRandom(21);
    const step = 300_000;
    const start = Date.UTC(2026, 0, 5);
    const host = (name: string, level: number, history: boolean) => ({ host: name, values: Float64Array.from({ length: 588 }, (_, i) => (i < 576 && !history ? NaN : level * (1 + 0.02 * random.normal()))) });
    const c: ParsedCase = {
      id: 'mixed', app: 'app', release: { id: 'rel', batch: 1, deployedAt: start + 576 * step }, step, start,
      metrics: [{ name: 'rpc.rt', direction: 'up', category: 'middleware', critical: false, released: [host('r1', 100, true), host('r2', 160, false)], unreleased: [80, 90, 100, 110, 120].map((level, i) => host(`u${i + 1}`, level, true)) }],
      logs: [],
    };
    const v = evaluate(c);
    expect(v.decision).toBe('PASS');
    expect(v.metrics[0].views.newHosts).toBeUndefined();
    // Every released host still counts for the stopped-hosts check: the new one going silent is seen.
    const silent: ParsedCase = { ...c, metrics: c.metrics.map((m) => ({ ...m, released: [m.released[0], { host: 'r2', values: m.released[1].values.map((x, i) => (i >= 579 ? NaN : x)) }] })) };
    expect(evaluate(silent).decision).toBe('INCONCLUSIVE');
  });
  it('healthy batches with every other released host new pass about as often as with every host known', () => {
    const mixed = (c: ParsedCase): ParsedCase => withoutReleasedHistory(c, (j) => j % 2 === 1);
    const healthy = Array.from({ length: 40 }, (_, i) => generateCase(v1Preset, 20_000 + i, 'normal')).filter((c) => c.metrics.every((m) => m.released.length >= 2 && m.unreleased.length > 0));
    expect(healthy.length).toBeGreaterThanOrEqual(15);
    // Before the views took only the hosts with a past, about half of such batches failed.
    const failed = healthy.filter((c) => evaluate(mixed(c)).decision === 'FAIL').map((c) => c.id);
    expect(failed.length, failed.join(', ')).toBeLessThanOrEqual(Math.ceil(0.1 * healthy.length));
  });
  it('with one unreleased host there is no spread to judge by → INCONCLUSIVE, saying why', () => {
    const v = evaluate(sized(150, [100]));
    expect(v.decision).toBe('INCONCLUSIVE');
    expect(v.reasons[0]).toContain('released hosts without a past and one unreleased host');
  });
});

describe('evaluate(case, policy): bad changes', () => {
  it('a level shift on the released hosts → FAIL, with the metric, its category and series to plot', () => {
    const c = cases('level shift up', 1)[0];
    const v = evaluate(c);
    expect(v.decision).toBe('FAIL');
    const flagged = v.metrics.filter((m) => m.anomalous).map((m) => m.name);
    expect(flagged).toEqual(expect.arrayContaining(c.label!.metrics));
    const metric = v.metrics.find((m) => m.name === c.label!.metrics[0])!;
    expect(v.categories.map((x) => x.category)).toContain(metric.category);
    expect(metric.plot?.beforeAfter.map((p) => p.role)).toEqual(['observed', 'forecast', 'lower', 'upper']);
    expect(metric.plot?.releasedVsUnreleased.map((p) => p.name)).toEqual(['released', 'unreleased']);
    expect(metric.plot?.deployedAt).toBe(c.release.deployedAt);
  });
  it('detectors keep their own series only on flagged metrics, unless the policy asks for all; nothing else changes', () => {
    const c = cases('level shift up', 1)[0];
    const plotted = (m: { views: { beforeAfter: { plot?: unknown }[]; beforeAfterControl: { plot?: unknown }[]; comparison: { plot?: unknown }[] } }) =>
      [...m.views.beforeAfter, ...m.views.beforeAfterControl, ...m.views.comparison].filter((r) => r.plot !== undefined).length;
    const flaggedOnly = evaluate(c);
    const all = evaluate(c, { detectorPlots: 'all' });
    expect(flaggedOnly.metrics.some((m) => m.anomalous) && flaggedOnly.metrics.some((m) => !m.anomalous)).toBe(true);
    for (const m of flaggedOnly.metrics) expect(plotted(m) > 0).toBe(m.anomalous);
    for (const m of all.metrics) expect(plotted(m)).toBeGreaterThan(0);
    const withoutPlots = (v: unknown) => JSON.stringify(v, (key, value) => (key === 'plot' && Array.isArray(value) ? undefined : value));
    expect(withoutPlots(flaggedOnly)).toBe(withoutPlots(all));
    expect(JSON.stringify(flaggedOnly).length).toBeLessThan(0.8 * JSON.stringify(all).length);
  });
  it('a new fatal exception → FAIL through the log view', () => {
    const c = cases('new fatal exception', 1)[0];
    const v = evaluate(c);
    expect(v.decision).toBe('FAIL');
    expect(v.categories.find((x) => x.category === 'application')?.metrics.map((m) => m.name)).toContain('logs');
  });
  it('a case with no unreleased hosts is judged on before/after alone', () => {
    const c = withoutControl(cases('level shift up', 1)[0]);
    const v = evaluate(c);
    expect(v.decision).toBe('FAIL');
    const metric = v.metrics.find((m) => m.name === c.label!.metrics[0])!;
    expect(metric.views.comparison).toEqual([]);
    expect(metric.views.beforeAfter[0].status).toBe('ok');
  });
  it('without unreleased hosts, small shifts on every released host are caught against their own past, healthy batches pass', () => {
    // Before the own-past view, before/after alone caught 4 of these 24.
    const small = (['small level shift', 'small latency regression'] as const).flatMap((kind) => cases(kind, 12)).map(withoutControl);
    const caught = small.filter((c) => evaluate(c).decision === 'FAIL').length;
    expect(caught).toBeGreaterThanOrEqual(12);
    const own = small.map((c) => evaluate(c)).filter((v) => v.metrics.some((m) => m.anomalous && m.reasons[0]?.startsWith('released hosts against their own past')));
    expect(own.length).toBeGreaterThan(0);
    for (const c of cases('normal', 30).map(withoutControl)) expect(evaluate(c).decision, c.id).toBe('PASS');
  });
  it('an event that moves every host a little does not excuse a release that moves its own hosts far more', () => {
    const c = cases('normal', 1)[0];
    const cut = cutIndex(c);
    const target = c.metrics.find((m) => m.name === 'middleware.hsf.provider.qps')!;
    const scaled = (values: Float64Array, by: number) => Float64Array.from(values, (x, i) => (i >= cut ? x * by : x));
    // Every host loses 25 % (the event, enough to leave the unreleased hosts' own forecast), the
    // released hosts half of what is left (the release).
    const hit: ParsedCase = {
      ...c,
      metrics: c.metrics.map((m) => (m !== target ? m : { ...m, released: m.released.map((h) => ({ host: h.host, values: scaled(h.values, 0.75 * 0.5) })), unreleased: m.unreleased.map((h) => ({ host: h.host, values: scaled(h.values, 0.75) })) })),
    };
    const v = evaluate(hit);
    expect(v.decision).toBe('FAIL');
    const metric = v.metrics.find((m) => m.name === target.name)!;
    expect(metric.reasons.join('\n')).toMatch(/the unreleased hosts moved too \(\d+\.\d, \d+ % of the released hosts' change\)/);
  });
  it('a case with no usable history is judged on released vs unreleased alone', () => {
    const c = cases('level shift up', 1)[0];
    const cut = cutIndex(c);
    // Keep only the last 20 history points: too few for before/after, enough for the comparison.
    const trimmed: ParsedCase = {
      ...c,
      start: c.start + (cut - 20) * c.step,
      metrics: c.metrics.map((m) => ({ ...m, released: m.released.map((h) => ({ host: h.host, values: h.values.slice(cut - 20) })), unreleased: m.unreleased.map((h) => ({ host: h.host, values: h.values.slice(cut - 20) })) })),
      logs: [],
    };
    const v = evaluate(trimmed);
    const metric = v.metrics.find((m) => m.name === c.label!.metrics[0])!;
    expect(metric.views.beforeAfter).toEqual([]);
    expect(metric.views.comparison.length).toBeGreaterThan(0);
    expect(v.decision).toBe('FAIL');
  });
});

describe('evaluate: policy, cache and document', () => {
  it('a bad policy throws naming the field; an unknown detector names the detector', () => {
    expect(() => parsePolicy({ failThreshold: 140 })).toThrow(/failThreshold/);
    const error = (() => {
      try {
        evaluate(cases('normal', 1)[0], { views: { comparison: [{ detectors: [{ name: 'nope' }] }] } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SluiceError);
    expect((error as SluiceError).code).toBe('unknown_detector');
  });

  it('a repeated evaluation with a cache reuses the fitted models and gives the same verdict', () => {
    const c = cases('small level shift', 1)[0];
    const cache = new GateCache();
    const first = evaluate(c, defaultPolicy, { cache });
    const misses = cache.misses;
    const second = evaluate(c, defaultPolicy, { cache });
    expect(cache.misses).toBe(misses);
    expect(cache.hits).toBeGreaterThan(0);
    expect(second).toEqual(first);
    expect(evaluate(c)).toEqual(first);
  });

  it('the verdict is plain JSON with the overview fields of the seed report', () => {
    const v = evaluate(cases('normal', 1)[0]);
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
    expect(v).toMatchObject({ format: 1, app: expect.any(String), decision: 'PASS', anomalous: false, anomalies: 0 });
    expect(v.analysis.to - v.analysis.from).toBe(12 * v.analysis.step);
    expect(v.detectors.map((d) => d.name)).toEqual(expect.arrayContaining(['anchoredBaseline', 'did', 'auc', 'dtw', 'rankTest', 'logExceptions']));
  });

  it('fuse: the best view decides alone when the others are below the floor, agreement raises it', () => {
    const agreement = { floor: 25, weight: 0.5 };
    expect(fuse([70, 20, 10], agreement)).toBe(70);
    expect(fuse([70, 62.5], agreement)).toBeCloseTo(70 + 30 * 0.5 * 0.5, 9);
    expect(fuse([], agreement)).toBe(0);
  });
});
