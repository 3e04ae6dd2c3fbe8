import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseLineProtocol } from './line-protocol.js';

const now = 1_700_000_000_000;

describe('parseLineProtocol', () => {
  it('parses Telegraf-style lines into measurement.field points per host, ns timestamps to ms', () => {
    const body = [
      'cpu,host=web-1,cpu=cpu-total usage_user=12.5,usage_system=3i 1700000000000000000',
      'mem,host=web-2 used_percent=40.25,available=123u,ok=true 1700000060000000000',
      'nginx,host=web-1 status="up",requests=10',
    ].join('\n');
    const { points, errors } = parseLineProtocol(body, { now });
    expect(errors).toEqual([]);
    expect(points).toEqual([
      { metric: 'cpu.usage_user', host: 'web-1', t: 1_700_000_000_000, v: 12.5 },
      { metric: 'cpu.usage_system', host: 'web-1', t: 1_700_000_000_000, v: 3 },
      { metric: 'mem.used_percent', host: 'web-2', t: 1_700_000_060_000, v: 40.25 },
      { metric: 'mem.available', host: 'web-2', t: 1_700_000_060_000, v: 123 },
      { metric: 'mem.ok', host: 'web-2', t: 1_700_000_060_000, v: 1 },
      { metric: 'nginx.requests', host: 'web-1', t: now, v: 10 },
    ]);
  });

  it('handles escapes in measurement, tags and quoted strings with spaces and commas', () => {
    const body = 'disk\\ io,host=db\\ 1,path=/a\\,b msg="a, b=c \\"q\\"",reads=5 1700000000';
    const { points, errors } = parseLineProtocol(body, { now, precision: 's' });
    expect(errors).toEqual([]);
    expect(points).toEqual([{ metric: 'disk io.reads', host: 'db 1', t: 1_700_000_000_000, v: 5 }]);
  });

  it('reports each bad line by number and reason and keeps the good ones', () => {
    const body = ['cpu,host=a v=1 1', 'cpu v=2', 'cpu,host=a v=abc', 'cpu,host=a v=3 12x', 'cpu,host=a', '', 'cpu,host=b v=4 2'].join('\n');
    const { points, errors } = parseLineProtocol(body, { now, precision: 'ms' });
    expect(points.map((p) => p.v)).toEqual([1, 4]);
    expect(errors).toEqual([
      { line: 2, reason: "missing the 'host' tag" },
      { line: 3, reason: "field 'v' has an invalid value 'abc'" },
      { line: 4, reason: "timestamp '12x' is not an integer" },
      { line: 5, reason: 'expected "measurement[,tags] fields [timestamp]"' },
    ]);
  });

  it('never throws on arbitrary text, and every non-empty line is either parsed or reported', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 20 }), (lines) => {
        const body = lines.map((l) => l.replace(/\n/g, ' ')).join('\n');
        const { points, errors } = parseLineProtocol(body, { now });
        for (const p of points) expect(Number.isFinite(p.v)).toBe(true);
        expect(errors.every((e) => e.line >= 1 && e.line <= lines.length)).toBe(true);
      }),
    );
  });

  it('the fast path for plain lines agrees with the full parser, errors included', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);
    const value = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), fc.integer().map((i) => `${i}i`), fc.constantFrom('true', 'F', 'x1', '1e5', '-0.5', ''));
    const line = fc.record({ m: name, host: fc.option(name, { nil: undefined }), field: name, value, t: fc.option(fc.bigInt({ min: 0n, max: 10n ** 19n }), { nil: undefined }) });
    fc.assert(
      fc.property(line, ({ m, host, field, value, t }) => {
        const tags = host === undefined ? '' : `,host=${host}`;
        const time = t === undefined ? '' : ` ${t}`;
        const plain = `${m}${tags} ${field}=${value}${time}`;
        // A quoted string field sends the same line down the full parser and adds no point.
        const quoted = `${m}${tags} ${field}=${value},note="x"${time}`;
        const fast = parseLineProtocol(plain, { now });
        const full = parseLineProtocol(quoted, { now });
        expect(fast.points).toEqual(full.points);
        expect(fast.errors.length).toBe(full.errors.length);
      }),
      { numRuns: 500 },
    );
  });
});
