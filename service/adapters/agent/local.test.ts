import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { agentContract, uniqueKey } from './agent.contract.js';
import { HostJournal, isAlive, processStart } from './journal.js';
import { DEPLOYED_VERSION_FILE, localFleet } from './local.js';
import { tempRoots } from './test-fixtures.js';

const newRoot = tempRoots('sluice-local-fleet-');

agentContract('local', async () => {
  const fleet = localFleet({
    root: newRoot(),
    hosts: ['web-1', 'web-2', 'web-3', 'dead-1'],
    behaviour: (host) => (host === 'dead-1' ? { unreachable: true, reason: 'dead-1 is powered off' } : undefined),
  });
  return {
    agent: fleet,
    hosts: ['web-1', 'web-2', 'web-3'],
    unreachable: 'dead-1',
    readFile: async (host, file) => fs.readFile(path.join(fleet.hostDir(host), file)).catch(() => null),
    close: () => fleet.close(),
  };
});

const here = path.dirname(fileURLToPath(import.meta.url));

/** Starts a separate process that runs `argv` under `key` on `host` of a fleet at `root`. */
function crashChild(root: string, host: string, key: string, argv: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', path.join(here, 'test-crash-child.ts'), root, host, key, ...argv], { stdio: 'ignore' });
}

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Has a child process run `argv` on host `h1` of a fresh fleet and waits until the command runs; the command's pid is read from its record. */
async function startedByChild(keyPrefix: string, argv: string[]) {
  const root = newRoot();
  const key = uniqueKey(keyPrefix);
  const child = crashChild(root, 'h1', key, argv);
  const childFile = path.join(root, 'h1', '.sluice-agent', 'runs', key, 'child.json');
  await until(() => existsSync(childFile));
  const { pid } = JSON.parse(readFileSync(childFile, 'utf8')) as { pid: number };
  return { root, key, child, pid };
}

describe('localFleet', () => {
  it('commandLog(host) lists each execution once, with key, argv, times and exit code', async () => {
    const fleet = localFleet({ root: newRoot(), hosts: ['a', 'b'] });
    await fleet.run({ key: 'k1', argv: ['sh', '-c', 'exit 2'], hosts: ['a', 'b'], timeoutMs: 5000 });
    await fleet.run({ key: 'k1', argv: ['sh', '-c', 'exit 2'], hosts: ['a'], timeoutMs: 5000 });
    await fleet.run({ key: 'k2', argv: ['true'], hosts: ['a'], timeoutMs: 5000 });
    const log = await fleet.commandLog('a');
    expect(log.map(({ key, argv, exitCode, status }) => ({ key, argv, exitCode, status }))).toEqual([
      { key: 'k1', argv: ['sh', '-c', 'exit 2'], exitCode: 2, status: 'failed' },
      { key: 'k2', argv: ['true'], exitCode: 0, status: 'ok' },
    ]);
    expect(log[0].finishedAt).toBeGreaterThanOrEqual(log[0].startedAt);
    expect(await fleet.commandLog('b')).toHaveLength(1);
  });

  it('commands run in the host directory with SLUICE_HOST and SLUICE_HOST_DIR; ping reports the deployed version', async () => {
    const fleet = localFleet({ root: newRoot(), hosts: ['h1'] });
    const [r] = await fleet.run({ key: 'deploy', argv: ['sh', '-c', `printf '%s|%s|%s' "$PWD" "$SLUICE_HOST" "$SLUICE_HOST_DIR"; echo 2.0.1 > ${DEPLOYED_VERSION_FILE}`], hosts: ['h1'], timeoutMs: 5000 });
    const dir = fleet.hostDir('h1');
    expect(r.stdout).toBe(`${dir}|h1|${dir}`);
    const [pong] = await fleet.ping(['h1'], 1000);
    expect(pong.info).toEqual({ agent: 'local', deployedVersion: '2.0.1' });
  });

  it('a reopened fleet on the same root replays, never re-runs, a finished key', async () => {
    const root = newRoot();
    const first = localFleet({ root, hosts: ['h1'] });
    await first.run({ key: 'once', argv: ['sh', '-c', 'echo run >> counter; echo out'], hosts: ['h1'], timeoutMs: 5000 });
    const second = localFleet({ root, hosts: ['h1'] });
    const [again] = await second.run({ key: 'once', argv: ['sh', '-c', 'echo run >> counter; echo out'], hosts: ['h1'], timeoutMs: 5000 });
    expect(again).toMatchObject({ status: 'ok', stdout: 'out\n', replayed: true });
    expect(readFileSync(path.join(second.hostDir('h1'), 'counter'), 'utf8')).toBe('run\n');
    expect(await second.commandLog('h1')).toHaveLength(1);
  });

  it('HostJournal.prune removes records of runs finished before the cut-off, and only those', async () => {
    const fleet = localFleet({ root: newRoot(), hosts: ['h1'] });
    await fleet.run({ key: 'old', argv: ['true'], hosts: ['h1'], timeoutMs: 5000 });
    const journal = new HostJournal('h1', fleet.hostDir('h1'));
    expect(await journal.prune(60_000)).toBe(0);
    expect(await journal.prune(60_000, Date.now() + 120_000)).toBe(1);
    expect(await fleet.commandLog('h1')).toEqual([]);
  });

  it('pushFile keeps a path with .. inside the host directory', async () => {
    const fleet = localFleet({ root: newRoot(), hosts: ['h1'] });
    await fleet.pushFile('p1', { path: '/../../escape.txt', content: new TextEncoder().encode('x') }, ['h1'], 5000);
    expect(readFileSync(path.join(fleet.hostDir('h1'), 'escape.txt'), 'utf8')).toBe('x');
  });

  it('behaviour: a failing host is journaled as a failed execution; a slow one still answers', async () => {
    const fleet = localFleet({
      root: newRoot(),
      hosts: ['ok', 'bad', 'slow'],
      behaviour: (host) => (host === 'bad' ? { fail: { exitCode: 7, stderr: 'disk full' } } : host === 'slow' ? { delayMs: 200 } : undefined),
    });
    const results = await fleet.run({ key: 'k', argv: ['true'], hosts: ['ok', 'bad', 'slow'], timeoutMs: 5000 });
    expect(results.map((r) => [r.host, r.status, r.exitCode])).toEqual([['ok', 'ok', 0], ['bad', 'failed', 7], ['slow', 'ok', 0]]);
    expect(results[1].stderr).toBe('disk full');
    expect(await fleet.commandLog('bad')).toHaveLength(1);
  });

  it('parallelism bounds how many hosts run at once', async () => {
    const hosts = Array.from({ length: 8 }, (_, i) => `h${i}`);
    const root = newRoot();
    const fleet = localFleet({ root, hosts, parallelism: 3 });
    const marker = path.join(root, 'concurrency');
    // Each command records the number of running siblings (files in a shared dir) at its start.
    await fs.mkdir(marker);
    const script = `touch ${marker}/$SLUICE_HOST; ls ${marker} | wc -l > seen; sleep 0.5; rm ${marker}/$SLUICE_HOST`;
    await fleet.run({ key: 'par', argv: ['sh', '-c', script], hosts, timeoutMs: 10_000 });
    const seen = await Promise.all(hosts.map(async (host) => Number(await fs.readFile(path.join(fleet.hostDir(host), 'seen'), 'utf8'))));
    expect(Math.max(...seen)).toBeLessThanOrEqual(3);
    expect(Math.max(...seen)).toBeGreaterThanOrEqual(2);
  });

  it('an aborted run stops waiting; the command goes on and its result is replayed later', async () => {
    const fleet = localFleet({ root: newRoot(), hosts: ['h1'] });
    const controller = new AbortController();
    const request = { key: 'abort', argv: ['sh', '-c', 'sleep 0.3; echo done'], hosts: ['h1'], timeoutMs: 5000 };
    const pending = fleet.run(request, controller.signal);
    controller.abort(new Error('shutting down'));
    await expect(pending).rejects.toThrow('shutting down');
    const [r] = await fleet.run(request);
    expect(r).toMatchObject({ status: 'ok', stdout: 'done\n', replayed: true });
  });

  describe('crash: the calling process is SIGKILLed while the command runs', () => {
    it('a new process waits for the still-running command and reports it interrupted — it never runs it again', async () => {
      const argv = ['sh', '-c', 'echo run >> counter; sleep 1.5; echo finished >> counter'];
      const { root, key, child, pid } = await startedByChild('crash-alive', argv);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      expect(isAlive({ pid, start: processStart(pid) })).toBe(true);

      const fleet = localFleet({ root, hosts: ['h1'] });
      const [r] = await fleet.run({ key, argv, hosts: ['h1'], timeoutMs: 5000 });
      expect(r.status).toBe('failed');
      expect(r.exitCode).toBeNull();
      expect(r.replayed).toBe(true);
      expect(r.stderr).toMatch(/interrupted/);
      // It waited for the orphan to finish rather than answering at once.
      expect(readFileSync(path.join(root, 'h1', 'counter'), 'utf8')).toBe('run\nfinished\n');
      expect(await fleet.commandLog('h1')).toHaveLength(1);
      const [again] = await fleet.run({ key, argv, hosts: ['h1'], timeoutMs: 5000 });
      expect(again.stderr).toMatch(/interrupted/);
      expect(readFileSync(path.join(root, 'h1', 'counter'), 'utf8')).toBe('run\nfinished\n');
    });

    it('when the command died with its caller, a new process reports interrupted at once and runs nothing', async () => {
      const argv = ['sh', '-c', 'echo run >> counter; sleep 30'];
      const { root, key, child, pid } = await startedByChild('crash-dead', argv);
      child.kill('SIGKILL');
      process.kill(-pid, 'SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      await until(() => !isAlive({ pid, start: '' }));

      const fleet = localFleet({ root, hosts: ['h1'] });
      const status = await fleet.status(key, ['h1']);
      expect(status.done).toBe(true);
      expect(status.results[0].stderr).toMatch(/interrupted/);
      const [r] = await fleet.run({ key, argv, hosts: ['h1'], timeoutMs: 5000 });
      expect(r).toMatchObject({ status: 'failed', replayed: true });
      expect(readFileSync(path.join(root, 'h1', 'counter'), 'utf8')).toBe('run\n');
      expect(await fleet.commandLog('h1')).toHaveLength(1);
    });

    it('an orphan that runs over its timeout is killed by the process that finds it', async () => {
      const root = newRoot();
      const key = uniqueKey('crash-timeout');
      const argv = ['sh', '-c', 'sleep 30'];
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
        const { localFleet } = await import(${JSON.stringify(path.join(here, 'local.ts'))});
        await localFleet({ root: ${JSON.stringify(root)}, hosts: ['h1'] }).run({ key: ${JSON.stringify(key)}, argv: ${JSON.stringify(argv)}, hosts: ['h1'], timeoutMs: 1000 });
      `], { stdio: 'ignore' });
      const childFile = path.join(root, 'h1', '.sluice-agent', 'runs', key, 'child.json');
      await until(() => existsSync(childFile));
      child.kill('SIGKILL');
      const { pid } = JSON.parse(readFileSync(childFile, 'utf8')) as { pid: number };
      const fleet = localFleet({ root, hosts: ['h1'] });
      const t0 = Date.now();
      const [r] = await fleet.run({ key, argv, hosts: ['h1'], timeoutMs: 1000 });
      expect(r.status).toBe('timeout');
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(isAlive({ pid, start: '' })).toBe(false);
    });
  });
});
