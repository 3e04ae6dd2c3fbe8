/**
 * In-memory stand-ins for the orchestrator's ports in tests: an agent that keeps each host's
 * command log and answers a repeated key from its record (as the port requires), a P2P that
 * finishes a preheat after a few progress polls, and a judge that answers from a script.
 */
import type { Agent, CommandRequest, CommandStatus, HostResult, PingResult } from '../../ports/agent.js';
import type { Artifact, P2P, PreheatProgress } from '../../ports/p2p.js';
import type { Judge } from '../runner.js';
import type { Decision } from '../state.js';

export class MemoryAgent implements Agent {
  readonly name = 'memory';
  /** host → keys it ran, in order. */
  readonly log = new Map<string, { key: string; argv: string[] }[]>();
  private readonly recorded = new Map<string, HostResult>();
  /** Decides whether a first run of `key` on `host` fails (default: never). */
  failing: (key: string, host: string) => boolean = () => false;
  /** Real ms each command takes. */
  delayMs = 0;

  async run(request: CommandRequest, signal?: AbortSignal): Promise<HostResult[]> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    signal?.throwIfAborted();
    return request.hosts.map((host) => {
      const known = this.recorded.get(`${request.key}|${host}`);
      if (known) return { ...known, replayed: true };
      const entries = this.log.get(host) ?? [];
      entries.push({ key: request.key, argv: request.argv });
      this.log.set(host, entries);
      const failed = this.failing(request.key, host);
      const result: HostResult = { host, status: failed ? 'failed' : 'ok', exitCode: failed ? 1 : 0, stdout: '', stderr: failed ? 'disk full' : '', startedAt: 0, finishedAt: 0, replayed: false };
      this.recorded.set(`${request.key}|${host}`, result);
      return result;
    });
  }
  async start(request: CommandRequest): Promise<void> {
    await this.run(request);
  }
  async status(key: string, hosts: string[]): Promise<CommandStatus> {
    const results = hosts.flatMap((h) => this.recorded.get(`${key}|${h}`) ?? []);
    return { key, done: results.length === hosts.length, results };
  }
  async ping(hosts: string[]): Promise<PingResult[]> {
    return hosts.map((host) => ({ host, alive: true, latencyMs: 0 }));
  }
  async pushFile(): Promise<HostResult[]> {
    return [];
  }
  async close(): Promise<void> {}

  /** Keys `host` ran, in order. */
  keys(host: string): string[] {
    return (this.log.get(host) ?? []).map((e) => e.key);
  }
}

export class MemoryP2P implements P2P {
  readonly name = 'memory';
  readonly jobs = new Map<string, { polls: number; hosts: string[]; key: string }>();
  failHosts: string[] = [];

  async preheat(key: string, _artifact: Artifact, hosts: string[]): Promise<PreheatProgress> {
    if (!this.jobs.has(key)) this.jobs.set(key, { polls: 0, hosts, key });
    return this.progress(key);
  }
  async progress(jobId: string): Promise<PreheatProgress> {
    const job = this.jobs.get(jobId);
    if (!job) throw new Error(`no job ${jobId}`);
    job.polls++;
    const done = job.polls >= 3;
    const failedHosts = done ? job.hosts.filter((h) => this.failHosts.includes(h)) : [];
    return { jobId, state: done ? (failedHosts.length ? 'failed' : 'succeeded') : 'running', hostsTotal: job.hosts.length, hostsDone: done ? job.hosts.length : 0, failedHosts };
  }
  async verify(): Promise<{ host: string; ok: boolean }[]> {
    return [];
  }
}

/**
 * A judge answering batch k with `script[k-1]` (PASS beyond the script), the same for every
 * evaluation of the batch, so a restarted process judges the same way. Counts its calls.
 */
export function scriptedJudge(script: Decision[]): Judge & { calls: { batch: number; until: number; released: string[]; unreleased: string[] }[] } {
  const calls: { batch: number; until: number; released: string[]; unreleased: string[] }[] = [];
  const judge = async (query: Parameters<Judge>[0]) => {
    const batch = query.release.batch ?? 0;
    calls.push({ batch, until: query.until ?? 0, released: query.hosts.released, unreleased: query.hosts.unreleased });
    const decision = script[batch - 1] ?? 'PASS';
    return { id: `ev-script-${query.release.id}-b${batch}-${calls.length}`, verdict: { decision, score: decision === 'PASS' ? 5 : decision === 'FAIL' ? 90 : 0, reasons: decision === 'PASS' ? [] : [`scripted ${decision}`] } };
  };
  return Object.assign(judge, { calls });
}

/** Parses `script:PASS,FAIL,…` (case-insensitive) into a judge script. */
export function parseJudgeScript(text: string): Decision[] {
  const match = /^script:(.*)$/i.exec(text.trim());
  if (!match) throw new Error(`judge script must look like script:PASS,FAIL — got '${text}'`);
  return match[1].split(',').filter(Boolean).map((d, i) => {
    const upper = d.trim().toUpperCase();
    if (upper !== 'PASS' && upper !== 'FAIL' && upper !== 'INCONCLUSIVE') throw new Error(`judge script entry ${i + 1}: '${d}' is not PASS, FAIL or INCONCLUSIVE`);
    return upper;
  });
}
