/**
 * The agent port: a command channel to hosts (what the seed calls StarAgent). The orchestrator
 * deploys and rolls back through it; implementations are a local-process fleet (demo, tests),
 * SSH, and an HTTP agent protocol with signed requests. Every implementation passes one shared
 * suite (`service/adapters/agent/agent.contract.ts`).
 *
 * Exactly once: every command carries an idempotency `key`. A host that already ran (or is
 * running) a command under that key does not run it again; it answers with the recorded result
 * (`replayed: true`), waiting for it when the first run is still going. This is what lets a
 * restarted orchestrator re-send whatever it is not sure about.
 *
 * What may run is decided before the port, by the command-safety layer (whitelist, high-risk
 * interception, per-key limits): adapters receive argv already resolved and pass it unchanged,
 * never through a shell.
 */

export interface CommandRequest {
  /** Idempotency key, unique per (release, batch, step); at most 200 characters of [A-Za-z0-9._:-]. */
  key: string;
  /** Program and arguments, passed unchanged (no shell). */
  argv: string[];
  hosts: string[];
  /** Per host, from start to exit; the process is killed when it runs over. */
  timeoutMs: number;
  /** Extra environment variables for the command. */
  env?: Record<string, string>;
}

export type HostStatus = 'ok' | 'failed' | 'timeout' | 'unreachable';

export interface HostResult {
  host: string;
  /** `ok`: exit code 0; `failed`: another exit code or a signal; `timeout`; `unreachable`: the command never started. */
  status: HostStatus;
  exitCode: number | null;
  /** Output, truncated to the last 64 KiB each. */
  stdout: string;
  stderr: string;
  /** Epoch ms. */
  startedAt: number;
  finishedAt: number;
  /** True when the host answered from its record of an earlier run under the same key. */
  replayed: boolean;
}

export interface CommandStatus {
  key: string;
  done: boolean;
  /** Results of the hosts that finished so far. */
  results: HostResult[];
}

export interface PingResult {
  host: string;
  alive: boolean;
  latencyMs: number | null;
  /** What the host says about itself (agent version, deployed version, …) when alive. */
  info?: Record<string, string>;
  error?: string;
}

export interface FileToPush {
  /** Absolute path on the host. */
  path: string;
  content: Uint8Array;
  /** Unix mode, default 0o644. */
  mode?: number;
}

export interface Agent {
  /** Implementation name for logs and reports (`local`, `ssh`, `http`). */
  readonly name: string;
  /**
   * Runs on every host in parallel (bounded by the adapter) and resolves when all have finished.
   * Aborting `signal` only stops the waiting: commands already started go on, and their results
   * stay recorded under the key (ask again with the same key, or `status`). Throws only for a bad
   * request (`invalid_input`) or a key reused for a different argv (`conflict`).
   */
  run(request: CommandRequest, signal?: AbortSignal): Promise<HostResult[]>;
  /** Starts the command and returns at once; `status` (same key) tells progress and results. */
  start(request: CommandRequest): Promise<void>;
  status(key: string, hosts: string[]): Promise<CommandStatus>;
  /** Heartbeat: which hosts answer, and how fast. */
  ping(hosts: string[], timeoutMs: number): Promise<PingResult[]>;
  /** Writes a file on every host (idempotent per key like `run`). */
  pushFile(key: string, file: FileToPush, hosts: string[], timeoutMs: number): Promise<HostResult[]>;
  close(): Promise<void>;
}
