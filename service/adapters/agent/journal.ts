/**
 * A host's durable command journal: runs a command at most once per idempotency key, even across
 * a SIGKILL of the process that started it. Used by the local fleet (one journal per simulated
 * host) and by the HTTP agent server (one journal for the machine it runs on).
 *
 * On disk, under `<dir>/.sluice-agent/runs/<key>/`:
 * - `intent.json` — written in full to a temporary file and then hard-linked into place, so that
 *   the link is both the exclusive claim on the key and a complete record; it names the owning
 *   process (pid and start time) and the argv. It exists before the command is spawned.
 * - `child.json` — the spawned process (pid, start time), written right after the spawn.
 * - `stdout`, `stderr` — the command's output, written by the command itself (files, not pipes,
 *   so a command outlives its parent without dying of SIGPIPE).
 * - `result.json` — written by atomic rename when the run ends.
 *
 * A journal that finds an intent without a result does not run the command again: while the owner
 * lives it waits for the owner's result; when the owner is gone it waits for the orphaned child
 * (enforcing the command's timeout on it) and then records the run as `failed` with "interrupted" —
 * its exit status died with the owner.
 *
 * Each intent is one execution, so `commandLog()` (the intents, with their results) counts
 * executions exactly. The only blind spot is a crash between writing the intent and spawning,
 * microseconds wide, in which the log shows an execution that did not happen; never the reverse.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import path from 'node:path';
import { SluiceError } from '../../../src/core/errors.js';
import type { HostResult, HostStatus } from '../../ports/agent.js';
import { OUTPUT_LIMIT_BYTES } from './common.js';
import { sleep } from '../../clock/sleep.js';

/** Time a timed-out command gets between SIGTERM and SIGKILL of its process group. */
export const KILL_GRACE_MS = 1000;
const POLL_MS = 50;

export interface RunSpec {
  key: string;
  argv: string[];
  timeoutMs: number;
  env?: Record<string, string>;
  /**
   * Who is asking (an id per client call). A later request with the same requester and key is the
   * same call re-sent, so its answer is not marked `replayed`.
   */
  requester?: string;
  /** Tests: record the run with this outcome instead of spawning (a simulated failing host). */
  simulate?: { exitCode: number; stderr: string };
}

/** One actual execution on a host, as the journal recorded it. */
export interface CommandLogEntry {
  key: string;
  argv: string[];
  /** Epoch ms. */
  startedAt: number;
  /** Epoch ms; null while running (or when it never finished). */
  finishedAt: number | null;
  exitCode: number | null;
  status: HostStatus | 'running';
}

interface ProcessId {
  pid: number;
  /** Kernel start time of the process (`/proc/<pid>/stat` field 22), to tell a reused pid apart; '' when unknown. */
  start: string;
}

interface Intent {
  key: string;
  argv: string[];
  startedAt: number;
  timeoutMs: number;
  owner: ProcessId;
  requester?: string;
}

interface Recorded {
  status: HostStatus;
  exitCode: number | null;
  startedAt: number;
  finishedAt: number;
  /** Appended to the stderr file's tail, for outcomes the command itself did not print (timeout, interrupted). */
  note?: string;
}

/** Reads a process's start time so that a pid reused after a crash is not mistaken for ours. */
export function processStart(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; fields after its last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? '';
  } catch {
    return '';
  }
}

/** True when the process exists, is the one recorded (not a reused pid) and is not a zombie. */
export function isAlive(id: ProcessId): boolean {
  try {
    process.kill(id.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = processStart(id.pid);
  // Without /proc (not Linux) kill(pid, 0) is all there is.
  if (start === '') return true;
  if (id.start !== '' && start !== id.start) return false;
  return !isZombie(id.pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

const self: ProcessId = { pid: process.pid, start: processStart(process.pid) };
const isSelf = (id: ProcessId) => id.pid === self.pid && id.start === self.start;

/** Runs in this process, by run directory: a second call for the same key waits for the first. */
const inflight = new Map<string, Promise<HostResult>>();

/** The run's owner can no longer record its result. */
function ownerGone(intent: Intent, dir: string): boolean {
  return isSelf(intent.owner) ? !inflight.has(dir) : !isAlive(intent.owner);
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Writes a file so that readers see either nothing or all of it. */
export async function writeAtomic(file: string, content: string | Uint8Array, mode = 0o644): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await fs.open(temp, 'w', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.chmod(temp, mode);
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

/** Makes a directory's entries (a new link or rename) durable. */
async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads the last `OUTPUT_LIMIT_BYTES` of a file; '' when it does not exist. */
export async function readTail(file: string, limit = OUTPUT_LIMIT_BYTES): Promise<string> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, limit);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

function sameArgv(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((arg, i) => arg === b[i]);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** The journal of one host, rooted at the directory that is the host's disk. */
export class HostJournal {
  readonly runsDir: string;

  constructor(
    readonly host: string,
    readonly dir: string,
    /** The environment commands start from (before the request's own and SLUICE_HOST*). */
    private readonly baseEnv: NodeJS.ProcessEnv = process.env,
  ) {
    this.runsDir = path.join(dir, '.sluice-agent', 'runs');
  }

  private runDir(key: string): string {
    return path.join(this.runsDir, key);
  }

  /**
   * Runs `spec` unless this key already ran (or is running) here; then answers with that run's
   * result, `replayed: true`. Throws `SluiceError('conflict')` when the key ran a different argv.
   */
  run(spec: RunSpec): Promise<HostResult> {
    return this.once(spec.key, spec.argv, spec.timeoutMs, spec.requester, (dir, startedAt) => this.execute(dir, spec, startedAt));
  }

  /** Writes `content` to `target` (temp file + rename) once per key, journaled like a command. */
  push(key: string, target: string, shownPath: string, content: Uint8Array, mode: number, requester?: string): Promise<HostResult> {
    return this.once(key, ['pushFile', shownPath], 0, requester, async (dir, startedAt) => {
      let recorded: Recorded;
      try {
        await fs.mkdir(path.dirname(target), { recursive: true });
        await writeAtomic(target, content, mode);
        recorded = { status: 'ok', exitCode: 0, startedAt, finishedAt: Date.now() };
      } catch (error) {
        recorded = { status: 'failed', exitCode: null, startedAt, finishedAt: Date.now(), note: `pushFile failed: ${(error as Error).message}` };
      }
      await writeAtomic(path.join(dir, 'result.json'), JSON.stringify(recorded));
      return this.toResult(dir, recorded, false);
    });
  }

  /**
   * The recorded result of `key`, or null while it runs or when it never ran here. `replayed` is
   * false only for the `requester` that started the run.
   */
  async result(key: string, requester?: string): Promise<HostResult | null> {
    const dir = this.runDir(key);
    const intent = await readJson<Intent>(path.join(dir, 'intent.json'));
    if (!intent) return null;
    const replayed = !(requester !== undefined && intent.requester === requester);
    const recorded = await readJson<Recorded>(path.join(dir, 'result.json'));
    if (recorded) return this.toResult(dir, recorded, replayed);
    if (!ownerGone(intent, dir)) return null;
    // An orphaned run (its owner died) is settled by whoever asks — once its child is gone or overdue.
    const child = await readJson<ProcessId>(path.join(dir, 'child.json'));
    const overdue = intent.timeoutMs > 0 && Date.now() > intent.startedAt + intent.timeoutMs;
    if (child && isAlive(child) && !overdue) return null;
    return { ...(await this.settleOrphan(dir, intent)), replayed };
  }

  /**
   * Deletes the records of runs that finished more than `olderThanMs` ago; returns how many. A key
   * re-sent after its record is gone runs again, so keep records longer than any re-send can come.
   */
  async prune(olderThanMs: number, now = Date.now()): Promise<number> {
    let keys: string[];
    try {
      keys = await fs.readdir(this.runsDir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const key of keys) {
      const dir = path.join(this.runsDir, key);
      const recorded = await readJson<Recorded>(path.join(dir, 'result.json')).catch(() => null);
      if (!recorded || inflight.has(dir) || recorded.finishedAt > now - olderThanMs) continue;
      await fs.rm(dir, { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  /** Every execution on this host, oldest first. */
  async commandLog(): Promise<CommandLogEntry[]> {
    let keys: string[];
    try {
      keys = await fs.readdir(this.runsDir);
    } catch {
      return [];
    }
    const entries: CommandLogEntry[] = [];
    for (const key of keys) {
      const intent = await readJson<Intent>(path.join(this.runsDir, key, 'intent.json'));
      if (!intent) continue;
      const recorded = await readJson<Recorded>(path.join(this.runsDir, key, 'result.json'));
      entries.push({
        key: intent.key,
        argv: intent.argv,
        startedAt: intent.startedAt,
        finishedAt: recorded?.finishedAt ?? null,
        exitCode: recorded?.exitCode ?? null,
        status: recorded?.status ?? 'running',
      });
    }
    return entries.sort((a, b) => a.startedAt - b.startedAt || a.key.localeCompare(b.key));
  }

  private async once(key: string, argv: string[], timeoutMs: number, requester: string | undefined, work: (dir: string, startedAt: number) => Promise<HostResult>): Promise<HostResult> {
    const dir = this.runDir(key);
    const running = inflight.get(dir);
    if (running) {
      const result = await running;
      const intent = await readJson<Intent>(path.join(dir, 'intent.json'));
      if (intent && !sameArgv(intent.argv, argv)) throw this.conflict(key, intent.argv);
      return { ...result, replayed: !(requester !== undefined && intent?.requester === requester) };
    }
    const attempt = this.claimOrAwait(dir, key, argv, timeoutMs, requester, work);
    inflight.set(dir, attempt);
    try {
      return await attempt;
    } finally {
      if (inflight.get(dir) === attempt) inflight.delete(dir);
    }
  }

  private conflict(key: string, recordedArgv: string[]): SluiceError {
    return new SluiceError('conflict', 'key', `key ${key} already ran a different command on ${this.host} (${JSON.stringify(recordedArgv).slice(0, 200)})`);
  }

  private async claimOrAwait(dir: string, key: string, argv: string[], timeoutMs: number, requester: string | undefined, work: (dir: string, startedAt: number) => Promise<HostResult>): Promise<HostResult> {
    // Only this user may write the records: a forged result file would fake a run.
    await fs.mkdir(path.dirname(this.runsDir), { recursive: true, mode: 0o700 });
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const startedAt = Date.now();
    const intent: Intent = { key, argv, startedAt, timeoutMs, owner: self, ...(requester ? { requester } : {}) };
    const temp = path.join(dir, `intent.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await fs.open(temp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(intent));
      await handle.sync();
    } finally {
      await handle.close();
    }
    let claimed = false;
    try {
      await fs.link(temp, path.join(dir, 'intent.json'));
      claimed = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await fs.rm(temp, { force: true });
    }
    // The claim must outlive a power cut too, or a command that ran could run again.
    if (claimed) await syncDir(dir);
    if (claimed) return work(dir, startedAt);
    return this.awaitRecorded(dir, key, argv, requester);
  }

  /** Waits for the result of a run someone else claimed (another call, or a process now dead). */
  private async awaitRecorded(dir: string, key: string, argv: string[], requester: string | undefined): Promise<HostResult> {
    for (;;) {
      const intent = await readJson<Intent>(path.join(dir, 'intent.json'));
      if (!intent) throw new Error(`journal of ${this.host}: ${dir} has a claim without an intent`);
      if (!sameArgv(intent.argv, argv)) throw this.conflict(key, intent.argv);
      const fresh = requester !== undefined && intent.requester === requester;
      const recorded = await readJson<Recorded>(path.join(dir, 'result.json'));
      if (recorded) return this.toResult(dir, recorded, !fresh);
      // This process's own earlier claim is gone from `inflight` only if it ended without a result.
      if (isSelf(intent.owner) || !isAlive(intent.owner)) return { ...(await this.settleOrphan(dir, intent)), replayed: !fresh };
      await sleep(POLL_MS);
    }
  }

  /**
   * The owner of a run died before recording its end. Waits for its child (killing the process
   * group when the command's timeout passes) and records the run as interrupted. Never re-runs it.
   */
  private async settleOrphan(dir: string, intent: Intent): Promise<HostResult> {
    const timeoutMs = intent.timeoutMs;
    const child = await readJson<ProcessId>(path.join(dir, 'child.json'));
    let timedOut = false;
    if (child) {
      let termSentAt = 0;
      while (isAlive(child)) {
        const now = Date.now();
        if (timeoutMs > 0 && now > intent.startedAt + timeoutMs) {
          timedOut = true;
          if (termSentAt === 0) {
            termSentAt = now;
            killGroup(child.pid, 'SIGTERM');
          } else if (now > termSentAt + KILL_GRACE_MS) killGroup(child.pid, 'SIGKILL');
        }
        await sleep(POLL_MS * 4);
      }
    }
    const existing = await readJson<Recorded>(path.join(dir, 'result.json'));
    if (existing) return this.toResult(dir, existing, true);
    const recorded: Recorded = {
      status: timedOut ? 'timeout' : 'failed',
      exitCode: null,
      startedAt: intent.startedAt,
      finishedAt: Date.now(),
      note: timedOut
        ? `interrupted: the agent that started this command stopped; the command ran over its ${timeoutMs} ms timeout and was killed`
        : child
          ? 'interrupted: the agent that started this command stopped before it finished; its exit status is unknown (it was not run again)'
          : 'interrupted: the agent stopped while starting this command; it may not have run (it was not run again)',
    };
    await writeAtomic(path.join(dir, 'result.json'), JSON.stringify(recorded));
    return this.toResult(dir, recorded, true);
  }

  private async toResult(dir: string, recorded: Recorded, replayed: boolean): Promise<HostResult> {
    const stdout = await readTail(path.join(dir, 'stdout'));
    let stderr = await readTail(path.join(dir, 'stderr'));
    if (recorded.note) stderr = (stderr && !stderr.endsWith('\n') ? `${stderr}\n` : stderr) + recorded.note;
    return {
      host: this.host,
      status: recorded.status,
      exitCode: recorded.exitCode,
      stdout,
      stderr: Buffer.byteLength(stderr) > OUTPUT_LIMIT_BYTES ? Buffer.from(stderr).subarray(-OUTPUT_LIMIT_BYTES).toString('utf8') : stderr,
      startedAt: recorded.startedAt,
      finishedAt: recorded.finishedAt,
      replayed,
    };
  }

  private async execute(dir: string, spec: RunSpec, startedAt: number): Promise<HostResult> {
    if (spec.simulate) {
      await fs.writeFile(path.join(dir, 'stderr'), spec.simulate.stderr);
      const recorded: Recorded = { status: spec.simulate.exitCode === 0 ? 'ok' : 'failed', exitCode: spec.simulate.exitCode, startedAt, finishedAt: Date.now() };
      await writeAtomic(path.join(dir, 'result.json'), JSON.stringify(recorded));
      return this.toResult(dir, recorded, false);
    }
    const out = openSync(path.join(dir, 'stdout'), 'w');
    const err = openSync(path.join(dir, 'stderr'), 'w');
    const env: NodeJS.ProcessEnv = { ...this.baseEnv, ...spec.env, SLUICE_HOST: this.host, SLUICE_HOST_DIR: this.dir };
    const recorded = await new Promise<Recorded>((resolve) => {
      let timedOut = false;
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const finish = (value: Recorded) => {
        if (settled) return;
        settled = true;
        for (const timer of timers) clearTimeout(timer);
        resolve(value);
      };
      const child = spawn(spec.argv[0], spec.argv.slice(1), { cwd: this.dir, env, detached: true, stdio: ['ignore', out, err] });
      child.on('spawn', () => {
        const pid = child.pid!;
        // Recorded synchronously so a crash right after the spawn still leaves the child findable.
        writeChildSync(dir, { pid, start: processStart(pid) });
        timers.push(
          setTimeout(() => {
            timedOut = true;
            killGroup(pid, 'SIGTERM');
            timers.push(setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS));
          }, spec.timeoutMs),
        );
      });
      child.on('error', (error) => {
        finish({ status: 'failed', exitCode: null, startedAt, finishedAt: Date.now(), note: `cannot start ${JSON.stringify(spec.argv[0])}: ${error.message}` });
      });
      child.on('exit', (code, signal) => {
        // The group may still hold the command's own children; a timed-out run takes them all.
        if (timedOut) killGroup(child.pid!, 'SIGKILL');
        const finishedAt = Date.now();
        if (timedOut) finish({ status: 'timeout', exitCode: null, startedAt, finishedAt, note: `timed out after ${spec.timeoutMs} ms; process group killed` });
        else if (code === 0) finish({ status: 'ok', exitCode: 0, startedAt, finishedAt });
        else finish({ status: 'failed', exitCode: code, startedAt, finishedAt, ...(signal ? { note: `killed by ${signal}` } : {}) });
      });
    });
    closeSync(out);
    closeSync(err);
    await writeAtomic(path.join(dir, 'result.json'), JSON.stringify(recorded));
    return this.toResult(dir, recorded, false);
  }
}

function writeChildSync(dir: string, child: ProcessId): void {
  const file = path.join(dir, 'child.json');
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(child));
  renameSync(temp, file);
}
