import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../http/errors.js';
import { batchRequest, durationMs, instantMs } from './batch-params.js';

const now = Date.UTC(2026, 5, 1, 12, 30, 0);

describe('durationMs(text) and instantMs(text)', () => {
  it('reads durations with units and plain milliseconds', () => {
    expect(['250ms', '90s', '15m', '2h', '1d', '1.5h', '60000', ' 5m '].map(durationMs)).toEqual([250, 90_000, 900_000, 7_200_000, 86_400_000, 5_400_000, 60_000, 300_000]);
    expect(['soon', '-5m', '5 minutes', ''].map(durationMs)).toEqual([null, null, null, null]);
  });

  it('reads epoch milliseconds and RFC 3339 times', () => {
    expect(instantMs('2026-06-01T12:00:00Z')).toBe(Date.UTC(2026, 5, 1, 12));
    expect(instantMs('2026-06-01T14:00:00+02:00')).toBe(Date.UTC(2026, 5, 1, 12));
    expect(instantMs(String(now))).toBe(now);
    expect(instantMs('last tuesday')).toBeNull();
  });

  it('a number of a unit reads back as that many units', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(['ms', 1], ['s', 1_000], ['m', 60_000], ['h', 3_600_000], ['d', 86_400_000]), (n, [unit, ms]) => {
      expect(durationMs(`${n}${unit}`)).toBe(n * (ms as number));
    }));
  });
});

describe('batchRequest(params, now, prefix)', () => {
  it('turns flat string parameters into the gate query', () => {
    const { query, policy } = batchRequest({
      app: 'shop', released: 'r1, r2', unreleased: 'u1,u2 u3', metrics: 'rpc.rt:middleware:up,errors:application:up:critical,cpu',
      since: '30m', history: '1d', step: '30s', release: 'rel-1', version: 'v2', batch: '2', policy: '{"sensitivity":2}',
    }, now, 'query');
    expect(query).toMatchObject({
      app: 'shop', step: 30_000, historyFrom: now - 30 * 60_000 - 86_400_000,
      release: { id: 'rel-1', version: 'v2', batch: 2, deployedAt: now - 30 * 60_000 },
      hosts: { released: ['r1', 'r2'], unreleased: ['u1', 'u2', 'u3'] },
      metrics: [
        { name: 'rpc.rt', category: 'middleware', direction: 'up', critical: false },
        { name: 'errors', category: 'application', direction: 'up', critical: true },
        { name: 'cpu', category: 'application', direction: 'both', critical: false },
      ],
    });
    expect(policy).toEqual({ sensitivity: 2 });
  });

  it('takes JSON arrays of hosts and gate metrics too (what a jsonBody can carry)', () => {
    const { query } = batchRequest({ app: 'shop', released: '["r1","r2"]', metrics: [{ name: 'rpc.rt', category: 'system', direction: 'down' }], deployedAt: 1_780_000_000_000 }, now, 'body');
    expect(query.hosts.released).toEqual(['r1', 'r2']);
    expect(query.metrics[0]).toMatchObject({ name: 'rpc.rt', category: 'system', direction: 'down' });
  });

  it('throws a 400 naming the caller\'s field and the reason', () => {
    const fieldOf = (params: Record<string, unknown>) => {
      try {
        batchRequest({ app: 'shop', released: 'r1', metrics: 'm', since: '5m', ...params }, now, 'body.metadata');
      } catch (error) {
        expect(error).toBeInstanceOf(HttpError);
        return [(error as HttpError).field, (error as HttpError).reason];
      }
      return null;
    };
    expect(fieldOf({ released: '' })).toEqual(['body.metadata.released', expect.stringMatching(/at least 1|>=1/)]);
    expect(fieldOf({ metrics: 'm:system:sideways' })?.[0]).toBe('body.metadata.metrics.0.direction');
    expect(fieldOf({ metrics: '[{"name":' })?.[0]).toBe('body.metadata.metrics');
    expect(fieldOf({ step: '0s' })?.[0]).toBe('body.metadata.step');
    expect(fieldOf({ unreleased: '["u1"' })).toEqual(['body.metadata.unreleased', expect.stringContaining('is not a list of hosts: ')]);
    expect(fieldOf({ released: 'r1', unreleased: 'r1' })?.[0]).toBe('body.metadata.unreleased');
    expect(fieldOf({ policy: '[1]' })).toEqual(['body.metadata.policy', 'is not a JSON object: expected a JSON object']);
    expect(fieldOf({ app: undefined })?.[0]).toBe('body.metadata.app');
  });
});
