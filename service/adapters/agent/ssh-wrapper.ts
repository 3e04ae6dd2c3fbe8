/**
 * The POSIX-sh wrapper the SSH adapter runs on a host around every command. It gives the host
 * side of "exactly once per key" without installing anything there:
 *
 * - `mkdir <dir>/<key>` is the lock: whoever creates it runs the command; anyone else (a re-send
 *   after a lost connection, a restarted service) waits for the recorded exit file instead;
 * - the command runs with stdin from /dev/null and its output in files, HUP ignored, under GNU
 *   `timeout` when present (it signals the whole process group; otherwise a watchdog signals the
 *   command alone), so it survives a dropped connection and its result is still recorded;
 * - records untouched for 30 days are deleted (checked at most once a day);
 * - a waiter whose recording wrapper was killed waits for the command itself (its pid is in
 *   `child`), then answers `interrupted`: the exit status is unknown, and nothing runs again;
 * - the answer is one frame on stdout: a header line
 *   `SLUICE-AGENT-1 <fresh 0|1> <code|interrupted|conflict> <timed out 0|1> <started ms> <finished ms> <stdout bytes> <stderr bytes>`
 *   followed by the last 64 KiB of stdout and of stderr.
 *
 * Arguments: <agent dir ('' = $HOME/.sluice-agent)> <key> <timeout ms> <timeout seconds, decimal>
 * <host name> <requester> <number of NAME=value env entries> <entries…> <argv…>.
 * Every argument is a separate word (single-quoted by `shellQuote`), so argv reaches the program
 * unchanged; the wrapper itself only ever expands "$@" and its own variables.
 */

export const WRAPPER_SCRIPT = String.raw`set -u
base=$1; key=$2; tms=$3; tsec=$4; host=$5; requester=$6; n=$7; shift 7
[ -n "$base" ] || base="$HOME/.sluice-agent"
d="$base/$key"
now_ms() { v=$(date +%s%3N 2>/dev/null); case $v in ''|*[!0-9]*) v=$(( $(date +%s) * 1000 ));; esac; printf %s "$v"; }
nap() { sleep 0.2 2>/dev/null || sleep 1; }
# Only this user may write the records: a forged exit file would fake a result.
(umask 077; mkdir -p "$base") || { echo "sluice-agent: cannot create $base" >&2; exit 90; }
if mkdir "$d" 2>/dev/null; then
  printf '%s' "$requester" > "$d/requester"
  now_ms > "$d/started"
  printf '%s\n' "$$" > "$d/pid"
  i=0; while [ "$i" -lt "$n" ]; do export "$1"; shift; i=$((i+1)); done
  printf '%s\0' "$@" > "$d/argv"
  export SLUICE_HOST="$host"
  trap '' HUP
  if command -v timeout >/dev/null 2>&1; then
    timeout -k 2 "$tsec" "$@" </dev/null >"$d/stdout" 2>"$d/stderr" & cpid=$!
    printf '%s\n' "$cpid" > "$d/child"
    wait "$cpid"; code=$?
  else
    "$@" </dev/null >"$d/stdout" 2>"$d/stderr" & cpid=$!
    printf '%s\n' "$cpid" > "$d/child"
    # Detached from our stdout, or its sleeps would hold the SSH channel open.
    ( sleep "$tsec"; kill -TERM "$cpid" 2>/dev/null; sleep 2; kill -KILL "$cpid" 2>/dev/null ) </dev/null >/dev/null 2>&1 & wpid=$!
    wait "$cpid"; code=$?
    kill "$wpid" 2>/dev/null
  fi
  fin=$(now_ms); st=$(cat "$d/started")
  timed=0
  if [ $((fin - st)) -ge "$tms" ]; then case $code in 124|137|143) timed=1;; esac; fi
  printf '%s %s %s\n' "$code" "$timed" "$fin" > "$d/exit.$$" && mv -f "$d/exit.$$" "$d/exit"
  # Once a day, drop records untouched for 30 days (a key re-sent after that would run again).
  if [ -z "$(find "$base/.pruned" -mtime -1 2>/dev/null)" ]; then
    : > "$base/.pruned"
    find "$base"/. ! -name . -prune -type d -mtime +30 -exec rm -rf {} + 2>/dev/null
  fi
else
  shift "$n"
  waited=0
  while [ ! -f "$d/argv" ] && [ ! -f "$d/exit" ]; do
    waited=$((waited+1)); [ "$waited" -gt 50 ] && break; nap
  done
  if [ -f "$d/argv" ] && ! printf '%s\0' "$@" | cmp -s - "$d/argv"; then
    printf 'SLUICE-AGENT-1 0 conflict 0 0 0 0 0\n'; exit 0
  fi
  # Wait while the recording wrapper or its command lives; if both are gone without an exit
  # record (the wrapper was killed), the run is over and its status unknown.
  while [ ! -f "$d/exit" ]; do
    p=$(cat "$d/pid" 2>/dev/null || true); c=$(cat "$d/child" 2>/dev/null || true)
    if { [ -z "$p" ] || ! kill -0 "$p" 2>/dev/null; } && { [ -z "$c" ] || ! kill -0 "$c" 2>/dev/null; }; then
      [ -f "$d/exit" ] || { printf 'interrupted 0 %s\n' "$(now_ms)" > "$d/exit.$$" && mv -f "$d/exit.$$" "$d/exit"; }
      break
    fi
    nap
  done
fi
fresh=0; [ "$(cat "$d/requester" 2>/dev/null)" = "$requester" ] && fresh=1
read code timed fin < "$d/exit"
st=$(cat "$d/started" 2>/dev/null || echo 0)
tail -c 65536 "$d/stdout" > "$d/.out.$$" 2>/dev/null || : > "$d/.out.$$"
tail -c 65536 "$d/stderr" > "$d/.err.$$" 2>/dev/null || : > "$d/.err.$$"
printf 'SLUICE-AGENT-1 %s %s %s %s %s %s %s\n' "$fresh" "$code" "$timed" "$st" "$fin" "$(wc -c < "$d/.out.$$" | tr -d ' ')" "$(wc -c < "$d/.err.$$" | tr -d ' ')"
cat "$d/.out.$$" "$d/.err.$$"
rm -f "$d/.out.$$" "$d/.err.$$"
`;

/** Quotes one word for a POSIX shell: single quotes, each `'` as `'\''`. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface WrapperCall {
  /** Directory for the records on the host; '' for `$HOME/.sluice-agent`. */
  agentDir: string;
  key: string;
  timeoutMs: number;
  host: string;
  requester: string;
  env?: Record<string, string>;
  argv: string[];
}

/** The command line sent over SSH: `sh -c <wrapper> sluice-agent <args…>`, every word quoted. */
export function wrapperCommand(call: WrapperCall): string {
  const env = Object.entries(call.env ?? {}).map(([name, value]) => `${name}=${value}`);
  const words = [
    'sh', '-c', WRAPPER_SCRIPT, 'sluice-agent',
    call.agentDir, call.key, String(call.timeoutMs), (call.timeoutMs / 1000).toFixed(3), call.host, call.requester, String(env.length), ...env, ...call.argv,
  ];
  return words.map(shellQuote).join(' ');
}

export interface WrapperFrame {
  fresh: boolean;
  outcome: { kind: 'exit'; code: number; timedOut: boolean } | { kind: 'interrupted' } | { kind: 'conflict' };
  startedAt: number;
  finishedAt: number;
  stdout: string;
  stderr: string;
}

/** Parses the wrapper's answer; null when the output is not a whole frame (connection lost). */
export function parseFrame(output: Buffer): WrapperFrame | null {
  const newline = output.indexOf(0x0a);
  if (newline < 0) return null;
  const fields = output.subarray(0, newline).toString('utf8').split(' ');
  if (fields.length !== 8 || fields[0] !== 'SLUICE-AGENT-1') return null;
  const [, fresh, code, timed, started, finished, outLength, errLength] = fields;
  const outBytes = Number(outLength);
  const errBytes = Number(errLength);
  const body = output.subarray(newline + 1);
  if (!Number.isInteger(outBytes) || !Number.isInteger(errBytes) || body.length < outBytes + errBytes) return null;
  const outcome: WrapperFrame['outcome'] =
    code === 'interrupted' ? { kind: 'interrupted' } : code === 'conflict' ? { kind: 'conflict' } : { kind: 'exit', code: Number(code), timedOut: timed === '1' };
  if (outcome.kind === 'exit' && !Number.isInteger(outcome.code)) return null;
  return {
    fresh: fresh === '1',
    outcome,
    startedAt: Number(started),
    finishedAt: Number(finished),
    stdout: body.subarray(0, outBytes).toString('utf8'),
    stderr: body.subarray(outBytes, outBytes + errBytes).toString('utf8'),
  };
}
