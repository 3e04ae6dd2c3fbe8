import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInflux, INFLUX_HOST, INFLUX_PORT, shouldRun } from '../../test/servers.js';
import { InfluxSource, splitMetric } from './influxdb.js';

const enabled = shouldRun('InfluxDB source', await checkInflux());
const database = `sluice_test_${randomBytes(4).toString('hex')}`;
let source: InfluxSource;

describe('splitMetric', () => {
  it('splits at the last dot', () => {
    expect(splitMetric('middleware.hsf.rt')).toEqual({ measurement: 'middleware.hsf', field: 'rt' });
    expect(() => splitMetric('nodot')).toThrow(/measurement\.field/);
  });
});

describe.runIf(enabled)('InfluxSource against a real InfluxDB 1.x', () => {
  const t0 = Date.UTC(2026, 0, 5, 10, 0, 0);
  beforeAll(async () => {
    source = new InfluxSource({ host: INFLUX_HOST, port: INFLUX_PORT, database });
    await source.client.createDatabase(database);
    const points = [];
    for (let i = 0; i < 10; i++) {
      // Two raw points per minute on web-1; one per minute on web.2 (a dot, to exercise escaping); web-3 has a gap.
      points.push({ measurement: 'http', tags: { host: 'web-1' }, fields: { rt: 10 + i }, timestamp: new Date(t0 + i * 60_000) });
      points.push({ measurement: 'http', tags: { host: 'web-1' }, fields: { rt: 20 + i }, timestamp: new Date(t0 + i * 60_000 + 30_000) });
      points.push({ measurement: 'http', tags: { host: 'web.2' }, fields: { rt: 100 + i }, timestamp: new Date(t0 + i * 60_000 + 5_000) });
      if (i < 3 || i > 6) points.push({ measurement: 'http', tags: { host: 'web-3' }, fields: { rt: 1 }, timestamp: new Date(t0 + i * 60_000) });
    }
    await source.client.writePoints(points, { precision: 'ms' });
  });
  afterAll(async () => {
    await source.client.dropDatabase(database);
  });

  it('returns one series per host on the requested grid, averaging within a step', async () => {
    const out = await source.query({ metric: 'http.rt', hosts: ['web-1', 'web.2', 'web-3', 'web-9'], start: t0, end: t0 + 10 * 60_000, step: 60_000 });
    expect(out['web-1'].start).toBe(t0);
    expect(Array.from(out['web-1'].values)).toEqual(Array.from({ length: 10 }, (_, i) => 15 + i));
    expect(Array.from(out['web.2'].values)).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
    expect(Array.from(out['web-3'].values).map((v) => (Number.isNaN(v) ? null : v))).toEqual([1, 1, 1, null, null, null, null, 1, 1, 1]);
    expect(out['web-9'].values.every((v) => Number.isNaN(v))).toBe(true);
  });

  it('aggregates by sum and max, on a grid that does not start at a whole step', async () => {
    const start = t0 + 15_000;
    const sums = await source.query({ metric: 'http.rt', hosts: ['web-1'], start, end: start + 2 * 60_000, step: 60_000, aggregate: 'sum' });
    // [t0+15s, t0+75s) holds 20 (t0+30s) and 11 (t0+60s).
    expect(Array.from(sums['web-1'].values)).toEqual([31, 33]);
    const max = await source.query({ metric: 'http.rt', hosts: ['web-1'], start: t0, end: t0 + 120_000, step: 120_000, aggregate: 'max' });
    expect(Array.from(max['web-1'].values)).toEqual([21]);
  });

  it('an unknown database surfaces as an error for the caller to turn into INCONCLUSIVE', async () => {
    const broken = new InfluxSource({ host: INFLUX_HOST, port: INFLUX_PORT, database: 'no_such_db_sluice' });
    await expect(broken.query({ metric: 'http.rt', hosts: ['web-1'], start: t0, end: t0 + 60_000, step: 60_000 })).rejects.toThrow(/database not found/);
  });
});
