import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeArrowShard, encodeArrowShard, exactDecimals } from './arrow.js';
import { type Case, caseHosts, caseToJsonText, caseUpTo, deployIndex, fromCaseJson, parseCase, splitLogs, splitMetric, toCaseJson } from './case.js';
import { parseCaseText } from './dataset.js';

const exampleText = readFileSync(new URL('./fixtures/case-format-example.json', import.meta.url), 'utf8');
const example = (): Record<string, unknown> => JSON.parse(exampleText) as Record<string, unknown>;

/** The issues of a case file as `path: message` lines, for snapshots. */
function issuesOf(input: unknown, file = 'case.json'): string[] {
  return parseCaseText(JSON.stringify(input), file).map((item) => (item.ok ? 'ok' : `${item.error.file}: ${item.error.path}: ${item.error.message}`));
}

describe('parseCase(json)', () => {
  it('accepts the example of the format page verbatim, with typed arrays and NaN for null', () => {
    const parsed = parseCase(example());
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const c = parsed.value;
    expect(c.id).toBe('case-0001');
    expect(c.release).toEqual({ id: 'rel-42', version: '1.6.8', batch: 1, deployedAt: 1700000000000 });
    const metric = c.metrics[0]!;
    expect(metric.released.map((h) => h.host)).toEqual(['host-a', 'host-b']);
    expect(Array.from(metric.released[0]!.values)).toEqual([12.1, 11.9, NaN, 12.4]);
    expect(metric.unreleased[0]!.values).toBeInstanceOf(Float64Array);
    expect(c.logs).toEqual([{ host: 'host-a', t: 1700000060000, signature: 'java.lang.NullPointerException at com.acme.cart.Cart.total', count: 3 }]);
    expect(c.label).toEqual({ bad: true, metrics: ['middleware.hsf.provider.rt'], kind: 'latency regression' });
  });

  it('ignores unknown fields, fills defaults, and accepts a case without unreleased hosts, logs or label', () => {
    const input = example();
    input.extra = { anything: 1 };
    (input.metrics as Record<string, unknown>[])[0]!.unit = 'ms';
    delete (input.metrics as Record<string, unknown>[])[0]!.unreleased;
    delete (input.metrics as Record<string, unknown>[])[0]!.critical;
    delete input.logs;
    delete input.label;
    const parsed = parseCase(input);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const json = toCaseJson(parsed.value);
    expect(json).not.toHaveProperty('extra');
    expect(json.metrics[0]).toMatchObject({ critical: false, unreleased: {} });
    expect(json.metrics[0]).not.toHaveProperty('unit');
    expect(json.logs).toEqual([]);
    expect(json).not.toHaveProperty('label');
  });

  it('rejects bad files with the file, the field and the reason', () => {
    const wrongType = example();
    (wrongType.metrics as { released: Record<string, unknown[]> }[])[0]!.released['host-a']![1] = 'high';
    expect(issuesOf(wrongType)).toMatchInlineSnapshot(`
      [
        "case.json: metrics.0.released.host-a.1: Invalid input: expected number, received string",
      ]
    `);

    const ragged = example();
    (ragged.metrics as { released: Record<string, unknown[]> }[])[0]!.released['host-b']!.pop();
    expect(issuesOf(ragged, 'ragged.json')).toMatchInlineSnapshot(`
      [
        "ragged.json: metrics.0.released.host-b: has 3 points but host "host-a" has 4; all series of a metric must have the same length",
      ]
    `);

    const fractional = example();
    (fractional.release as Record<string, unknown>).deployedAt = 1700000000000.5;
    fractional.step = 0;
    expect(issuesOf(fractional)).toMatchInlineSnapshot(`
      [
        "case.json: release.deployedAt: must be an integer of epoch milliseconds",
        "case.json: step: must be a positive integer of milliseconds",
      ]
    `);

    const unknownLabel = example();
    (unknownLabel.label as { metrics: string[] }).metrics.push('system.cpu.util');
    expect(issuesOf(unknownLabel)).toMatchInlineSnapshot(`
      [
        "case.json: label.metrics.1: names no metric of this case: "system.cpu.util" (expected a metric name or "logs")",
      ]
    `);

    const badCategory = example();
    (badCategory.metrics as Record<string, unknown>[])[0]!.category = 'network';
    delete badCategory.id;
    expect(issuesOf(badCategory)).toMatchInlineSnapshot(`
      [
        "case.json: id: is required (expected string)",
        "case.json: metrics.0.category: Invalid option: expected one of "system"|"container"|"middleware"|"application"|"business"",
      ]
    `);

    const twoGroups = example();
    (twoGroups.metrics as { unreleased: Record<string, unknown[]> }[])[0]!.unreleased['host-a'] = [1, 2, 3, 4];
    (twoGroups.metrics as unknown[]).push((twoGroups.metrics as unknown[])[0]);
    expect(issuesOf(twoGroups)).toMatchInlineSnapshot(`
      [
        "case.json: metrics.0.unreleased.host-a: host "host-a" is also listed as released",
        "case.json: metrics.1.name: duplicate metric name "middleware.hsf.provider.rt" (also metrics.0.name)",
        "case.json: metrics.1.unreleased.host-a: host "host-a" is also listed as released",
      ]
    `);

    const broken = parseCaseText('{"id": ', 'broken.json');
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatchObject({ ok: false, error: { file: 'broken.json', path: '' } });
    expect(broken[0]!.ok ? '' : broken[0]!.error.message).toMatch(/^not valid JSON: /);
  });

  it('never throws: any JSON value, or the example with any field replaced, gives a result', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = parseCase(value);
        return result.ok === false && result.issues.length > 0;
      }),
      { numRuns: 200 },
    );
    const paths = [['id'], ['step'], ['start'], ['release'], ['release', 'deployedAt'], ['metrics', 0, 'released'], ['metrics', 0, 'released', 'host-a'], ['metrics', 0, 'direction'], ['logs', 0, 'count'], ['label', 'metrics'], ['label', 'bad']] as const;
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (at, value) => {
        const input = example() as Record<string | number, unknown>;
        let node = input;
        for (const key of at.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
        node[at[at.length - 1]!] = value;
        const result = parseCase(input);
        return result.ok || result.issues.every((i) => typeof i.path === 'string' && i.message.length > 0);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a case without released hosts and one with no metrics', () => {
    const noReleased = example();
    (noReleased.metrics as Record<string, unknown>[])[0]!.released = {};
    expect(issuesOf(noReleased)).toEqual(['case.json: metrics.0.released: needs at least one released host']);
    const noMetrics = example();
    noMetrics.metrics = [];
    expect(issuesOf(noMetrics)).toHaveLength(1);
    expect(issuesOf(noMetrics)[0]).toMatch(/^case\.json: metrics: /);
  });
});

describe('splitMetric(case, metric) and splitLogs(case)', () => {
  const parsed = parseCase(example());
  if (!parsed.ok) throw new Error('example must parse');
  const c = parsed.value;

  it('splits at release.deployedAt: points before it are history, from it on observation', () => {
    // start 1699740800000, step 60000: deployedAt 1700000000000 is 4320 steps in, past the 4 points.
    expect(deployIndex(c, 4)).toBe(4);
    const shifted = { ...c, release: { ...c.release, deployedAt: c.start + 2 * c.step } };
    const windows = splitMetric(shifted, 'middleware.hsf.provider.rt')!;
    expect(windows.deployIndex).toBe(2);
    expect(Array.from(windows.released[1]!.history.values)).toEqual([13, 12.8]);
    expect(Array.from(windows.released[1]!.observation.values)).toEqual([12.7, 30.2]);
    expect(windows.released[1]!.observation.start).toBe(c.start + 2 * c.step);
    expect(windows.unreleased.map((w) => w.host)).toEqual(['host-c']);
    // Between two points the observation starts at the next one.
    const between = { ...c, release: { ...c.release, deployedAt: c.start + 1.5 * c.step } };
    expect(splitMetric(between, c.metrics[0]!)!.deployIndex).toBe(2);
    expect(splitMetric(c, 'no.such.metric')).toBeUndefined();
  });

  it('caseUpTo(case, points) is the case when its window held that many points: series cut there without a copy, later log events left out', () => {
    const shifted = { ...c, release: { ...c.release, deployedAt: c.start + 2 * c.step }, logs: [{ host: 'host-a', t: c.start + 2 * c.step, signature: 'x', count: 1 }, { host: 'host-a', t: c.start + 3 * c.step, signature: 'x', count: 1 }] };
    const one = caseUpTo(shifted, 1);
    const series = one.metrics[0]!.released[1]!.values;
    expect(Array.from(series)).toEqual([13, 12.8, 12.7]);
    expect(series.buffer).toBe(shifted.metrics[0]!.released[1]!.values.buffer);
    expect(one.logs.map((e) => e.t)).toEqual([c.start + 2 * c.step]);
    expect(caseUpTo(shifted, 0).metrics[0]!.unreleased[0]!.values).toHaveLength(2);
    expect(caseUpTo(shifted, 10).metrics[0]!.released[0]!.values).toHaveLength(4);
  });

  it('splits logs at deployedAt and lists hosts by group', () => {
    const logs = splitLogs({ ...c, logs: [...c.logs, { host: 'host-c', t: c.release.deployedAt - 1, signature: 'x', count: 1 }] });
    expect(logs.observation).toHaveLength(1);
    expect(logs.history).toEqual([{ host: 'host-c', t: 1699999999999, signature: 'x', count: 1 }]);
    expect(caseHosts(c)).toEqual({ released: ['host-a', 'host-b'], unreleased: ['host-c'] });
  });
});

/** Random valid cases: 1–3 metrics with unique names, hosts unique across groups, equal lengths, null gaps. */
const caseArbitrary: fc.Arbitrary<Case> = fc
  .record({
    length: fc.integer({ min: 0, max: 12 }),
    metricCount: fc.integer({ min: 1, max: 3 }),
    releasedCount: fc.integer({ min: 1, max: 3 }),
    unreleasedCount: fc.integer({ min: 0, max: 3 }),
    step: fc.integer({ min: 1, max: 3_600_000 }),
    start: fc.integer({ min: 0, max: 2 ** 42 }),
    release: fc.record({ id: fc.string(), version: fc.string(), batch: fc.nat(20), deployedAt: fc.integer({ min: 0, max: 2 ** 43 }) }, { requiredKeys: ['deployedAt'] }),
    label: fc.option(fc.record({ bad: fc.boolean(), kind: fc.string({ minLength: 1 }) }, { requiredKeys: ['bad'] }), { nil: undefined }),
    seed: fc.integer(),
  })
  .chain((shape) =>
    fc
      .array(
        fc.record({
          category: fc.constantFrom('system', 'container', 'middleware', 'application', 'business' as const),
          direction: fc.constantFrom('up', 'down', 'both' as const),
          critical: fc.boolean(),
          values: fc.array(
            fc.array(
              fc.option(
                fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => v + 0), fc.integer({ min: -100000, max: 100000 }).map((v) => v / 100)),
                { nil: null },
              ),
              { minLength: shape.length, maxLength: shape.length },
            ),
            { minLength: shape.releasedCount + shape.unreleasedCount, maxLength: shape.releasedCount + shape.unreleasedCount },
          ),
        }),
        { minLength: shape.metricCount, maxLength: shape.metricCount },
      )
      .chain((metrics) =>
        fc.array(fc.record({ host: fc.constantFrom('h-0', 'h-1', '7'), t: fc.integer({ min: 0, max: 2 ** 43 }), signature: fc.string({ minLength: 1 }), count: fc.nat() }), { maxLength: 4 }).map((logs) => {
          const c: Case = {
            id: `case-${shape.seed}`,
            app: 'app',
            release: shape.release as Case['release'],
            step: shape.step,
            start: shape.start,
            metrics: metrics.map((m, i) => {
              const released: Record<string, (number | null)[]> = {};
              const unreleased: Record<string, (number | null)[]> = {};
              m.values.forEach((values, h) => {
                // Integer-like host names ("7") are ordered first by JS objects; include one on purpose.
                const host = h === 1 ? '7' : `h-${h}`;
                (h < shape.releasedCount ? released : unreleased)[host] = values;
              });
              return { name: `metric.${i}`, category: m.category, direction: m.direction, critical: m.critical, released, unreleased };
            }),
            logs,
          };
          if (shape.label) c.label = { ...shape.label, metrics: shape.label.bad ? ['metric.0', 'logs'] : [] };
          return c;
        }),
      ),
  );

describe('round trips', () => {
  it('JSON text → case → JSON text is exact, and JSON → Arrow → JSON deep-equal, for random cases', () => {
    fc.assert(
      fc.property(caseArbitrary, (input) => {
        const first = parseCase(JSON.parse(JSON.stringify(input)));
        if (!first.ok) throw new Error(JSON.stringify(first.issues));
        const text = caseToJsonText(first.value);
        const again = parseCase(JSON.parse(text));
        if (!again.ok) throw new Error(JSON.stringify(again.issues));
        expect(toCaseJson(again.value)).toEqual(toCaseJson(first.value));
        expect(caseToJsonText(again.value)).toBe(text);
        const [decoded] = decodeArrowShard(encodeArrowShard([first.value]));
        expect(toCaseJson(decoded!)).toEqual(toCaseJson(first.value));
        expect(caseToJsonText(decoded!)).toBe(text);
      }),
      { numRuns: 100 },
    );
  });

  it('the example survives JSON → Arrow → JSON byte for byte, null point, logs and label included', () => {
    const parsed = parseCase(example());
    if (!parsed.ok) throw new Error('example must parse');
    const shard = encodeArrowShard([parsed.value, { ...parsed.value, id: 'case-0002', label: undefined, logs: [] }]);
    const back = decodeArrowShard(shard);
    expect(back.map((c) => c.id)).toEqual(['case-0001', 'case-0002']);
    expect(caseToJsonText(back[0]!)).toBe(caseToJsonText(parsed.value));
    expect(toCaseJson(back[0]!)).toEqual(toCaseJson(fromCaseJson(toCaseJson(parsed.value))));
    expect(back[1]!.label).toBeUndefined();
    expect(back[1]!.logs).toEqual([]);
  });
});

describe('exactDecimals(values)', () => {
  it('finds the fewest decimals that store values exactly as 32-bit integers, or −1', () => {
    expect(exactDecimals(Float64Array.of(1, 2, NaN, 3))).toBe(0);
    expect(exactDecimals(Float64Array.of(12.1, 11.9, 12.45))).toBe(2);
    expect(exactDecimals(Float64Array.of(99.987, 0.001))).toBe(3);
    expect(exactDecimals(Float64Array.of(Math.PI))).toBe(-1);
    expect(exactDecimals(Float64Array.of(-0))).toBe(-1);
    expect(exactDecimals(Float64Array.of(3e9))).toBe(-1);
    expect(exactDecimals(new Float64Array(0))).toBe(0);
  });
});
