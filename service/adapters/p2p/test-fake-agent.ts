/**
 * A small in-memory Agent for the P2P tests: each host is a directory under `root`, commands run
 * there as local processes (argv unchanged, no shell; cwd = the host's directory, env `SLUICE_HOST`
 * and `SLUICE_HOST_DIR`, as the local fleet does), once per (key, host); a re-sent key answers from
 * memory with `replayed: true`. Hosts in `unreachable` never run anything.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Agent, CommandRequest, CommandStatus, HostResult } from '../../ports/agent.js';

export interface FakeAgent extends Agent {
  readonly root: string;
  readonly unreachable: Set<string>;
  /** Every actual execution: key and host, in order of start. */
  readonly executions: Array<{ key: string; host: string; argv: string[] }>;
  hostDir(host: string): string;
}

export function fakeAgent(root: string): FakeAgent {
  const runs = new Map<string, Promise<HostResult>>();
  const finished = new Map<string, HostResult>();
  const unreachable = new Set<string>();
  const executions: FakeAgent['executions'] = [];
  const hostDir = (host: string): string => join(root, host);

  function runOne(request: CommandRequest, host: string): Promise<HostResult> {
    const id = `${request.key}\u0000${host}`;
    const existing = runs.get(id);
    if (existing) return existing.then((r) => ({ ...r, replayed: true }));
    const startedAt = Date.now();
    const promise = new Promise<HostResult>((done) => {
      if (unreachable.has(host)) {
        return done({ host, status: 'unreachable', exitCode: null, stdout: '', stderr: 'host unreachable', startedAt, finishedAt: Date.now(), replayed: false });
      }
      const dir = hostDir(host);
      mkdirSync(dir, { recursive: true });
      executions.push({ key: request.key, host, argv: request.argv });
      const child = spawn(request.argv[0]!, request.argv.slice(1), {
        cwd: dir,
        env: { ...process.env, ...request.env, SLUICE_HOST: host, SLUICE_HOST_DIR: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, request.timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        done({ host, status: 'failed', exitCode: null, stdout, stderr: stderr + error.message, startedAt, finishedAt: Date.now(), replayed: false });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        const status = timedOut ? 'timeout' : code === 0 ? 'ok' : 'failed';
        done({ host, status, exitCode: code, stdout, stderr, startedAt, finishedAt: Date.now(), replayed: false });
      });
    }).then((result) => {
      finished.set(id, result);
      return result;
    });
    runs.set(id, promise);
    return promise;
  }

  return {
    name: 'fake',
    root,
    unreachable,
    executions,
    hostDir,
    run: (request) => Promise.all(request.hosts.map((host) => runOne(request, host))),
    async start(request) {
      for (const host of request.hosts) void runOne(request, host);
    },
    async status(key, hosts): Promise<CommandStatus> {
      const results = hosts.flatMap((host) => {
        const result = finished.get(`${key}\u0000${host}`);
        return result ? [result] : [];
      });
      return { key, done: results.length === hosts.length, results };
    },
    async ping(hosts) {
      return hosts.map((host) => (unreachable.has(host) ? { host, alive: false, latencyMs: null, error: 'unreachable' } : { host, alive: true, latencyMs: 0 }));
    },
    async pushFile(key, file, hosts) {
      return Promise.all(
        hosts.map(async (host): Promise<HostResult> => {
          const startedAt = Date.now();
          const path = resolve(hostDir(host), `.${file.path}`);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, file.content, { mode: file.mode ?? 0o644 });
          return { host, status: 'ok', exitCode: 0, stdout: '', stderr: '', startedAt, finishedAt: Date.now(), replayed: false };
        }),
      );
    },
    async close() {},
  };
}
