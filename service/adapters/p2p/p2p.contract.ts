/**
 * The P2P port's shared suite: every implementation (Dragonfly against the fake manager, direct
 * HTTP through an agent, local) runs exactly these tests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Artifact, P2P, PreheatProgress } from '../../ports/p2p.js';
import { waitForPreheat } from './wait.js';

export interface P2PFixture {
  p2p: P2P;
  hosts: string[];
  /** Reachable, with its true digest. */
  good: Artifact;
  /** Must fail: a wrong digest, or a URL the origin refuses (with a digest no host holds: a cached copy is a success). */
  failing: Artifact;
  /** Declared capability: `verify` really checks each host's copy (else it must say why it cannot). */
  verifiesHosts: boolean;
  pollIntervalMs: number;
  close(): Promise<void>;
}

export function describeP2P(name: string, make: () => Promise<P2PFixture>, enabled = true): void {
  describe.runIf(enabled)(`P2P contract: ${name}`, () => {
    let f: P2PFixture;
    let counter = 0;
    const key = (what: string): string => `contract:${what}:${Date.now().toString(36)}-${counter++}`;
    const settle = (first: PreheatProgress): Promise<PreheatProgress> =>
      waitForPreheat(f.p2p, first, { pollIntervalMs: f.pollIntervalMs, timeoutMs: 30_000 });

    beforeAll(async () => {
      f = await make();
    });
    afterAll(async () => {
      await f?.close();
    });

    it('preheat(key, artifact, hosts) reaches succeeded with hostsDone = hostsTotal = the number of hosts', async () => {
      const first = await f.p2p.preheat(key('ok'), f.good, f.hosts);
      expect(first.hostsTotal).toBe(f.hosts.length);
      expect(['pending', 'running', 'succeeded']).toContain(first.state);
      const last = await settle(first);
      expect(last).toMatchObject({ jobId: first.jobId, state: 'succeeded', hostsTotal: f.hosts.length, hostsDone: f.hosts.length, failedHosts: [] });
      expect(last.message).toBeUndefined();
    });

    it('preheat under the same key twice (and twice at once) finds the same job', async () => {
      const k = key('same');
      const [a, b] = await Promise.all([f.p2p.preheat(k, f.good, f.hosts), f.p2p.preheat(k, f.good, f.hosts)]);
      expect(b.jobId).toBe(a.jobId);
      await settle(a);
      const again = await f.p2p.preheat(k, f.good, f.hosts);
      expect(again.jobId).toBe(a.jobId);
      expect(again.state).toBe('succeeded');
      const other = await f.p2p.preheat(key('other'), f.good, f.hosts);
      expect(other.jobId).not.toBe(a.jobId);
      await settle(other);
    });

    it('a bad digest or a failing URL ends failed, with a message', async () => {
      const last = await settle(await f.p2p.preheat(key('bad'), f.failing, f.hosts));
      expect(last.state).toBe('failed');
      expect(last.message).toMatch(/\S/);
      expect(last.hostsDone).toBeLessThan(f.hosts.length);
      for (const host of last.failedHosts) expect(f.hosts).toContain(host);
    });

    it('progress(jobId) of a finished job keeps answering the same final state', async () => {
      const last = await settle(await f.p2p.preheat(key('again'), f.good, f.hosts));
      expect(await f.p2p.progress(last.jobId)).toEqual(last);
    });

    it('verify answers one result per host, in order; a host check finds the artifact or says why it cannot', async () => {
      await settle(await f.p2p.preheat(key('verify'), f.good, f.hosts));
      const results = await f.p2p.verify(f.good, f.hosts);
      expect(results.map((r) => r.host)).toEqual(f.hosts);
      if (f.verifiesHosts) {
        expect(results.every((r) => r.ok)).toBe(true);
        const absent = { url: f.good.url, digest: `sha256:${'0'.repeat(64)}` };
        const missing = await f.p2p.verify(absent, f.hosts);
        expect(missing.every((r) => !r.ok && /\S/.test(r.reason ?? ''))).toBe(true);
      } else {
        expect(results.every((r) => /not verifiable/.test(r.reason ?? ''))).toBe(true);
      }
    });

    it('preheat rejects a malformed digest, an empty host list and a bad key, naming the field', async () => {
      await expect(f.p2p.preheat(key('x'), { url: f.good.url, digest: 'md5:abc' }, f.hosts)).rejects.toThrow(/artifact\.digest/);
      await expect(f.p2p.preheat(key('x'), f.good, [])).rejects.toThrow(/hosts/);
      await expect(f.p2p.preheat('has space', f.good, f.hosts)).rejects.toThrow(/key/);
    });

    it('progress of a job it never started rejects', async () => {
      await expect(f.p2p.progress('999999')).rejects.toThrow();
    });
  });
}
