import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failureMessage, hostSchema, keySchema, progressOf } from './common.js';

const outcome = fc.constantFrom('done', 'failed', 'pending');

describe('progressOf(jobId, hosts, done, failed, finished)', () => {
  it('counts each host once; succeeded iff every host is done; failed iff finished with a failed host', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { minLength: 1, maxLength: 30 }), fc.array(outcome, { minLength: 30, maxLength: 30 }), fc.boolean(), (hosts, outcomes, finishedFlag) => {
        const done = new Set(hosts.filter((_, i) => outcomes[i] === 'done'));
        const failed = new Map(hosts.filter((_, i) => outcomes[i] === 'failed').map((h) => [h, `reason of ${h}`] as const));
        const finished = finishedFlag || done.size + failed.size === hosts.length;
        const p = progressOf('j', hosts, done, failed, finished);
        expect(p.hostsTotal).toBe(hosts.length);
        expect(p.hostsDone).toBe(done.size);
        expect(p.failedHosts).toEqual(hosts.filter((h) => failed.has(h)));
        expect(p.state === 'succeeded').toBe(finished && failed.size === 0);
        expect(p.state === 'failed').toBe(finished && failed.size > 0);
        if (!finished) expect(p.state).toBe(done.size + failed.size > 0 ? 'running' : 'pending');
        expect(p.message !== undefined).toBe(p.state === 'failed');
      }),
    );
  });

  it('a job whose every host is done has succeeded even before it is marked finished', () => {
    expect(progressOf('j', ['a', 'b'], new Set(['a']), new Map(), false).state).toBe('running');
    expect(progressOf('j', ['a', 'b'], new Set(['a', 'b']), new Map(), false).state).toBe('succeeded');
  });
});

describe('failureMessage(reasons)', () => {
  it('names at most three hosts and counts the rest', () => {
    expect(failureMessage([['a', 'x']])).toBe('1 host failed: a: x');
    expect(failureMessage(['a', 'b', 'c', 'd', 'e'].map((h) => [h, 'disk full'] as const))).toBe('5 hosts failed: a: disk full; b: disk full; c: disk full; and 2 more');
  });
});

describe('hostSchema and keySchema', () => {
  it('a host name that passes can never climb out of a directory or start an option', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (name) => {
        if (!hostSchema.safeParse(name).success) return;
        expect(name).not.toContain('/');
        expect(name === '.' || name === '..').toBe(false);
        expect(name.startsWith('-')).toBe(false);
      }),
    );
    expect(hostSchema.safeParse('..').success).toBe(false);
    expect(hostSchema.safeParse('web-1.dc2').success).toBe(true);
  });

  it('keys are 1–160 characters of [A-Za-z0-9._:-]', () => {
    expect(keySchema.safeParse('r-1:preheat:r2').success).toBe(true);
    expect(keySchema.safeParse('a'.repeat(161)).success).toBe(false);
    expect(keySchema.safeParse('a b').success).toBe(false);
  });
});
