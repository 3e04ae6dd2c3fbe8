/**
 * Stand-ins for a service configured without an agent or a P2P system. Without an agent every
 * command reports its hosts unreachable (so a release pauses or rolls back by its failure policy,
 * never pretends to deploy); without P2P preheating succeeds at once (hosts fetch the artifact
 * when they deploy).
 */
import type { Agent, CommandRequest, HostResult } from '../ports/agent.js';
import type { P2P, PreheatProgress } from '../ports/p2p.js';

const unreachable = (host: string, at: number): HostResult => ({
  host, status: 'unreachable', exitCode: null, stdout: '', stderr: 'no agent is configured for this service', startedAt: at, finishedAt: at, replayed: false,
});

export const noAgent: Agent = {
  name: 'none',
  run: async (request: CommandRequest) => request.hosts.map((h) => unreachable(h, Date.now())),
  start: async () => undefined,
  status: async (key, hosts) => ({ key, done: true, results: hosts.map((h) => unreachable(h, Date.now())) }),
  ping: async (hosts) => hosts.map((host) => ({ host, alive: false, latencyMs: null, error: 'no agent is configured' })),
  pushFile: async (_key, _file, hosts) => hosts.map((h) => unreachable(h, Date.now())),
  close: async () => undefined,
};

const done = (jobId: string, hostsTotal: number): PreheatProgress => ({ jobId, state: 'succeeded', hostsTotal, hostsDone: hostsTotal, failedHosts: [], message: 'no P2P system is configured; hosts fetch the artifact when they deploy' });

export const noP2P: P2P = {
  name: 'none',
  preheat: async (key, _artifact, hosts) => done(key, hosts.length),
  progress: async (jobId) => done(jobId, 0),
  verify: async (_artifact, hosts) => hosts.map((host) => ({ host, ok: false, reason: 'no P2P system is configured' })),
};
