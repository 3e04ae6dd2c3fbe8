/**
 * The SSH agent adapter: commands over SSH (the `ssh2` package), one pooled connection per host,
 * each command wrapped in a small POSIX-sh script on the host (`ssh-wrapper.ts`) that records
 * it under `<agentDir>/<key>/` so a re-sent key returns the recorded result and never runs twice.
 *
 * Host keys are pinned: each host lists the SHA256 fingerprints it may present (the text
 * `ssh-keygen -lf` prints, `SHA256:…`). A host without a pin is refused unless
 * `trustOnFirstUse` is set, in which case its first key is remembered (in memory, and in
 * `knownHostsFile` when given) and any other key is refused after that.
 *
 * Argv is sent as separate single-quoted words to the host's login shell, which must be a POSIX
 * shell (sh, bash, dash, ksh, zsh); the wrapper passes them on as "$@", never re-parsed.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import { z } from 'zod';
import { parseConfig } from '../../../src/core/config.js';
import { SluiceError } from '../../../src/core/errors.js';
import type { Agent, CommandRequest, FileToPush, HostResult } from '../../ports/agent.js';
import { Requesters, Semaphore, abortable, freshRequester, hostNameSchema, parseCommandRequest, parsePush, pingEach, statusOf, unreachableResult } from './common.js';
import { sleep } from '../../clock/sleep.js';
import { parseFrame, shellQuote, wrapperCommand, type WrapperFrame } from './ssh-wrapper.js';

const hostSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(22),
    username: z.string().min(1),
    /** PEM/OpenSSH private key text, or… */
    privateKey: z.string().optional(),
    /** …a path to read it from. */
    privateKeyPath: z.string().optional(),
    passphrase: z.string().optional(),
    /** Accepted host key fingerprints, `SHA256:<base64 without padding>`. */
    hostKeyFingerprints: z.array(z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'must look like SHA256:<43 base64 characters> (ssh-keygen -lf)')).default([]),
    /** Where the wrapper keeps its per-key records on the host; default `$HOME/.sluice-agent`. */
    agentDir: z.string().refine((d) => d === '' || d.startsWith('/'), 'must be an absolute path').default(''),
  })
  .refine((h) => (h.privateKey === undefined) !== (h.privateKeyPath === undefined), { message: 'give exactly one of privateKey and privateKeyPath', path: ['privateKey'] });

/** The adapter's options, for a service configuration that embeds them. */
export const sshAgentOptionsSchema = z.object({
  hosts: z.record(hostNameSchema, hostSchema).refine((h) => Object.keys(h).length > 0, 'needs at least one host'),
  trustOnFirstUse: z.boolean().default(false),
  knownHostsFile: z.string().optional(),
  parallelism: z.number().int().min(1).max(4096).default(64),
  /** Channels open at once on one connection (sshd's MaxSessions is 10 by default). */
  channelsPerHost: z.number().int().min(1).max(64).default(8),
  connectTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** How long past a command's timeout the adapter keeps reconnecting after losing contact, ms. */
  lostContactGraceMs: z.number().int().min(0).max(3_600_000).default(60_000),
});

export type SshHostConfig = z.input<typeof hostSchema>;
export type SshAgentOptions = z.input<typeof sshAgentOptionsSchema>;

/** The fingerprint of a raw host key as `ssh-keygen -lf` prints it. */
export function fingerprint(hostKey: Buffer): string {
  return `SHA256:${createHash('sha256').update(hostKey).digest('base64').replace(/=+$/, '')}`;
}

/** The connection could not be made: nothing was sent. */
class NotConnected extends Error {}
/** A pooled connection would not open a channel (it died quietly): nothing was sent; reconnect. */
class ChannelRefused extends Error {}

interface Connection {
  client: ssh2.Client;
  channels: Semaphore;
  closed: boolean;
}

interface ExecOutput {
  stdout: Buffer;
  stderr: string;
  code: number | null;
}

/** Builds the adapter; throws `SluiceError('invalid_config')` naming the field at fault. */
export function sshAgent(options: SshAgentOptions): Agent & { closeHost(host: string): void } {
  const config = parseConfig(sshAgentOptionsSchema, options, 'ssh agent options');
  const keys = new Map<string, Buffer>();
  for (const [name, host] of Object.entries(config.hosts)) {
    const field = host.privateKey !== undefined ? 'privateKey' : 'privateKeyPath';
    let key: Buffer;
    try {
      key = host.privateKey !== undefined ? Buffer.from(host.privateKey) : readFileSync(host.privateKeyPath!);
    } catch (error) {
      throw new SluiceError('invalid_config', `hosts.${name}.${field}`, `ssh agent options: hosts.${name}.${field}: cannot read (${(error as Error).message})`);
    }
    const parsed = ssh2.utils.parseKey(key, host.passphrase);
    if (parsed instanceof Error) throw new SluiceError('invalid_config', `hosts.${name}.${field}`, `ssh agent options: hosts.${name}.${field}: not a usable private key (${parsed.message})`);
    keys.set(name, key);
  }
  const learned = new Map<string, string>();
  if (config.knownHostsFile) {
    try {
      for (const [name, print] of Object.entries(JSON.parse(readFileSync(config.knownHostsFile, 'utf8')) as Record<string, string>)) learned.set(name, print);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new SluiceError('invalid_config', 'knownHostsFile', `ssh agent options: knownHostsFile: ${(error as Error).message}`);
    }
  }
  const slots = new Semaphore(config.parallelism);
  const pool = new Map<string, Promise<Connection>>();
  const startedResults = new Map<string, Map<string, HostResult>>();
  // One per (key, host): this client's own re-sends are never "replayed".
  const requesters = new Requesters();

  /** Why a presented host key is refused, or null when it is accepted. */
  function checkHostKey(name: string, presented: string): string | null {
    const pinned = config.hosts[name].hostKeyFingerprints;
    if (pinned.length > 0) return pinned.includes(presented) ? null : `host key ${presented} of ${name} is not one of its pinned fingerprints`;
    const known = learned.get(name);
    if (known) return known === presented ? null : `host key of ${name} changed from ${known} to ${presented}; refusing`;
    if (!config.trustOnFirstUse) return `no pinned host key fingerprint for ${name} (it presented ${presented}); pin it or enable trustOnFirstUse`;
    learned.set(name, presented);
    if (config.knownHostsFile) {
      const file = config.knownHostsFile;
      void fs
        .mkdir(path.dirname(file), { recursive: true })
        .then(() => fs.writeFile(file, JSON.stringify(Object.fromEntries(learned), null, 2), { mode: 0o600 }))
        .catch((error: unknown) => console.warn(`ssh agent: cannot record the host key of ${name} in ${file}: ${(error as Error).message}`));
    }
    return null;
  }

  function connect(name: string): Promise<Connection> {
    const pooled = pool.get(name);
    if (pooled) return pooled;
    const host = config.hosts[name];
    const attempt = new Promise<Connection>((resolve, reject) => {
      const client = new ssh2.Client();
      let refusal: string | null = null;
      const connection: Connection = { client, channels: new Semaphore(config.channelsPerHost), closed: false };
      const drop = () => {
        connection.closed = true;
        if (pool.get(name) === attempt) pool.delete(name);
      };
      client.on('ready', () => resolve(connection));
      client.on('error', (error) => {
        drop();
        reject(new NotConnected(refusal ?? `ssh to ${host.username}@${host.host}:${host.port} failed: ${error.message}`));
      });
      client.on('close', () => {
        drop();
        reject(new NotConnected(refusal ?? `ssh connection to ${host.host}:${host.port} closed`));
      });
      const connectConfig: ConnectConfig = {
        host: host.host,
        port: host.port,
        username: host.username,
        privateKey: keys.get(name),
        passphrase: host.passphrase,
        readyTimeout: config.connectTimeoutMs,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 4,
        hostVerifier: (key: Buffer) => {
          refusal = checkHostKey(name, fingerprint(key));
          return refusal === null;
        },
      };
      try {
        client.connect(connectConfig);
      } catch (error) {
        drop();
        reject(new NotConnected(`ssh to ${host.username}@${host.host}:${host.port} failed: ${(error as Error).message}`));
      }
    });
    pool.set(name, attempt);
    attempt.catch(() => undefined);
    return attempt;
  }

  /** Runs one command line on the host; rejects `NotConnected` when no channel could be opened. */
  async function exec(name: string, command: string, timeoutMs: number): Promise<ExecOutput> {
    const pooledAttempt = connect(name);
    const connection = await pooledAttempt;
    return connection.channels.use(
      () =>
        new Promise<ExecOutput>((resolve, reject) => {
          connection.client.exec(command, (error: Error | undefined, channel: ClientChannel) => {
            if (error) {
              // A connection that cannot open channels is of no further use.
              if (pool.get(name) === pooledAttempt) pool.delete(name);
              connection.client.end();
              return reject(new ChannelRefused(`cannot open a channel on ${name}: ${error.message}`));
            }
            const out: Buffer[] = [];
            const err: Buffer[] = [];
            let code: number | null = null;
            const timer = setTimeout(() => {
              channel.close();
              reject(new Error(`no answer from ${name} within ${timeoutMs} ms`));
            }, timeoutMs);
            channel.on('data', (chunk: Buffer) => out.push(chunk));
            channel.stderr.on('data', (chunk: Buffer) => err.push(chunk));
            channel.on('exit', (exitCode: number | null) => {
              code = exitCode;
            });
            channel.on('close', () => {
              clearTimeout(timer);
              resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), code });
            });
          });
        }),
    );
  }

  const frameToResult = (host: string, key: string, frame: WrapperFrame): HostResult => {
    const base = { host, stdout: frame.stdout, stderr: frame.stderr, startedAt: frame.startedAt, finishedAt: frame.finishedAt, replayed: !frame.fresh };
    if (frame.outcome.kind === 'conflict') throw new SluiceError('conflict', 'key', `key ${key} already ran a different command on ${host}`);
    if (frame.outcome.kind === 'interrupted') {
      return { ...base, status: 'failed', exitCode: null, stderr: `${frame.stderr}${frame.stderr && !frame.stderr.endsWith('\n') ? '\n' : ''}interrupted: the run under this key stopped before recording its exit status (it was not run again)` };
    }
    if (frame.outcome.timedOut) return { ...base, status: 'timeout', exitCode: null };
    return { ...base, status: frame.outcome.code === 0 ? 'ok' : 'failed', exitCode: frame.outcome.code };
  };

  /**
   * Sends the wrapped command, reconnecting and re-sending the same key after a lost connection
   * (the wrapper joins the run) until `budgetMs` passes.
   */
  async function runKeyed(host: string, request: { key: string; argv: string[]; timeoutMs: number; env?: Record<string, string> }, requester: string): Promise<HostResult> {
    if (!(host in config.hosts)) return unreachableResult(host, `unknown host ${host}: not in the ssh hosts map`);
    const command = wrapperCommand({ agentDir: config.hosts[host].agentDir, key: request.key, timeoutMs: request.timeoutMs, host, requester, env: request.env, argv: request.argv });
    const deadline = Date.now() + request.timeoutMs + config.lostContactGraceMs;
    let maybeSent = false;
    let backoff = 200;
    let lastError = '';
    let channelRetries = 0;
    for (;;) {
      try {
        const output = await exec(host, command, request.timeoutMs + 30_000);
        maybeSent = true;
        const frame = parseFrame(output.stdout);
        if (frame) return frameToResult(host, request.key, frame);
        if (output.code !== null && output.code >= 90 && output.code < 100) {
          return { ...unreachableResult(host, `the agent wrapper on ${host} could not record the command: ${output.stderr.trim()}`), status: 'failed' };
        }
        lastError = `incomplete answer (exit ${output.code}): ${output.stderr.trim().slice(0, 300)}`;
      } catch (error) {
        if (error instanceof SluiceError) throw error;
        lastError = (error as Error).message;
        if (error instanceof ChannelRefused && channelRetries++ < 2) continue;
        if ((error instanceof NotConnected || error instanceof ChannelRefused) && !maybeSent) return unreachableResult(host, lastError);
        if (!(error instanceof NotConnected || error instanceof ChannelRefused)) maybeSent = true;
      }
      if (Date.now() + backoff > deadline) {
        const now = Date.now();
        return {
          host, status: 'failed', exitCode: null, stdout: '', startedAt: now, finishedAt: now, replayed: false,
          stderr: `lost contact with ${host} after the command may have started (${lastError}); send key ${request.key} again to learn its result (it will not run twice)`,
        };
      }
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 5000);
    }
  }

  function sftpSession(connection: Connection): Promise<SFTPWrapper> {
    return new Promise((resolve, reject) => connection.client.sftp((error, sftp) => (error ? reject(new NotConnected(error.message)) : resolve(sftp))));
  }

  async function upload(host: string, target: string, content: Uint8Array, mode: number): Promise<void> {
    const connection = await connect(host);
    await connection.channels.use(async () => {
      const sftp = await sftpSession(connection);
      try {
        await new Promise<void>((resolve, reject) => sftp.writeFile(target, Buffer.from(content), { mode }, (error) => (error ? reject(error) : resolve())));
        // The remote umask may have narrowed the mode at creation.
        await new Promise<void>((resolve, reject) => sftp.chmod(target, mode, (error) => (error ? reject(error) : resolve())));
      } finally {
        sftp.end();
      }
    });
  }

  const agent: Agent & { closeHost(host: string): void } = {
    name: 'ssh',

    async run(request: CommandRequest, signal?: AbortSignal) {
      const valid = parseCommandRequest(request);
      const all = Promise.all(valid.hosts.map((host) => slots.use(() => runKeyed(host, valid, freshRequester()))));
      return abortable(all, signal);
    },

    async start(request) {
      const valid = parseCommandRequest(request);
      const early = new Map<string, HostResult>();
      startedResults.set(valid.key, early);
      if (startedResults.size > 10_000) startedResults.delete(startedResults.keys().next().value!);
      for (const host of valid.hosts) {
        // The wrapper records the run on the host; status reads it back through the same key.
        void slots.use(() => runKeyed(host, valid, requesters.of(valid.key, host))).then(
          (result) => early.set(host, result),
          (error: unknown) => early.set(host, unreachableResult(host, `not started: ${(error as Error).message}`)),
        );
      }
    },

    async status(key, hosts) {
      const known = startedResults.get(key);
      const results = await Promise.all(
        hosts.map(async (host): Promise<HostResult | null> => {
          const local = known?.get(host);
          if (local) return local;
          if (!(host in config.hosts)) return null;
          const dir = config.hosts[host].agentDir;
          const base = dir === '' ? '"$HOME/.sluice-agent"' : shellQuote(dir);
          // Only ask when the host has a finished record, so status never starts or waits on anything.
          try {
            const probe = await exec(host, `test -f ${base}/${shellQuote(key)}/exit && echo done`, 15_000);
            if (probe.stdout.toString().trim() !== 'done') return null;
            const requester = requesters.of(key, host);
            // The record exists, so the wrapper answers from it without running anything.
            return await runKeyed(host, { key, argv: await recordedArgv(host, base, key), timeoutMs: 15_000 }, requester);
          } catch {
            return null;
          }
        }),
      );
      return statusOf(key, hosts, results);
    },

    async ping(hosts, timeoutMs) {
      return pingEach(hosts, slots, (host) => host in config.hosts, async (host) => {
        const answer = await Promise.race([
          exec(host, 'echo sluice-ok', timeoutMs),
          sleep(timeoutMs).then(() => {
            throw new Error(`no answer within ${timeoutMs} ms`);
          }),
        ]);
        if (answer.stdout.toString().trim() !== 'sluice-ok') throw new Error(`unexpected answer: ${answer.stdout.toString().slice(0, 100)}`);
        return { agent: 'ssh' };
      });
    },

    async pushFile(key: string, file: FileToPush, hosts: string[], timeoutMs: number) {
      parsePush(key, file, hosts, timeoutMs);
      const mode = file.mode ?? 0o644;
      const target = path.posix.normalize(file.path);
      return Promise.all(
        hosts.map((host) =>
          slots.use(async (): Promise<HostResult> => {
            if (!(host in config.hosts)) return unreachableResult(host, `unknown host ${host}: not in the ssh hosts map`);
            // Fixed per key (the keyed rename's argv must be the same when re-sent) and per host
            // (hosts may share a filesystem).
            const temp = `${target}.sluice-${host}-${key}.tmp`;
            try {
              await exec(host, `mkdir -p -- ${shellQuote(path.posix.dirname(target))}`, timeoutMs);
              await upload(host, temp, file.content, mode);
            } catch (error) {
              if (error instanceof NotConnected) return unreachableResult(host, error.message);
              const now = Date.now();
              return { host, status: 'failed', exitCode: null, stdout: '', stderr: `upload failed: ${(error as Error).message}`, startedAt: now, finishedAt: now, replayed: false };
            }
            // The rename is the keyed step: once per key, atomic on the host's filesystem.
            const result = await runKeyed(host, { key, argv: ['mv', '-f', '--', temp, target], timeoutMs }, freshRequester());
            if (result.replayed) await exec(host, `rm -f -- ${shellQuote(temp)}`, timeoutMs).catch(() => undefined);
            return result;
          }),
        ),
      );
    },

    closeHost(host) {
      void pool.get(host)?.then((c) => c.client.end(), () => undefined);
      pool.delete(host);
    },

    async close() {
      const connections = [...pool.values()];
      pool.clear();
      await Promise.all(connections.map((c) => c.then((conn) => conn.client.end(), () => undefined)));
    },
  };

  /** The argv recorded for a key on the host (NUL-separated), so status can re-ask under it. */
  async function recordedArgv(host: string, base: string, key: string): Promise<string[]> {
    const output = await exec(host, `cat ${base}/${shellQuote(key)}/argv`, 15_000);
    const text = output.stdout.toString('utf8');
    return text.split('\0').slice(0, -1);
  }

  return agent;
}
