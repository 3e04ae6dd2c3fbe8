import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { fromCaseJson, toCaseJson, type Case, type ParsedCase } from '../../../src/datasets/case.js';
import type { EvaluationRecord, Store } from '../../ports/store.js';
import { checkPostgres, POSTGRES_URL, shouldRun } from '../../test/servers.js';
import { blobsOf, packInput, unpackInputs } from './evaluation-input.js';
import { postgresStore } from './postgres.js';
import { sqliteStore } from './sqlite.js';

const MINUTE = 60_000;
const DEPLOYED = 1_780_000_000_000;
const NPE = 'java.lang.NullPointerException at Cart.total';

/** A case as the gate records it: `history` minutes before the release, `window` after. */
function caseJson(window: number, history = 120, seed = 1) {
  const series = (host: number) => Array.from({ length: history + window }, (_, i) => (i === 7 ? null : Math.round((50 + 10 * Math.sin((i + host * seed) / 9)) * 100) / 100));
  return {
    id: `eval-${window}`,
    app: 'cart',
    release: { id: 'rel-1', batch: 1, deployedAt: DEPLOYED },
    step: MINUTE,
    start: DEPLOYED - history * MINUTE,
    metrics: ['rpc.rt', 'cpu'].map((name) => ({
      name, category: 'application', direction: 'up', critical: false,
      released: { a1: series(1), '10': series(2), '2': series(3) },
      unreleased: { b1: series(4) },
    })),
    // By host, then time: history and window events interleave.
    logs: ['a1', 'b1'].flatMap((host) => [
      { host, t: DEPLOYED - 30 * MINUTE, signature: NPE, count: 2 },
      ...Array.from({ length: window }, (_, i) => ({ host, t: DEPLOYED + i * MINUTE, signature: NPE, count: i + 1 })),
    ]),
    label: { bad: false, metrics: [] },
  };
}

const unpack = async (packed: ReturnType<typeof packInput>[]) => {
  const blobs = new Map(packed.flatMap((p) => p.blobs.map((b) => [b.hash, b.data()] as const)));
  return unpackInputs(packed.map((p) => p.text), async (hashes) => new Map(hashes.filter((h) => blobs.has(h)).map((h) => [h, blobs.get(h)!])));
};

describe('packInput / unpackInputs', () => {
  it('unpacking gives back the JSON round trip of the case, key order and log order included', async () => {
    const input = caseJson(5);
    const [out] = await unpack([packInput(input)]);
    expect(out).toEqual(JSON.parse(JSON.stringify(input)));
    expect(JSON.stringify(out)).toBe(JSON.stringify(input));
  });

  it("one batch's evaluations share the history blob; each row holds only its window", async () => {
    const first = packInput(caseJson(1));
    const fifth = packInput(caseJson(5));
    expect(first.blobs).toHaveLength(1);
    expect(fifth.blobs.map((b) => b.hash)).toEqual(first.blobs.map((b) => b.hash));
    expect(blobsOf(fifth.text)).toEqual([first.blobs[0].hash]);
    expect(fifth.text.length).toBeLessThan(first.blobs[0].data().length);
    expect(fifth.text.length + fifth.blobs[0].data().length).toBeLessThan(JSON.stringify(caseJson(5)).length / 2);
    const [a, b] = await unpack([first, fifth]);
    expect(a).toEqual(caseJson(1));
    expect(b).toEqual(caseJson(5));
    // Another history (other values) is another blob.
    expect(packInput(caseJson(5, 120, 2)).blobs[0].hash).not.toBe(first.blobs[0].hash);
  });

  it('anything not shaped like a case, and rows written before the encoding, stay plain JSON', async () => {
    for (const input of [null, undefined, { a: 1 }, [1, 2], 'text', { metrics: 'no' }]) {
      const packed = packInput(input);
      expect(packed).toEqual({ text: JSON.stringify(input ?? null), blobs: [] });
      expect(blobsOf(packed.text)).toEqual([]);
      expect((await unpack([packed]))[0]).toEqual(input ?? null);
    }
    expect(await unpackInputs([JSON.stringify(caseJson(2)), null], async () => new Map())).toEqual([caseJson(2), null]);
  });

  it('a case with values JSON cannot hold (NaN, Infinity) is stored as JSON stores it', async () => {
    const input = caseJson(2);
    input.metrics[0].released.a1[3] = Number.NaN;
    input.metrics[1].unreleased.b1[4] = Number.POSITIVE_INFINITY;
    const [out] = await unpack([packInput(input)]);
    expect(out).toEqual(JSON.parse(JSON.stringify(input)));
    expect((out as typeof input).metrics[0].released.a1[3]).toBeNull();
  });

  it("the gate's parsed case packs to what its JSON form would: same unpacked case, same blob address, no text written until asked", async () => {
    // Integer-like host names ('10', '2') come first in a JSON object: unpacking lists them so.
    const json = caseJson(5);
    const parsed = fromCaseJson(json as unknown as Case);
    const fromParsed = packInput(parsed);
    const fromJson = packInput(toCaseJson(parsed));
    expect(fromParsed.blobs.map((b) => b.hash)).toEqual(fromJson.blobs.map((b) => b.hash));
    expect(fromParsed.blobs[0].data()).toBe(fromJson.blobs[0].data());
    const [a, b] = await unpack([fromParsed, fromJson]);
    expect(JSON.stringify(a)).toBe(JSON.stringify(toCaseJson(parsed)));
    expect(b).toEqual(a);
    // A later minute of the same batch: the same address, only the window in the row.
    const later = packInput(fromCaseJson(caseJson(9) as unknown as Case));
    expect(later.blobs[0].hash).toBe(fromParsed.blobs[0].hash);
    expect((await unpack([later]))[0]).toEqual(toCaseJson(fromCaseJson(caseJson(9) as unknown as Case)));
    // One history value changed is another address.
    const changed = fromCaseJson(caseJson(5) as unknown as Case);
    changed.metrics[1].unreleased[0].values[3] += 0.5;
    expect(packInput(changed).blobs[0].hash).not.toBe(fromParsed.blobs[0].hash);
  });

  it('property: a parsed case round-trips to its JSON form, at the JSON form\'s history address', async () => {
    const arb = fc.record({
      length: fc.integer({ min: 0, max: 20 }),
      deployedAt: fc.integer({ min: -5, max: 25 }),
      hosts: fc.uniqueArray(fc.oneof(fc.constantFrom('10', '2', '0', 'a'), fc.string({ minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 4 }),
      seed: fc.integer(),
      events: fc.array(fc.record({ t: fc.integer({ min: -5, max: 25 }), count: fc.integer({ min: 1, max: 9 }) }), { maxLength: 6 }),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ length, deployedAt, hosts, seed, events }) => {
        const values = (h: number) => Float64Array.from({ length }, (_, i) => ((i * 7 + h * 13 + seed) % 11 === 0 ? Number.NaN : ((i + h + seed) % 17) / 4));
        const parsed: ParsedCase = {
          id: 'p', app: 'a', release: { deployedAt: deployedAt * MINUTE }, step: MINUTE, start: 0,
          metrics: [{ name: 'm', category: 'system', direction: 'up', critical: false, released: hosts.map((host, h) => ({ host, values: values(h) })), unreleased: [{ host: 'zz', values: values(9) }] }],
          logs: events.map((e) => ({ host: hosts[0], t: e.t * MINUTE, signature: 'E', count: e.count })),
        };
        const packed = packInput(parsed);
        const [out] = await unpack([packed]);
        expect(JSON.stringify(out)).toBe(JSON.stringify(toCaseJson(parsed)));
        expect(packed.blobs.map((b) => b.hash)).toEqual(packInput(toCaseJson(parsed)).blobs.map((b) => b.hash));
      }),
      { numRuns: 200 },
    );
  });

  it('a missing blob is an error naming it', async () => {
    const packed = packInput(caseJson(2));
    await expect(unpackInputs([packed.text], async () => new Map())).rejects.toThrow(new RegExp(`blob ${packed.blobs[0].hash}`));
  });

  it('property: any case round-trips, wherever the release falls (before start, inside, after the end)', async () => {
    const value = fc.oneof(fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -1000, max: 1000 }));
    const hostSeries = (length: number) => fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.array(value, { minLength: length, maxLength: length }), { maxKeys: 3 });
    const arb = fc.integer({ min: 0, max: 30 }).chain((length) =>
      fc.record({
        id: fc.string(),
        app: fc.string(),
        release: fc.record({ deployedAt: fc.integer({ min: -10, max: 40 }).map((i) => i * MINUTE) }),
        step: fc.constant(MINUTE),
        start: fc.constant(0),
        metrics: fc.array(fc.record({ name: fc.string(), released: hostSeries(length), unreleased: hostSeries(length) }), { minLength: 1, maxLength: 3 }),
        logs: fc.option(fc.array(fc.record({ host: fc.string(), t: fc.integer({ min: -5, max: 40 }).map((i) => i * MINUTE), signature: fc.string(), count: fc.nat() }), { maxLength: 12 }), { nil: undefined }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(arb, async (input) => {
        const [out] = await unpack([packInput(input)]);
        expect(out).toEqual(JSON.parse(JSON.stringify(input)));
      }),
      { numRuns: 150 },
    );
  });
});

const pgEnabled = shouldRun('PostgreSQL store (evaluation inputs)', await checkPostgres());
const schemas: string[] = [];
afterAll(async () => {
  if (!pgEnabled || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await client.end();
});

const stores: [string, boolean, () => Store & { driver: { query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]> } }][] = [
  ['SQLite', true, () => sqliteStore(':memory:')],
  ['PostgreSQL', pgEnabled, () => {
    const schema = `sluice_test_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    return postgresStore({ connectionString: POSTGRES_URL, schema });
  }],
];

describe.each(stores)('evaluation inputs in the %s store', (_name, enabled, open) => {
  it.runIf(enabled)('five evaluations of a batch store one history; get, list and export read full cases', async () => {
    const store = open();
    await store.migrate();
    try {
      const record = (minute: number): EvaluationRecord => ({ id: `ev-${minute}`, releaseId: 'rel-1', batch: 1, createdAt: minute, decision: 'PASS', score: 1, input: caseJson(minute), verdict: { decision: 'PASS' }, feedback: null });
      for (let minute = 1; minute <= 5; minute++) await store.saveEvaluation(record(minute));
      const blobs = await store.driver.query('SELECT hash FROM evaluation_blobs');
      expect(blobs).toHaveLength(1);
      expect((await store.getEvaluation('ev-3'))!.input).toEqual(caseJson(3));
      const listed = await store.listEvaluations({ releaseId: 'rel-1' });
      expect(listed.map((e) => e.input)).toEqual([1, 2, 3, 4, 5].map((m) => caseJson(m)));
      const rows = await store.driver.query('SELECT input FROM evaluations');
      const stored = rows.reduce((n, r) => n + String(r.input).length, 0);
      expect(stored).toBeLessThan(JSON.stringify(caseJson(5)).length);
    } finally {
      await store.close();
    }
  });
});
