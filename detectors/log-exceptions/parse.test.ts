import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/core/config.js';
import { SluiceError } from '../../src/core/errors.js';
import { extractExceptions, logParseConfig, parseExceptionLog, parseExceptionLogs } from './index.js';

const text = readFileSync(new URL('./fixtures/cart-service.log', import.meta.url), 'utf8');
const defaults = parseConfig(logParseConfig, {}, 'logParse config');

describe('extractExceptions(text, config) on a Spring service log', () => {
  const found = extractExceptions(text, defaults);

  it('finds one exception per record that holds one, with the record time in epoch ms', () => {
    expect(found.map((e) => e.t)).toEqual([
      Date.UTC(2026, 10, 26, 10, 0, 3, 417),
      Date.UTC(2026, 10, 26, 10, 0, 41, 250),
      Date.UTC(2026, 10, 26, 10, 1, 12, 880),
      Date.UTC(2026, 10, 26, 10, 1, 30, 1),
      // ISO timestamp with +08:00: 10:02 local is 02:02 UTC.
      Date.UTC(2026, 10, 26, 2, 2, 0, 500),
    ]);
  });

  it('signs a Caused-by chain by its root cause and the root\'s first application frame', () => {
    expect(found[1]).toEqual({
      t: Date.UTC(2026, 10, 26, 10, 0, 41, 250),
      outer: 'org.springframework.web.util.NestedServletException',
      root: 'java.sql.SQLTransientConnectionException',
      signature: 'java.sql.SQLTransientConnectionException at com.zaxxer.hikari.pool.HikariPool.createTimeoutException',
    });
  });

  it('ignores the indented Caused-by inside a Suppressed block', () => {
    expect(found[1].root).not.toBe('java.io.IOException');
  });

  it('skips platform frames: a bare NPE is signed at the application method', () => {
    expect(found[0].signature).toBe('java.lang.NullPointerException at com.acme.cart.Cart.total');
    expect(found[2].signature).toBe(found[0].signature);
    expect(found[4].signature).toBe('java.lang.OutOfMemoryError at com.acme.cart.job.ExpireCarts.run');
  });

  it('a root cause thrown inside the class loader borrows its caller\'s frame', () => {
    expect(found[3]).toMatchObject({
      outer: 'java.lang.NoClassDefFoundError',
      root: 'java.lang.ClassNotFoundException',
      signature: 'java.lang.ClassNotFoundException at com.acme.cart.Cart.applyDiscounts',
    });
  });

  it("signatureOf 'outer' signs by the outermost exception instead", () => {
    const outer = extractExceptions(text, parseConfig(logParseConfig, { signatureOf: 'outer' }, 'logParse config'));
    expect(outer.map((e) => e.signature)).toEqual([
      'java.lang.NullPointerException at com.acme.cart.Cart.total',
      'org.springframework.web.util.NestedServletException at org.springframework.web.servlet.FrameworkServlet.processRequest',
      'java.lang.NullPointerException at com.acme.cart.Cart.total',
      'java.lang.NoClassDefFoundError at com.acme.cart.Cart.applyDiscounts',
      'java.lang.OutOfMemoryError at com.acme.cart.job.ExpireCarts.run',
    ]);
  });

  it('timestamps without a zone read in utcOffsetMinutes', () => {
    const shanghai = extractExceptions(text, parseConfig(logParseConfig, { utcOffsetMinutes: 480 }, 'logParse config'));
    expect(shanghai[0].t).toBe(Date.UTC(2026, 10, 26, 2, 0, 3, 417));
    expect(shanghai[4].t).toBe(found[4].t);
  });

  it('lines before the first timestamp have no time and are skipped', () => {
    expect(extractExceptions('java.lang.IllegalStateException: x\n\tat com.acme.A.run(A.java:1)', defaults)).toEqual([]);
  });

  it('custom patterns: a Python-style traceback', () => {
    const config = parseConfig(
      logParseConfig,
      { exceptionPattern: '^(\\w+(?:Error|Exception)):', framePattern: '^\\s+File "([^"]+)"', causedByPattern: '^The above exception was the direct cause' },
      'logParse config',
    );
    const py = '2026-11-26 10:00:00 ERROR boom\nTraceback (most recent call last):\n  File "cart.py", line 3, in total\nKeyError: \'sku\'';
    expect(extractExceptions(py, config).map((e) => e.root)).toEqual(['KeyError']);
  });
});

describe('parseExceptionLog(text, host, config)', () => {
  it('counts per minute bucket and signature, sorted by time', () => {
    const events = parseExceptionLog(text + '\n' + text, 'host-a', defaults);
    expect(events).toEqual([
      { host: 'host-a', t: Date.UTC(2026, 10, 26, 2, 2), signature: 'java.lang.OutOfMemoryError at com.acme.cart.job.ExpireCarts.run', count: 2 },
      { host: 'host-a', t: Date.UTC(2026, 10, 26, 10, 0), signature: 'java.lang.NullPointerException at com.acme.cart.Cart.total', count: 2 },
      { host: 'host-a', t: Date.UTC(2026, 10, 26, 10, 0), signature: 'java.sql.SQLTransientConnectionException at com.zaxxer.hikari.pool.HikariPool.createTimeoutException', count: 2 },
      { host: 'host-a', t: Date.UTC(2026, 10, 26, 10, 1), signature: 'java.lang.ClassNotFoundException at com.acme.cart.Cart.applyDiscounts', count: 2 },
      { host: 'host-a', t: Date.UTC(2026, 10, 26, 10, 1), signature: 'java.lang.NullPointerException at com.acme.cart.Cart.total', count: 2 },
    ]);
  });

  it('parseExceptionLogs merges hosts in time order', () => {
    const events = parseExceptionLogs({ 'host-b': text, 'host-a': text }, defaults);
    expect(events).toHaveLength(10);
    expect(events.slice(0, 2).map((e) => e.host)).toEqual(['host-a', 'host-b']);
    expect(events.every((e, i) => i === 0 || events[i - 1].t <= e.t)).toBe(true);
  });

  it('never throws on arbitrary text, and every event has a positive count', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('2026-11-26 10:00:00 x', '\tat a.B.c(B.java:1)', 'Caused by: x.Y', 'a.b.CException: z')), { maxLength: 30 }), (lines) => {
        const events = parseExceptionLog(lines.join('\n'), 'h', defaults);
        for (const e of events) expect(e.count).toBeGreaterThan(0);
      }),
    );
  });

  it('a bad pattern is a config error naming the field', () => {
    expect(() => parseConfig(logParseConfig, { framePattern: '(' }, 'logParse config')).toThrowError(SluiceError);
    expect(() => parseConfig(logParseConfig, { framePattern: '(' }, 'logParse config')).toThrowError(/framePattern/);
  });
});
