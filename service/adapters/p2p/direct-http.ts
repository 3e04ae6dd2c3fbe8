/**
 * Direct HTTP distribution, the fallback when there is no Dragonfly: every host downloads the
 * artifact from its URL itself, through the agent port. On each host a short POSIX sh script runs
 * `curl -fsS -g -C - -o <partial> --url <url>` (resuming the partial file after a dropped connection,
 * up to `attempts` times), checks the sha256, and renames the file atomically to `<cacheDir>/<hex>`;
 * a digest mismatch deletes the partial file and fails that host. A file already in the cache with
 * the right digest is not downloaded again.
 *
 * The agent passes argv unchanged without a shell, so the argv is `sh -c <fixed script> sluice-fetch
 * <url> <hex> <dir> …`: the URL and the paths reach the script as positional parameters, never as
 * script text. Hosts need `sh`, `curl` and `sha256sum` (or `shasum`).
 *
 * The job id is the idempotency key; the agent command key is `p2p:<key>`, so the agent's own
 * exactly-once guarantee makes a re-sent preheat wait for, or replay, the first one. The job store
 * keeps the hosts of each key (as JSON) so that `progress` works after a restart.
 */
import { z } from 'zod';
import { parseConfig } from '../../../src/core/config.js';
import type { Agent } from '../../ports/agent.js';
import type { P2P, PreheatProgress } from '../../ports/p2p.js';
import { agentVerifier, HASH_FUNCTION, lastLine } from './agent-verify.js';
import { digestHex, keySchema, memoryJobStore, parsePreheat, parseVerify, progressOf, type PreheatJobStore } from './common.js';

/** Curl exit codes worth resuming after: connect failure, partial file, timeout, empty reply, send/receive errors, HTTP/2 stream error. */
const RESUMABLE = '7|18|28|52|55|56|92';

/**
 * Positional parameters: $1 url, $2 hex digest, $3 cache dir, $4 attempts, $5 seconds between
 * attempts, $6 connect timeout in seconds. Exit 3: download failed; exit 4: digest mismatch.
 */
export const FETCH_SCRIPT = `set -u
${HASH_FUNCTION}
url=$1; want=$2; dir=$3; attempts=$4; pause=$5; connect=$6
final="$dir/$want"; part="$final.partial"
if [ -f "$final" ] && [ "$(hash "$final")" = "$want" ]; then echo "cached $final"; exit 0; fi
mkdir -p "$dir" || { echo "cannot create $dir" >&2; exit 3; }
n=0
while :; do
  n=$((n + 1))
  err=$(curl -fsS -g --proto =http,https --connect-timeout "$connect" -C - -o "$part" --url "$url" 2>&1)
  rc=$?
  if [ "$rc" -eq 0 ]; then break; fi
  err=$(printf '%s' "$err" | tail -n 1)
  case "$rc" in
    ${RESUMABLE}) ;;
    33) rm -f "$part" ;;
    127) echo "download failed: curl is not installed on this host" >&2; exit 3 ;;
    *) echo "download failed: $err (curl exit $rc)" >&2; exit 3 ;;
  esac
  if [ "$n" -ge "$attempts" ]; then echo "download failed after $n attempts: $err (curl exit $rc)" >&2; exit 3; fi
  echo "attempt $n stopped: $err (curl exit $rc); resuming" >&2
  sleep "$pause"
done
got=$(hash "$part")
if [ "$got" != "$want" ]; then rm -f "$part"; echo "digest mismatch: expected sha256:$want, got sha256:$got" >&2; exit 4; fi
mv -f "$part" "$final" || { echo "cannot move the download to $final" >&2; exit 3; }
echo "stored $final"`;

export const directHttpConfigSchema = z.object({
  /** Cache directory on each host (absolute, or relative to the agent's working directory). */
  cacheDir: z
    .string()
    .min(1, 'must not be empty')
    .refine((d) => !/[\0\n]/.test(d), 'must not contain NUL or newline')
    .default('/var/cache/sluice/artifacts'),
  /** Download attempts per host; each one after the first resumes the partial file. */
  attempts: z.number().int().min(1).max(20).default(5),
  /** Pause between attempts, in seconds. */
  retryDelaySeconds: z.number().int().min(0).max(60).default(1),
  connectTimeoutSeconds: z.number().int().min(1).max(300).default(10),
  /** Per host, from start to the file in place, in ms. */
  timeoutMs: z.number().int().min(1_000).max(86_400_000).default(30 * 60_000),
  /** Per host, for `verify`, in ms. */
  verifyTimeoutMs: z.number().int().min(100).max(3_600_000).default(60_000),
  /** How often callers should poll `progress`, in ms. */
  pollIntervalMs: z.number().int().min(10).max(600_000).default(1_000),
});

export type DirectHttpConfigInput = z.input<typeof directHttpConfigSchema>;

export interface DirectHttpOptions {
  agent: Agent;
  /** Key → the job's hosts (JSON); pass one backed by durable state so `progress` survives a restart. */
  jobs?: PreheatJobStore;
}

export interface DirectHttpP2P extends P2P {
  readonly pollIntervalMs: number;
}

const jobRecordSchema = z.object({ hosts: z.array(z.string()), digest: z.string() });

/** Builds the direct-HTTP adapter over an agent; throws `SluiceError('invalid_config')` naming the field. */
export function directHttpP2P(input: DirectHttpConfigInput, options: DirectHttpOptions): DirectHttpP2P {
  const config = parseConfig(directHttpConfigSchema, input, 'direct-http config');
  const { agent } = options;
  const jobs = options.jobs ?? memoryJobStore();
  const hostsOf = new Map<string, string[]>();
  const verifier = agentVerifier(agent, { cacheDir: config.cacheDir, timeoutMs: config.verifyTimeoutMs });

  async function hostsFor(jobId: string): Promise<string[] | undefined> {
    const cached = hostsOf.get(jobId);
    if (cached) return cached;
    const stored = await jobs.get(jobId);
    if (stored === undefined) return undefined;
    const parsed = jobRecordSchema.safeParse(JSON.parse(stored));
    if (!parsed.success) throw new Error(`direct-http: the job store's record for '${jobId}' is not {hosts, digest}`);
    hostsOf.set(jobId, parsed.data.hosts);
    return parsed.data.hosts;
  }

  async function progress(jobId: string): Promise<PreheatProgress> {
    const key = keySchema.safeParse(jobId);
    const hosts = key.success ? await hostsFor(jobId) : undefined;
    if (!hosts) throw new Error(`direct-http progress: no preheat job '${jobId}' (call preheat with its key first)`);
    const status = await agent.status(`p2p:${jobId}`, hosts);
    const done = new Set<string>();
    const failed = new Map<string, string>();
    for (const result of status.results) {
      if (result.status === 'ok') done.add(result.host);
      else failed.set(result.host, result.status === 'failed' ? lastLine(result.stderr) || `exit code ${result.exitCode}` : `${result.status}: ${lastLine(result.stderr)}`);
    }
    return progressOf(jobId, hosts, done, failed, status.done);
  }

  return {
    name: 'direct-http',
    pollIntervalMs: config.pollIntervalMs,
    async preheat(key, artifact, hosts) {
      const request = parsePreheat(key, artifact, hosts, 'direct-http preheat');
      // A key seen before keeps its first hosts. Starting again is safe either way: the agent runs a
      // command key at most once per host, so this only (re)starts what never started.
      let jobHosts = await hostsFor(request.key);
      if (!jobHosts) {
        jobHosts = request.hosts;
        await jobs.set(request.key, JSON.stringify({ hosts: jobHosts, digest: request.artifact.digest }));
        hostsOf.set(request.key, jobHosts);
      }
      await agent.start({
        key: `p2p:${request.key}`,
        argv: [
          'sh',
          '-c',
          FETCH_SCRIPT,
          'sluice-fetch',
          request.artifact.url,
          digestHex(request.artifact.digest),
          config.cacheDir,
          String(config.attempts),
          String(config.retryDelaySeconds),
          String(config.connectTimeoutSeconds),
        ],
        hosts: jobHosts,
        timeoutMs: config.timeoutMs,
      });
      return progress(request.key);
    },
    progress,
    async verify(artifact, hosts) {
      const request = parseVerify(artifact, hosts, 'direct-http verify');
      return verifier(request.artifact, request.hosts);
    },
  };
}
