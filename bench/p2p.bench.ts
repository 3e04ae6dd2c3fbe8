/**
 * P2P preheat: wall time from `preheat` to `succeeded` for each adapter, over a loopback origin.
 * - local: in-process copy into each host's directory of a local fleet root, sha256 per host;
 * - direct-http: `sh` + `curl` + `sha256sum` on every host through the local fleet agent (one
 *   process tree per host, bounded by the fleet's parallelism);
 * - dragonfly: the client's protocol cost only (POST, then GET until SUCCESS) against the fake
 *   manager, whose seed peer fetches the URL once; no peer downloads anything, so this row is the
 *   client's overhead, not Dragonfly's distribution speed.
 * Adapters are interleaved run by run; each run uses fresh directories and a fresh key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { localFleet } from '../service/adapters/agent/local.js';
import { directHttpP2P } from '../service/adapters/p2p/direct-http.js';
import { dragonflyP2P } from '../service/adapters/p2p/dragonfly.js';
import { startFakeDragonflyManager } from '../service/adapters/p2p/dragonfly-fake-manager.js';
import { localP2P } from '../service/adapters/p2p/local.js';
import { startArtifactServer, testBytes } from '../service/adapters/p2p/test-artifact-server.js';
import { waitForPreheat } from '../service/adapters/p2p/wait.js';
import type { Artifact, P2P } from '../service/ports/p2p.js';
import { report, type BenchOptions, type Row } from './lib/harness.js';

type Setup = (hosts: string[]) => { p2p: P2P; cleanup: () => Promise<void> };

export async function run(options: BenchOptions): Promise<void> {
  const hostCounts = options.quick ? [8] : [8, 32, 128];
  const mib = options.quick ? 1 : 4;
  const runs = options.quick ? 3 : 5;
  const origin = await startArtifactServer();
  const manager = await startFakeDragonflyManager({ pollsToFinish: 2 });
  const artifact: Artifact = origin.put('/bench.bin', testBytes(mib * 1024 * 1024, 'bench'));
  const scratch = mkdtempSync(join(tmpdir(), 'sluice-p2p-bench-'));
  let sequence = 0;
  const freshRoot = (): string => mkdtempSync(join(scratch, 'root-'));

  const setups: Record<string, Setup> = {
    local: () => {
      const root = freshRoot();
      return { p2p: localP2P({ root, pollIntervalMs: 10, concurrency: 16 }), cleanup: async () => rmSync(root, { recursive: true, force: true }) };
    },
    'direct-http': (hosts) => {
      const root = freshRoot();
      const agent = localFleet({ root, hosts });
      return {
        p2p: directHttpP2P({ cacheDir: 'artifacts', retryDelaySeconds: 0, pollIntervalMs: 10 }, { agent }),
        cleanup: async () => {
          await agent.close();
          rmSync(root, { recursive: true, force: true });
        },
      };
    },
    dragonfly: () => ({ p2p: dragonflyP2P({ baseUrl: manager.url, token: 'test-token', pollIntervalMs: 10 }), cleanup: async () => undefined }),
  };

  const rows: Row[] = [];
  try {
    for (const n of hostCounts) {
      manager.peers = Array.from({ length: n }, (_, i) => `host-${i}`);
      const hosts = manager.peers;
      const samples: Record<string, number[]> = Object.fromEntries(Object.keys(setups).map((name) => [name, []]));
      for (let r = 0; r <= runs; r++) {
        for (const [name, setup] of Object.entries(setups)) {
          const { p2p, cleanup } = setup(hosts);
          const t0 = performance.now();
          const last = await waitForPreheat(p2p, await p2p.preheat(`bench:${sequence++}`, artifact, hosts), { pollIntervalMs: 5, timeoutMs: 600_000 });
          const ms = performance.now() - t0;
          await cleanup();
          if (last.state !== 'succeeded') throw new Error(`${name}: preheat ended ${last.state}: ${last.message}`);
          if (r > 0) samples[name]!.push(ms); // run 0 warms up
        }
      }
      for (const [name, values] of Object.entries(samples)) {
        values.sort((a, b) => a - b);
        const median = values[Math.floor(values.length / 2)]!;
        rows.push({
          adapter: name,
          hosts: n,
          artifactMiB: mib,
          minMs: values[0]!,
          medianMs: median,
          hostsPerSecond: (n / median) * 1000,
          MiBPerSecond: name === 'dragonfly' ? null : ((n * mib) / median) * 1000,
          runs: values.length,
        });
      }
    }
  } finally {
    await manager.close();
    await origin.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  report('p2p preheat (loopback origin; dragonfly = client overhead against the fake manager)', rows);
}
