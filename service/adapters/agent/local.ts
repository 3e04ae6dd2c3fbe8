/**
 * A local-process fleet: every simulated host is a directory under `root` (its "disk": the
 * command journal, the deployed version, pushed files), and commands run as child processes of
 * this one, with the host's directory as their working directory and `SLUICE_HOST`,
 * `SLUICE_HOST_DIR` in their environment. For the demo and the tests, including crash tests: the
 * journal is durable, so a fleet reopened on the same root after a SIGKILL never runs a key twice,
 * and `commandLog(host)` counts actual executions.
 *
 * Example:
 *   const fleet = localFleet({ root: '/tmp/fleet', hosts: ['web-1', 'web-2'] });
 *   await fleet.run({ key: 'r1:b1:deploy', argv: ['sh', '-c', 'echo 2.0 > deployed-version'], hosts: ['web-1'], timeoutMs: 5000 });
 *   // → [{ host: 'web-1', status: 'ok', exitCode: 0, stdout: '', …, replayed: false }]
 */
import { mkdirSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseConfig } from '../../../src/core/config.js';
import type { Agent, CommandRequest, CommandStatus, FileToPush, HostResult, PingResult } from '../../ports/agent.js';
import { Semaphore, abortable, hostNameSchema, parseCommandRequest, parsePush, unreachableResult } from './common.js';
import { sleep } from '../../clock/sleep.js';
import { HostJournal, type CommandLogEntry } from './journal.js';

export type { CommandLogEntry } from './journal.js';

/** The file (in a host's directory) a deploy command writes its version to; `ping` reports it. */
export const DEPLOYED_VERSION_FILE = 'deployed-version';

/** How a simulated host misbehaves, for tests and the demo. */
export type HostBehaviour =
  /** The command never starts: `unreachable`, and ping says not alive. */
  | { unreachable: true; reason?: string }
  /** The command "runs" (journaled, counted in the log) and fails with this exit code. */
  | { fail: { exitCode: number; stderr?: string } }
  /** The host answers this much later (ms) than it otherwise would. */
  | { delayMs: number };

export interface LocalFleetOptions {
  /** Directory holding one subdirectory per host; created when missing. */
  root: string;
  hosts: string[];
  /** Hosts running at once across all calls; default 64. */
  parallelism?: number;
  /** Consulted before every command, push and ping on `host`; undefined = behave normally. */
  behaviour?: (host: string, request: { argv: string[] } | null) => HostBehaviour | undefined;
}

const optionsSchema = z.object({
  root: z.string().min(1, 'must name a directory'),
  hosts: z.array(hostNameSchema).min(1, 'needs at least one host').refine((h) => new Set(h).size === h.length, 'must not repeat a host'),
  parallelism: z.number().int().min(1).max(4096).default(64),
  behaviour: z.function().optional(),
});

export interface LocalFleet extends Agent {
  /** Every actual execution on `host` (commands and pushes), oldest first. */
  commandLog(host: string): Promise<CommandLogEntry[]>;
  /** The directory that is `host`'s disk. */
  hostDir(host: string): string;
}

/** Builds the fleet; throws `SluiceError('invalid_config')` naming the field at fault. */
export function localFleet(options: LocalFleetOptions): LocalFleet {
  const config = parseConfig(optionsSchema, options, 'localFleet options');
  const behaviour = options.behaviour;
  const root = path.resolve(config.root);
  const journals = new Map<string, HostJournal>();
  for (const host of config.hosts) {
    const dir = path.join(root, host);
    mkdirSync(dir, { recursive: true });
    journals.set(host, new HostJournal(host, dir));
  }
  const slots = new Semaphore(config.parallelism);
  /** Results of `start`ed commands as they finish, by key and host (bounded: oldest keys dropped). */
  const started = new Map<string, Map<string, HostResult>>();
  let closed = false;

  const journalOf = (host: string) => {
    const journal = journals.get(host);
    if (!journal) throw new Error(`unknown host ${host}`);
    return journal;
  };

  async function runOnHost(request: CommandRequest, host: string): Promise<HostResult> {
    const journal = journals.get(host);
    if (!journal) return unreachableResult(host, `unknown host ${host}: not in this local fleet`);
    if (closed) return unreachableResult(host, 'the local fleet is closed');
    const how = behaviour?.(host, { argv: request.argv });
    if (how && 'unreachable' in how) return unreachableResult(host, how.reason ?? `${host} is unreachable (simulated)`);
    if (how && 'delayMs' in how) await sleep(how.delayMs);
    return slots.use(() =>
      journal.run({
        key: request.key,
        argv: request.argv,
        timeoutMs: request.timeoutMs,
        env: request.env,
        ...(how && 'fail' in how ? { simulate: { exitCode: how.fail.exitCode, stderr: how.fail.stderr ?? `${host} failed (simulated)` } } : {}),
      }),
    );
  }

  const fleet: LocalFleet = {
    name: 'local',

    async run(request, signal) {
      const valid = parseCommandRequest(request);
      return abortable(Promise.all(valid.hosts.map((host) => runOnHost(valid, host))), signal);
    },

    async start(request) {
      const valid = parseCommandRequest(request);
      let results = started.get(valid.key);
      if (!results) {
        results = new Map();
        started.set(valid.key, results);
        if (started.size > 10_000) started.delete(started.keys().next().value!);
      }
      const into = results;
      for (const host of valid.hosts) {
        void runOnHost(valid, host).then(
          (result) => into.set(host, result),
          (error: unknown) => into.set(host, { ...unreachableResult(host, `not started: ${(error as Error).message}`) }),
        );
      }
    },

    async status(key, hosts) {
      const known = started.get(key);
      const results: HostResult[] = [];
      for (const host of hosts) {
        const result = known?.get(host) ?? (journals.has(host) ? await journalOf(host).result(key) : null);
        if (result) results.push(result);
      }
      return { key, done: results.length === hosts.length, results } satisfies CommandStatus;
    },

    async ping(hosts, timeoutMs) {
      return Promise.all(
        hosts.map(async (host): Promise<PingResult> => {
          const journal = journals.get(host);
          if (!journal) return { host, alive: false, latencyMs: null, error: `unknown host ${host}` };
          const how = behaviour?.(host, null);
          if (how && 'unreachable' in how) return { host, alive: false, latencyMs: null, error: how.reason ?? 'unreachable (simulated)' };
          const t0 = performance.now();
          if (how && 'delayMs' in how) {
            if (how.delayMs > timeoutMs) return { host, alive: false, latencyMs: null, error: `no answer within ${timeoutMs} ms` };
            await sleep(how.delayMs);
          }
          const info: Record<string, string> = { agent: 'local' };
          const version = await fs.readFile(path.join(journal.dir, DEPLOYED_VERSION_FILE), 'utf8').catch(() => null);
          if (version !== null) info.deployedVersion = version.trim();
          return { host, alive: true, latencyMs: performance.now() - t0, info };
        }),
      );
    },

    async pushFile(key: string, file: FileToPush, hosts: string[], timeoutMs: number) {
      parsePush(key, file, hosts, timeoutMs);
      return Promise.all(
        hosts.map(async (host) => {
          const journal = journals.get(host);
          if (!journal) return unreachableResult(host, `unknown host ${host}: not in this local fleet`);
          const how = behaviour?.(host, { argv: ['pushFile', file.path] });
          if (how && 'unreachable' in how) return unreachableResult(host, how.reason ?? `${host} is unreachable (simulated)`);
          // The host's "absolute" path lives inside its directory; normalising first keeps `..` inside too.
          const target = path.join(journal.dir, path.posix.normalize(file.path));
          return slots.use(() => journal.push(key, target, file.path, file.content, file.mode ?? 0o644));
        }),
      );
    },

    async commandLog(host) {
      return journalOf(host).commandLog();
    },

    hostDir(host) {
      return journalOf(host).dir;
    },

    async close() {
      closed = true;
    },
  };
  return fleet;
}
