/**
 * The agent port's shared suite: every adapter (local, ssh, http) runs exactly these tests, so the
 * orchestrator can rely on the same behaviour whichever command channel `main.ts` picks.
 */
import { mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, HostResult } from '../../ports/agent.js';

export interface AgentHarness {
  agent: Agent;
  /** At least two hosts that answer. */
  hosts: string[];
  /** A host name the agent knows but cannot reach. */
  unreachable: string;
  /** Reads a pushed file as `host` sees it (null when absent). */
  readFile(host: string, filePath: string): Promise<Uint8Array | null>;
  close(): Promise<void>;
}

let counter = 0;
/** A key no earlier test (or earlier run of the suite on the same disk) used. */
export const uniqueKey = (label: string) => `t-${label}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

const byHost = <T extends { host: string }>(results: T[]) => new Map(results.map((r) => [r.host, r]));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Registers the suite. `make` builds a fresh harness (called once); `skip` names why the suite
 * cannot run here (it is then skipped, never silently passed).
 */
export function agentContract(name: string, make: () => Promise<AgentHarness>, skip?: string): void {
  describe.skipIf(skip !== undefined)(`agent contract: ${name}`, () => {
    let h: AgentHarness;
    let scratch: string;
    beforeAll(async () => {
      h = await make();
      // Commands of the ssh adapter may run as another user on loopback; the scratch dir is shared.
      scratch = mkdtempSync(path.join(tmpdir(), 'sluice-agent-contract-'));
      chmodSync(scratch, 0o777);
    });
    afterAll(async () => {
      await h?.close();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    it('run(argv) on every host: exit 0 is ok, each host its own output', async () => {
      const results = await h.agent.run({ key: uniqueKey('ok'), argv: ['sh', '-c', 'printf "hello from %s" "$SLUICE_HOST"; printf warn >&2'], hosts: h.hosts, timeoutMs: 10_000 });
      expect(results.map((r) => r.host)).toEqual(h.hosts);
      for (const r of results) {
        expect(r).toMatchObject({ status: 'ok', exitCode: 0, stdout: `hello from ${r.host}`, stderr: 'warn', replayed: false });
        expect(r.finishedAt).toBeGreaterThanOrEqual(r.startedAt);
      }
    });

    it('run: a non-zero exit is failed with its code; a missing program is failed, not a throw', async () => {
      const [a] = await h.agent.run({ key: uniqueKey('exit3'), argv: ['sh', '-c', 'echo boom >&2; exit 3'], hosts: [h.hosts[0]], timeoutMs: 10_000 });
      expect(a).toMatchObject({ status: 'failed', exitCode: 3, stderr: 'boom\n' });
      const [b] = await h.agent.run({ key: uniqueKey('enoent'), argv: ['/nonexistent/sluice-no-such-program'], hosts: [h.hosts[0]], timeoutMs: 10_000 });
      expect(b.status).toBe('failed');
    });

    it('run: output is cut to its last 64 KiB', async () => {
      const [r] = await h.agent.run({ key: uniqueKey('big'), argv: ['sh', '-c', 'i=0; while [ $i -lt 1500 ]; do printf "%0100d\\n" $i; i=$((i+1)); done'], hosts: [h.hosts[0]], timeoutMs: 20_000 });
      expect(r.status).toBe('ok');
      expect(Buffer.byteLength(r.stdout)).toBe(64 * 1024);
      expect(r.stdout.endsWith(`${'0'.repeat(96)}1499\n`)).toBe(true);
    });

    it('run: a timeout kills the whole process group and says timeout', async () => {
      const pidFile = path.join(scratch, 'grandchild.pid');
      const t0 = Date.now();
      const [r] = await h.agent.run({ key: uniqueKey('timeout'), argv: ['sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`], hosts: [h.hosts[0]], timeoutMs: 800 });
      expect(r.status).toBe('timeout');
      expect(r.exitCode).toBeNull();
      expect(Date.now() - t0).toBeLessThan(8000);
      const grandchild = Number(readFileSync(pidFile, 'utf8'));
      await waitFor(async () => (pidAlive(grandchild) ? null : true), 5000);
    });

    it('run: argv reaches the program unchanged — spaces, quotes, $(), backticks, globs, newlines (no shell injection)', async () => {
      const canary = path.join(scratch, 'injected');
      const tricky = ['a b', "it's", '"double"', `$(touch ${canary})`, `\`touch ${canary}\``, `; touch ${canary}`, '*', '~', '$HOME', 'line\nbreak', '', '\\', "'\\''", '-n', '--', '%s %d'];
      const [r] = await h.agent.run({ key: uniqueKey('argv'), argv: ['printf', '[%s]\\n', ...tricky], hosts: [h.hosts[0]], timeoutMs: 10_000 });
      expect(r.status).toBe('ok');
      expect(r.stdout).toBe(tricky.map((t) => `[${t}]\n`).join(''));
      expect(() => readFileSync(canary)).toThrow();
    });

    it('run: arbitrary argv strings arrive byte for byte (property)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !s.includes('\0')), { minLength: 1, maxLength: 5 }), async (args) => {
          const [r] = await h.agent.run({ key: uniqueKey('prop'), argv: ['printf', '%s\\0', ...args], hosts: [h.hosts[0]], timeoutMs: 10_000 });
          expect(r.status).toBe('ok');
          expect(r.stdout).toBe(args.map((a) => `${a}\0`).join(''));
        }),
        { numRuns: 15 },
      );
    });

    it('run: env is passed to the command', async () => {
      const [r] = await h.agent.run({ key: uniqueKey('env'), argv: ['sh', '-c', 'printf %s "$SLUICE_VERSION"'], hosts: [h.hosts[0]], timeoutMs: 10_000, env: { SLUICE_VERSION: "2.1 'beta' $(x)" } });
      expect(r.stdout).toBe("2.1 'beta' $(x)");
    });

    it('idempotency: the same key twice runs once; the second answer is replayed with the same result', async () => {
      const counterFile = path.join(scratch, 'runs-once');
      const request = { key: uniqueKey('once'), argv: ['sh', '-c', `echo "$SLUICE_HOST" >> ${counterFile}; echo ran`], hosts: h.hosts, timeoutMs: 10_000 };
      const first = await h.agent.run(request);
      const second = await h.agent.run(request);
      expect(first.every((r) => r.status === 'ok' && !r.replayed)).toBe(true);
      expect(second.every((r) => r.status === 'ok' && r.replayed && r.stdout === 'ran\n')).toBe(true);
      expect(readFileSync(counterFile, 'utf8').trim().split('\n').sort()).toEqual([...h.hosts].sort());
    });

    it('idempotency: concurrent calls with one key run once; the late one waits for the first', async () => {
      const counterFile = path.join(scratch, 'concurrent-once');
      const request = { key: uniqueKey('concurrent'), argv: ['sh', '-c', `echo x >> ${counterFile}; sleep 0.5; echo done`], hosts: [h.hosts[0]], timeoutMs: 10_000 };
      const [a, b] = await Promise.all([h.agent.run(request), h.agent.run(request)]);
      expect(readFileSync(counterFile, 'utf8')).toBe('x\n');
      expect([a[0].status, b[0].status]).toEqual(['ok', 'ok']);
      expect([a[0].stdout, b[0].stdout]).toEqual(['done\n', 'done\n']);
      expect([a[0].replayed, b[0].replayed].sort()).toEqual([false, true]);
    });

    it('start + status: returns at once; status reports progress, then every host done', async () => {
      const key = uniqueKey('async');
      const t0 = Date.now();
      await h.agent.start({ key, argv: ['sh', '-c', 'sleep 2; echo finished'], hosts: h.hosts, timeoutMs: 10_000 });
      expect(Date.now() - t0).toBeLessThan(1500);
      const early = await h.agent.status(key, h.hosts);
      expect(early.done).toBe(false);
      const final = await waitFor(async () => {
        const s = await h.agent.status(key, h.hosts);
        return s.done ? s : null;
      }, 15_000);
      expect(final.results.map((r) => r.host).sort()).toEqual([...h.hosts].sort());
      expect(final.results.every((r) => r.status === 'ok' && r.stdout === 'finished\n')).toBe(true);
    });

    it('status of a key never started is not done and has no results', async () => {
      const s = await h.agent.status(uniqueKey('never'), h.hosts);
      expect(s).toMatchObject({ done: false, results: [] });
    });

    it('ping: live hosts answer with a latency; an unreachable one is not alive', async () => {
      const pings = byHost(await h.agent.ping([...h.hosts, h.unreachable], 5000));
      for (const host of h.hosts) {
        expect(pings.get(host)).toMatchObject({ alive: true });
        expect(pings.get(host)!.latencyMs).toBeGreaterThanOrEqual(0);
      }
      expect(pings.get(h.unreachable)).toMatchObject({ alive: false, latencyMs: null });
      expect(pings.get(h.unreachable)!.error).toBeTruthy();
    });

    it('pushFile writes the content and mode on every host, once per key', async () => {
      const target = path.join(scratch, `pushed-${counter}`, 'app.conf');
      const content = new Uint8Array([...Buffer.from('version=2.0\n'), 0, 255, 10]);
      const key = uniqueKey('push');
      const first = await h.agent.pushFile(key, { path: target, content, mode: 0o600 }, h.hosts, 10_000);
      expect(first.every((r) => r.status === 'ok' && !r.replayed)).toBe(true);
      for (const host of h.hosts) expect(Buffer.from((await h.readFile(host, target))!)).toEqual(Buffer.from(content));
      const again = await h.agent.pushFile(key, { path: target, content: new Uint8Array([1, 2, 3]), mode: 0o600 }, h.hosts, 10_000);
      expect(again.every((r) => r.status === 'ok' && r.replayed)).toBe(true);
      for (const host of h.hosts) expect(Buffer.from((await h.readFile(host, target))!)).toEqual(Buffer.from(content));
    });

    it('an unreachable host gives `unreachable` (never a throw) and the others still run', async () => {
      const results = byHost(await h.agent.run({ key: uniqueKey('unreach'), argv: ['true'], hosts: [h.hosts[0], h.unreachable], timeoutMs: 10_000 }));
      expect(results.get(h.unreachable)).toMatchObject({ status: 'unreachable', exitCode: null });
      expect(results.get(h.unreachable)!.stderr).toBeTruthy();
      expect(results.get(h.hosts[0])!.status).toBe('ok');
      const pushed = await h.agent.pushFile(uniqueKey('unreach-push'), { path: path.join(scratch, 'never'), content: new Uint8Array([1]) }, [h.unreachable], 10_000);
      expect(pushed[0].status).toBe('unreachable');
    });

    it('a bad request throws naming the field', async () => {
      await expect(h.agent.run({ key: 'bad key!', argv: ['true'], hosts: h.hosts, timeoutMs: 1000 })).rejects.toThrow(/key/);
      await expect(h.agent.run({ key: '..', argv: ['true'], hosts: h.hosts, timeoutMs: 1000 })).rejects.toThrow(/key/);
      await expect(h.agent.run({ key: uniqueKey('noargv'), argv: [], hosts: h.hosts, timeoutMs: 1000 })).rejects.toThrow(/argv/);
      await expect(h.agent.run({ key: uniqueKey('neg'), argv: ['true'], hosts: h.hosts, timeoutMs: -1 })).rejects.toThrow(/timeoutMs/);
    });

    it('a key reused for a different argv is refused, not run', async () => {
      const key = uniqueKey('conflict');
      await h.agent.run({ key, argv: ['true'], hosts: [h.hosts[0]], timeoutMs: 5000 });
      await expect(h.agent.run({ key, argv: ['false'], hosts: [h.hosts[0]], timeoutMs: 5000 })).rejects.toThrow(/different command/);
    });
  });
}
