/**
 * Agent adapters: wall time of one `run` of `true` on every host of a batch, and of the same key
 * sent again (answered from the hosts' records), per adapter:
 * - local: one child process per host, journal on local disk, parallelism 64;
 * - http: one in-process agent server per host on loopback (signed requests, journal on disk);
 * - ssh: every host is the loopback sshd (.ci/start-sshd) with its own record directory and its
 *   own pooled connection; skipped with the reason when sshd is not there.
 * Adapters are interleaved run by run; each run uses a fresh key. Connections are warmed first
 * (a ping), so the rows are the per-command cost, not the handshake.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { httpAgent, startHttpAgentServer, type HttpAgentServer } from '../service/adapters/agent/http-agent.js';
import { localFleet } from '../service/adapters/agent/local.js';
import { sshAgent } from '../service/adapters/agent/ssh.js';
import { SSH_TEST, checkSshd, testHostFingerprint } from '../service/adapters/agent/test-sshd.js';
import type { Agent } from '../service/ports/agent.js';
import { report, type BenchOptions, type Row } from './lib/harness.js';

const SECRET = 'bench-secret-0123456789abcdef-0123456789';

interface Setup {
  agent: Agent;
  cleanup: () => Promise<void>;
}

export async function run(options: BenchOptions): Promise<void> {
  const hostCounts = options.quick ? [16] : [16, 64, 256];
  const runs = options.quick ? 3 : 5;
  const scratch = mkdtempSync(join(tmpdir(), 'sluice-agent-bench-'));
  const sshd = await checkSshd();
  const rows: Row[] = [];
  let sequence = 0;

  try {
    for (const n of hostCounts) {
      const hosts = Array.from({ length: n }, (_, i) => `h${i}`);
      const setups: Record<string, () => Promise<Setup>> = {
        local: async () => {
          const agent = localFleet({ root: mkdtempSync(join(scratch, 'local-')), hosts });
          return { agent, cleanup: () => agent.close() };
        },
        http: async () => {
          const root = mkdtempSync(join(scratch, 'http-'));
          const servers: HttpAgentServer[] = await Promise.all(hosts.map((host) => startHttpAgentServer({ port: 0, secrets: { bench: SECRET }, dir: join(root, host), hostName: host })));
          const agent = httpAgent({ hosts: Object.fromEntries(hosts.map((h, i) => [h, servers[i].url])), keyId: 'bench', secret: SECRET });
          return { agent, cleanup: async () => void (await agent.close(), await Promise.all(servers.map((s) => s.close()))) };
        },
      };
      // One sshd serves every simulated host; past 64 connections it is the bottleneck, not the adapter.
      if (sshd.available && n <= 64) {
        setups.ssh = async () => {
          const root = mkdtempSync(join(scratch, 'ssh-'));
          const fingerprint = testHostFingerprint();
          const agent = sshAgent({
            hosts: Object.fromEntries(hosts.map((h) => [h, { host: SSH_TEST.host, port: SSH_TEST.port, username: SSH_TEST.username, privateKeyPath: SSH_TEST.privateKeyPath, hostKeyFingerprints: [fingerprint], agentDir: join(root, h) }])),
          });
          return { agent, cleanup: () => agent.close() };
        };
      }
      const built: Record<string, Setup> = {};
      for (const [name, make] of Object.entries(setups)) {
        built[name] = await make();
        await built[name].agent.ping(hosts, 30_000);
      }
      const fresh: Record<string, number[]> = {};
      const replay: Record<string, number[]> = {};
      const failures: Record<string, number> = {};
      for (let r = 0; r < runs; r++) {
        for (const [name, { agent }] of Object.entries(built)) {
          const request = { key: `bench-${process.pid}-${sequence++}`, argv: ['true'], hosts, timeoutMs: 60_000 };
          const t0 = performance.now();
          const results = await agent.run(request);
          const t1 = performance.now();
          await agent.run(request);
          const t2 = performance.now();
          (fresh[name] ??= []).push(t1 - t0);
          (replay[name] ??= []).push(t2 - t1);
          failures[name] = (failures[name] ?? 0) + results.filter((x) => x.status !== 'ok').length;
        }
      }
      for (const name of Object.keys(built)) {
        const f = [...fresh[name]].sort((a, b) => a - b);
        const p = [...replay[name]].sort((a, b) => a - b);
        rows.push({
          adapter: name,
          hosts: n,
          runs,
          runMinMs: f[0],
          runMedianMs: f[Math.floor(f.length / 2)],
          hostsPerSecond: (n / f[0]) * 1000,
          replayMedianMs: p[Math.floor(p.length / 2)],
          notOk: failures[name],
        });
        await built[name].cleanup();
      }
      if (!sshd.available) rows.push({ adapter: 'ssh', hosts: n, note: `skipped: ${sshd.reason}` });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  report('agent adapters: run `true` on every host, then the same key again', rows);
}

if (import.meta.url === `file://${process.argv[1]}`) await run({ quick: process.argv.includes('--quick') });
