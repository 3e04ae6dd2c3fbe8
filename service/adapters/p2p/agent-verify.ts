/**
 * Per-host artifact check through the agent port: on every host, the sha256 of `<cacheDir>/<hex>`
 * (the cache layout `direct-http` writes) compared with the artifact's digest. Used by `direct-http`
 * and available to `dragonfly` as its `verifier` when hosts also keep a copy at that path.
 */
import { randomBytes } from 'node:crypto';
import type { Agent } from '../../ports/agent.js';
import type { Artifact, VerifyResult } from '../../ports/p2p.js';
import { digestHex } from './common.js';

/**
 * POSIX sh run on the host: prints the sha256 of `$1/$2`; exit 2 when the file is missing. The
 * path arrives as positional arguments, never inside the script text.
 */
export const HASH_FUNCTION = `hash() { if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1; }`;
const VERIFY_SCRIPT = `${HASH_FUNCTION}
f="$1/$2"
if [ ! -f "$f" ]; then echo "missing $f" >&2; exit 2; fi
hash "$f"`;

export interface AgentVerifierOptions {
  /** Cache directory on the host (absolute, or relative to the agent's working directory). */
  cacheDir: string;
  /** Per host, in ms (default 60 s). */
  timeoutMs?: number;
}

/** Returns a verifier: one `VerifyResult` per host, in the order given. */
export function agentVerifier(agent: Agent, options: AgentVerifierOptions): (artifact: Artifact, hosts: string[]) => Promise<VerifyResult[]> {
  return async (artifact, hosts) => {
    const want = digestHex(artifact.digest);
    // Every verification is a new question, so it gets a fresh key (the agent would replay an old answer).
    const key = `p2p-verify:${want.slice(0, 16)}:${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
    const results = await agent.run({ key, argv: ['sh', '-c', VERIFY_SCRIPT, 'sluice-verify', options.cacheDir, want], hosts, timeoutMs: options.timeoutMs ?? 60_000 });
    const byHost = new Map(results.map((r) => [r.host, r]));
    return hosts.map((host): VerifyResult => {
      const result = byHost.get(host);
      if (!result) return { host, ok: false, reason: 'the agent returned no result for this host' };
      if (result.status !== 'ok') return { host, ok: false, reason: `${result.status}: ${lastLine(result.stderr) || `exit code ${result.exitCode}`}` };
      const got = result.stdout.trim();
      return got === want ? { host, ok: true } : { host, ok: false, reason: `digest mismatch: expected sha256:${want}, found sha256:${got}` };
    });
  };
}

/** The last non-empty line of a command's output (its error message, usually). */
export function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}
