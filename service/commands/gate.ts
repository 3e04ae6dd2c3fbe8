/**
 * `sluice gate`: a CI pipeline step that waits for a release batch's verdict and turns it into an
 * exit code — 0 PASS, 1 FAIL, 2 INCONCLUSIVE (and 2 whenever there is no verdict to go by: a
 * timeout, an unreachable service, a refused key), 64 for a usage error. It polls
 * `GET /v1/releases/:id` and prints a line per change while waiting (on standard error, so `--json`
 * output stays one clean object), then the verdict's summary and its report page. The API key
 * comes from a file or the environment, never from the command line, and is never printed.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { fetchIdempotent } from '../http/client.js';
import { optionString, parseArgs, type ParsedArgs } from './args.js';

const HELP = `usage: sluice gate --release ID --batch N [--wait] [--timeout 30m] [--interval 5s]
                   [--url URL] [--key-file FILE] [--json]

  --release   the release id
  --batch     the batch number, 1-based
  --wait      poll until the batch has its final verdict or the release ends (default: read once)
  --timeout   give up waiting after this long: 90s, 30m, 2h (default 30m); a timeout exits 2
  --interval  time between polls (default 5s)
  --url       the Sluice service (default $SLUICE_URL or http://127.0.0.1:8080)
  --key-file  a file holding an API key with the read scope (default: $SLUICE_API_KEY)
  --json      print one JSON object instead of the summary

exit codes: 0 PASS, 1 FAIL, 2 INCONCLUSIVE or no verdict (timeout, service unreachable, release
ended without one), 64 usage error`;

export const EXIT = { PASS: 0, FAIL: 1, INCONCLUSIVE: 2, usage: 64 } as const;
const decisions = ['PASS', 'FAIL', 'INCONCLUSIVE'] as const;
type Decision = (typeof decisions)[number];
const TERMINAL = new Set(['succeeded', 'failed', 'aborted', 'rolled_back']);

/** The part of the release view (the shared contract) this command reads. */
const verdictSchema = z.object({ decision: z.enum(decisions), score: z.number(), evaluationId: z.string(), at: z.number(), reasons: z.array(z.string()) });
const batchSchema = z.object({
  batch: z.number().int(),
  hosts: z.array(z.string()),
  state: z.string(),
  evaluations: z.array(z.object({ id: z.string(), decision: z.string(), score: z.number(), at: z.number() })).default([]),
  verdict: verdictSchema.optional(),
});
const releaseViewSchema = z.object({
  id: z.string(),
  app: z.string(),
  environment: z.string(),
  state: z.string(),
  progress: z.object({ currentBatch: z.number().nullable().optional(), pausedReason: z.string().nullable().optional(), batches: z.unknown() }).nullable().optional(),
});
type Batch = z.output<typeof batchSchema>;
type ReleaseView = z.output<typeof releaseViewSchema>;

class UsageError extends Error {}

/** `90s`, `30m`, `2h`, `500ms` → milliseconds. */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new UsageError(`--${option} must be a duration like 90s, 30m or 2h, got '${text}'`);
  return Math.round(Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h']);
}

interface Settings {
  release: string;
  batch: number;
  wait: boolean;
  timeoutMs: number;
  intervalMs: number;
  url: string;
  key: string;
  json: boolean;
}

function settings(args: ParsedArgs, env: NodeJS.ProcessEnv): Settings {
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const release = optionString(args, 'release');
  if (!release) throw new UsageError('--release is required');
  const batchText = optionString(args, 'batch');
  if (!batchText) throw new UsageError('--batch is required');
  if (!/^[1-9]\d*$/.test(batchText)) throw new UsageError(`--batch must be a positive integer (batches count from 1), got '${batchText}'`);
  const url = (optionString(args, 'url') ?? env.SLUICE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+/.test(url)) throw new UsageError(`--url must be an http(s) URL, got '${url}'`);
  const keyFile = optionString(args, 'key-file');
  let key: string | undefined;
  if (keyFile) {
    try {
      key = readFileSync(keyFile, 'utf8').trim();
    } catch (error) {
      throw new UsageError(`cannot read --key-file ${keyFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (!key) throw new UsageError(`--key-file ${keyFile} is empty`);
  } else key = env.SLUICE_API_KEY?.trim();
  if (!key) throw new UsageError('an API key is needed: --key-file FILE or the SLUICE_API_KEY environment variable');
  return {
    release, batch: Number(batchText), url, key,
    wait: args.options.wait === true,
    json: args.options.json === true,
    timeoutMs: parseDuration(optionString(args, 'timeout') ?? '30m', 'timeout'),
    intervalMs: parseDuration(optionString(args, 'interval') ?? '5s', 'interval'),
  };
}

/** One reading of the release: what the batch looks like now, or why it cannot be read. */
type Reading =
  | { ok: true; release: ReleaseView; batches: Batch[] | null; batch: Batch | null }
  | { ok: false; reason: string; final: boolean };

async function read(s: Settings): Promise<Reading> {
  let response: Response;
  try {
    response = await fetchIdempotent(`${s.url}/v1/releases/${encodeURIComponent(s.release)}`, { headers: { authorization: `Bearer ${s.key}`, accept: 'application/json' }, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    return { ok: false, reason: `service at ${s.url} unreachable: ${cause}`, final: false };
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, reason: `service answered HTTP ${response.status} with a body that is not JSON`, final: response.status < 500 };
  }
  if (!response.ok) {
    const message = (body as { message?: unknown; reason?: unknown }).message ?? (body as { reason?: unknown }).reason ?? '';
    // 4xx will not change by asking again (unknown release, refused key); 5xx may.
    return { ok: false, reason: `service answered HTTP ${response.status}${message ? `: ${String(message)}` : ''}`, final: response.status < 500 && response.status !== 429 };
  }
  const parsed = releaseViewSchema.safeParse(body);
  if (!parsed.success) return { ok: false, reason: `release view: ${issueText(parsed.error)}`, final: true };
  const release = parsed.data;
  // Before the orchestrator plans it, a release has no batch list yet.
  const rawBatches = release.progress?.batches;
  if (!Array.isArray(rawBatches)) return { ok: true, release, batches: null, batch: null };
  const batches = z.array(batchSchema).safeParse(rawBatches);
  if (!batches.success) return { ok: false, reason: `release view: progress.batches.${issueText(batches.error)}`, final: true };
  return { ok: true, release, batches: batches.data, batch: batches.data.find((b) => b.batch === s.batch) ?? null };
}

const issueText = (error: z.ZodError): string => {
  const issue = error.issues[0];
  return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
};

/** A one-line description of the reading, printed whenever it changes. */
function describe(r: Reading, s: Settings): string {
  if (!r.ok) return r.reason;
  const parts = [`release ${r.release.state}`];
  if (r.release.progress?.pausedReason) parts.push(`paused: ${r.release.progress.pausedReason}`);
  if (!r.batches) parts.push('no batches planned yet');
  else if (!r.batch) parts.push(`no batch ${s.batch} (the release has ${r.batches.length})`);
  else {
    parts.push(`batch ${s.batch} ${r.batch.state}`);
    const latest = r.batch.evaluations.at(-1);
    if (latest) parts.push(`${r.batch.evaluations.length} evaluation${r.batch.evaluations.length === 1 ? '' : 's'}, latest ${latest.decision} ${latest.score.toFixed(1)}`);
    if (r.batch.verdict) parts.push(`verdict ${r.batch.verdict.decision}`);
  }
  return parts.join(' · ');
}

interface Outcome {
  code: number;
  decision: Decision | null;
  /** Why the exit code is what it is, when there is no verdict to say it. */
  reason: string | null;
  reading: Reading | null;
}

/** Decides the outcome of a reading, or null when waiting may still bring a verdict. */
function settle(r: Reading, s: Settings, waiting: boolean): Outcome | null {
  if (!r.ok) return r.final || !waiting ? { code: EXIT.INCONCLUSIVE, decision: null, reason: r.reason, reading: r } : null;
  if (r.batch?.verdict) return { code: EXIT[r.batch.verdict.decision], decision: r.batch.verdict.decision, reason: null, reading: r };
  if (r.batches && r.batches.length > 0 && !r.batch) {
    return { code: EXIT.usage, decision: null, reason: `release ${r.release.id} has ${r.batches.length} batch${r.batches.length === 1 ? '' : 'es'}, no batch ${s.batch}`, reading: r };
  }
  if (TERMINAL.has(r.release.state)) {
    // The release ended before this batch was judged: a failed or rolled-back release must stop
    // the pipeline as a FAIL would; an aborted or otherwise ended one has no verdict to go by.
    const failed = r.release.state === 'failed' || r.release.state === 'rolled_back';
    return { code: failed ? EXIT.FAIL : EXIT.INCONCLUSIVE, decision: null, reason: `release ended ${r.release.state} without a verdict for batch ${s.batch}`, reading: r };
  }
  if (!waiting) return { code: EXIT.INCONCLUSIVE, decision: null, reason: `no verdict yet for batch ${s.batch} (${describe(r, s)})`, reading: r };
  return null;
}

const meaning = (code: number): string => (code === 0 ? 'PASS' : code === 1 ? 'FAIL' : code === 2 ? 'INCONCLUSIVE or no verdict' : 'usage error');
const TOP_REASONS = 5;

function report(outcome: Outcome, s: Settings): string {
  const r = outcome.reading;
  const lines: string[] = [];
  if (r?.ok) lines.push(`release ${r.release.id} (${r.release.app}, ${r.release.environment}) is ${r.release.state}`);
  const verdict = r?.ok ? r.batch?.verdict : undefined;
  if (verdict) {
    lines.push(`batch ${s.batch}: ${verdict.decision}  score ${verdict.score.toFixed(1)}  (${new Date(verdict.at).toISOString()})`);
    for (const reason of verdict.reasons.slice(0, TOP_REASONS)) lines.push(`  - ${reason}`);
    if (verdict.reasons.length > TOP_REASONS) lines.push(`  … ${verdict.reasons.length - TOP_REASONS} more in the report`);
    lines.push(`report: ${s.url}/ui/evaluations/${encodeURIComponent(verdict.evaluationId)}`);
  } else if (outcome.reason) lines.push(`batch ${s.batch}: no verdict — ${outcome.reason}`);
  if (r?.ok) lines.push(`release page: ${s.url}/ui/releases/${encodeURIComponent(r.release.id)}`);
  lines.push(`sluice gate: exit ${outcome.code} (${meaning(outcome.code)})`);
  return lines.join('\n');
}

function json(outcome: Outcome, s: Settings): string {
  const r = outcome.reading?.ok ? outcome.reading : null;
  const verdict = r?.batch?.verdict;
  return JSON.stringify({
    release: s.release,
    batch: s.batch,
    exitCode: outcome.code,
    decision: outcome.decision,
    score: verdict?.score ?? null,
    reasons: verdict?.reasons ?? [],
    evaluationId: verdict?.evaluationId ?? null,
    report: verdict ? `${s.url}/ui/evaluations/${encodeURIComponent(verdict.evaluationId)}` : null,
    releaseState: r?.release.state ?? null,
    batchState: r?.batch?.state ?? null,
    reason: outcome.reason,
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the command and returns its exit code; `env` is a parameter so tests need not touch the process's. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let s: Settings;
  try {
    const args = parseArgs(argv, { flags: ['help', 'wait', 'json'], values: ['release', 'batch', 'timeout', 'interval', 'url', 'key-file'] });
    if (args.options.help) {
      console.log(HELP);
      return 0;
    }
    s = settings(args, env);
  } catch (error) {
    console.error(`sluice gate: ${(error as Error).message}\nsluice gate: exit ${EXIT.usage} (usage error); see sluice gate --help`);
    return EXIT.usage;
  }

  const deadline = Date.now() + s.timeoutMs;
  let last = '';
  let outcome: Outcome | null = null;
  let reading: Reading | null = null;
  for (;;) {
    reading = await read(s);
    const line = describe(reading, s);
    if (s.wait && line !== last) console.error(`${new Date().toISOString()} ${line}`);
    last = line;
    outcome = settle(reading, s, s.wait);
    if (outcome) break;
    const left = deadline - Date.now();
    if (left <= 0) {
      outcome = { code: EXIT.INCONCLUSIVE, decision: null, reason: `timed out after ${optionTimeout(s)} waiting for batch ${s.batch}'s verdict (${line})`, reading };
      break;
    }
    await sleep(Math.min(s.intervalMs, left));
  }
  if (s.json) console.log(json(outcome, s));
  else console.log(report(outcome, s));
  return outcome.code;
}

const optionTimeout = (s: Settings): string => (s.timeoutMs % 60_000 === 0 ? `${s.timeoutMs / 60_000}m` : `${s.timeoutMs / 1000}s`);
