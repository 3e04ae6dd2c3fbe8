import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../auth/api-keys.js';
import { startService, type RunningService } from '../main.js';
import type { BatchProgress, ReleaseProgress } from '../orchestrator/state.js';
import { parseDuration } from './gate.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'sluice.js');
let service: RunningService;
let key: string;
let keyFile: string;
const T = Date.UTC(2026, 2, 2, 10, 0, 0);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `sluice gate …` as a child process; `env` replaces SLUICE_* variables. `whileRunning` gets
 * a function resolving once the child's standard error has matched a pattern.
 */
function gate(args: string[], env: Record<string, string> = {}, whileRunning?: (printed: (pattern: RegExp) => Promise<void>) => Promise<void>): Promise<Run> {
  const child = spawn(process.execPath, [bin, 'gate', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  const printed = async (pattern: RegExp) => {
    for (let waited = 0; !pattern.test(stderr); waited += 20) {
      if (waited > 30_000 || child.exitCode !== null) throw new Error(`gate never printed ${pattern}; stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return whileRunning ? whileRunning(printed).then(() => done) : done;
}

// The order as stored; the gate command reads only the progress, so a plain sketch of it does.
const order = (id: string) => ({
  id, app: `app-${id}`, environment: 'production', version: '2.0.0',
  artifact: { url: 'https://artifacts.example/app.tgz', digest: `sha256:${'a'.repeat(64)}` },
  hosts: [{ name: 'h1', datacenter: 'dc1' }, { name: 'h2', datacenter: 'dc1' }, { name: 'h3', datacenter: 'dc2' }],
  batching: { by: 'count', size: 2 },
});

const batch = (n: number, extra: Partial<BatchProgress> = {}): BatchProgress => ({ batch: n, hosts: n === 1 ? ['h1', 'h2'] : ['h3'], state: 'pending', evaluations: [], ...extra });
const progress = (batches: BatchProgress[], extra: Partial<ReleaseProgress> = {}): ReleaseProgress => ({ currentBatch: null, pausedReason: null, batches, transitions: [], failedHosts: [], ...extra });
const verdict = (decision: 'PASS' | 'FAIL' | 'INCONCLUSIVE', score: number, reasons: string[]) => ({ decision, score, evaluationId: `ev-${decision.toLowerCase()}-${score}`, at: T + 600_000, reasons });

/** Writes a release the way the orchestrator does: the record's spec is `{ order, progress, journal }`. */
async function putRelease(id: string, state: string, p: ReleaseProgress | null): Promise<void> {
  const existing = await service.store.getRelease(id);
  const spec = { order: order(id), progress: p, journal: { commands: [], resume: null } };
  if (!existing) {
    await service.store.createRelease({ id, app: `app-${id}`, environment: 'production', state, spec, createdAt: T, updatedAt: T });
  } else {
    const updated = await service.store.updateRelease(id, existing.version, { state, spec }, Date.now());
    if (!updated) throw new Error(`release ${id} changed under the test`);
  }
}

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-gate-cli-'));
  // The test writes release progress itself, in the orchestrator's place.
  service = await startService({ dataDir, port: 0, orchestrator: { enabled: false } });
  key = (await createKey(service.store, 'pipeline', ['read'], Date.now())).key;
  keyFile = join(dataDir, 'pipeline.key');
  writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  await putRelease('rel-pass', 'observing', progress([batch(1, { state: 'passed', verdict: verdict('PASS', 12.5, ['no metric left its band']), evaluations: [{ id: 'ev-pass-12.5', decision: 'PASS', score: 12.5, at: T }] }), batch(2)], { currentBatch: 1 }));
  await putRelease('rel-fail', 'rolling_back', progress([batch(1, {
    state: 'failed',
    verdict: verdict('FAIL', 91.25, ['rpc.rt: released hosts 48% above forecast', 'errors: new fatal signature NullPointerException', 'r3', 'r4', 'r5', 'r6', 'r7']),
  }), batch(2)]));
  await putRelease('rel-inconclusive', 'paused', progress([batch(1, { state: 'inconclusive', verdict: verdict('INCONCLUSIVE', 0, ['too little traffic: 3 requests in the window']) })], { pausedReason: 'batch 1 inconclusive' }));
  await putRelease('rel-observing', 'observing', progress([batch(1, { state: 'observing', evaluations: [{ id: 'ev-o1', decision: 'PASS', score: 4, at: T }] })]));
  await putRelease('rel-rolled-back', 'rolled_back', progress([batch(1, { state: 'failed', verdict: verdict('FAIL', 80, ['x']) }), batch(2, { state: 'skipped' })]));
  await putRelease('rel-aborted', 'aborted', progress([batch(1, { state: 'skipped' })]));
  await putRelease('rel-unplanned', 'planned', null);
});
afterAll(async () => {
  await service.close();
});

describe('parseDuration', () => {
  it('reads ms, s, m and h; refuses the rest naming the option', () => {
    expect([parseDuration('500ms', 't'), parseDuration('90s', 't'), parseDuration('30m', 't'), parseDuration('1.5h', 't')]).toEqual([500, 90_000, 1_800_000, 5_400_000]);
    expect(() => parseDuration('30', 'timeout')).toThrow("--timeout must be a duration like 90s, 30m or 2h, got '30'");
  });
});

describe('sluice gate against a running service', () => {
  it('exits 0 on PASS, 1 on FAIL, 2 on INCONCLUSIVE, printing the verdict, top reasons and report page — never the key', async () => {
    const common = ['--url', service.url, '--key-file', keyFile, '--batch', '1'];
    const [pass, fail, inconclusive] = await Promise.all([
      gate([...common, '--release', 'rel-pass']),
      gate([...common, '--release', 'rel-fail']),
      gate(['--url', service.url, '--batch', '1', '--release', 'rel-inconclusive'], { SLUICE_API_KEY: key }),
    ]);
    expect(pass.code).toBe(0);
    expect(pass.stdout).toContain('batch 1: PASS  score 12.5');
    expect(pass.stdout).toContain('  - no metric left its band');
    expect(pass.stdout).toContain(`report: ${service.url}/ui/evaluations/ev-pass-12.5`);
    expect(pass.stdout).toContain(`release page: ${service.url}/ui/releases/rel-pass`);
    expect(pass.stdout.trim().split('\n').at(-1)).toBe('sluice gate: exit 0 (PASS)');

    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain('batch 1: FAIL  score 91.3');
    expect(fail.stdout).toContain('  - rpc.rt: released hosts 48% above forecast\n  - errors: new fatal signature NullPointerException\n  - r3\n  - r4\n  - r5\n  … 2 more in the report');
    expect(fail.stdout).not.toContain('r6');
    expect(fail.stdout).toContain('sluice gate: exit 1 (FAIL)');

    expect(inconclusive.code).toBe(2);
    expect(inconclusive.stdout).toContain('batch 1: INCONCLUSIVE  score 0.0');
    expect(inconclusive.stdout).toContain('too little traffic');
    expect(inconclusive.stdout).toContain('sluice gate: exit 2 (INCONCLUSIVE or no verdict)');
    for (const run of [pass, fail, inconclusive]) expect(run.stdout + run.stderr).not.toContain(key.slice(8));
  });

  it('--wait follows the batch through its states, a line per change, until the verdict', async () => {
    await putRelease('rel-live', 'deploying', progress([batch(1, { state: 'deploying' }), batch(2)], { currentBatch: 1 }));
    const run = await gate(['--url', service.url, '--key-file', keyFile, '--release', 'rel-live', '--batch', '1', '--wait', '--interval', '50ms', '--timeout', '60s'], {}, async (printed) => {
      // Each state is written once the child has printed the one before (a line per change).
      await printed(/batch 1 deploying/);
      await putRelease('rel-live', 'observing', progress([batch(1, { state: 'observing', deployedAt: T }), batch(2)], { currentBatch: 1 }));
      await printed(/batch 1 observing\n/);
      await putRelease('rel-live', 'observing', progress([batch(1, { state: 'observing', evaluations: [{ id: 'e1', decision: 'PASS', score: 3, at: T }] }), batch(2)], { currentBatch: 1 }));
      await printed(/1 evaluation, latest PASS 3\.0/);
      // A poll that sees nothing new prints nothing.
      await new Promise((r) => setTimeout(r, 300));
      await putRelease('rel-live', 'observing', progress([batch(1, { state: 'observing', evaluations: [{ id: 'e1', decision: 'PASS', score: 3, at: T }, { id: 'e2', decision: 'FAIL', score: 72, at: T + 60_000 }] }), batch(2)], { currentBatch: 1 }));
      await printed(/2 evaluations/);
      await putRelease('rel-live', 'rolling_back', progress([batch(1, { state: 'failed', verdict: verdict('FAIL', 72, ['rpc.rt up 40%']) }), batch(2)], { currentBatch: 1 }));
    });
    expect(run.code).toBe(1);
    const progressLines = run.stderr.trim().split('\n').map((l) => l.replace(/^\S+ /, ''));
    expect(progressLines).toEqual([
      'release deploying · batch 1 deploying',
      'release observing · batch 1 observing',
      'release observing · batch 1 observing · 1 evaluation, latest PASS 3.0',
      'release observing · batch 1 observing · 2 evaluations, latest FAIL 72.0',
      'release rolling_back · batch 1 failed · verdict FAIL',
    ]);
    expect(run.stdout).toContain('batch 1: FAIL  score 72.0');
    expect(run.stdout).toContain(`report: ${service.url}/ui/evaluations/ev-fail-72`);
  }, 60_000);

  it('without a verdict: 2 when reading once, 2 on timeout, 1 when the release rolled back, 2 when it was aborted', async () => {
    const common = ['--url', service.url, '--key-file', keyFile];
    const [once, timeout, rolledBack, aborted, unplanned] = await Promise.all([
      gate([...common, '--release', 'rel-observing', '--batch', '1']),
      gate([...common, '--release', 'rel-observing', '--batch', '1', '--wait', '--timeout', '1500ms', '--interval', '200ms']),
      gate([...common, '--release', 'rel-rolled-back', '--batch', '2', '--wait']),
      gate([...common, '--release', 'rel-aborted', '--batch', '1', '--wait', '--json']),
      gate([...common, '--release', 'rel-unplanned', '--batch', '1']),
    ]);
    expect(once.code).toBe(2);
    expect(once.stdout).toContain('batch 1: no verdict — no verdict yet for batch 1 (release observing · batch 1 observing · 1 evaluation, latest PASS 4.0)');
    expect(timeout.code).toBe(2);
    expect(timeout.stdout).toContain("no verdict — timed out after 1.5s waiting for batch 1's verdict");
    expect(timeout.stderr.trim().split('\n')).toHaveLength(1); // nothing changed: one progress line
    expect(rolledBack.code).toBe(1);
    expect(rolledBack.stdout).toContain('release ended rolled_back without a verdict for batch 2');
    expect(aborted.code).toBe(2);
    expect(JSON.parse(aborted.stdout)).toEqual({
      release: 'rel-aborted', batch: 1, exitCode: 2, decision: null, score: null, reasons: [], evaluationId: null, report: null,
      releaseState: 'aborted', batchState: 'skipped', reason: 'release ended aborted without a verdict for batch 1',
    });
    expect(unplanned.code).toBe(2);
    expect(unplanned.stdout).toContain('release planned · no batches planned yet');
  });

  it('--json prints one object with the verdict and the report page', async () => {
    const run = await gate(['--url', service.url, '--key-file', keyFile, '--release', 'rel-fail', '--batch', '1', '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ release: 'rel-fail', batch: 1, exitCode: 1, decision: 'FAIL', score: 91.25, evaluationId: 'ev-fail-91.25', report: `${service.url}/ui/evaluations/ev-fail-91.25`, releaseState: 'rolling_back', batchState: 'failed', reason: null });
  });

  it('a refused key, an unknown release or an unreachable service exit 2 with the reason; the key is not printed', async () => {
    const [refused, unknown, unreachable] = await Promise.all([
      gate(['--url', service.url, '--release', 'rel-pass', '--batch', '1', '--wait'], { SLUICE_API_KEY: 'slk_0000_notarealsecretatall' }),
      gate(['--url', service.url, '--key-file', keyFile, '--release', 'rel-nope', '--batch', '1', '--wait']),
      gate(['--url', 'http://127.0.0.1:1', '--key-file', keyFile, '--release', 'rel-pass', '--batch', '1']),
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(/no verdict — service answered HTTP 401/);
    expect(refused.stdout + refused.stderr).not.toContain('notarealsecretatall');
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toContain('service answered HTTP 404: no release rel-nope');
    expect(unreachable.code).toBe(2);
    expect(unreachable.stdout).toMatch(/service at http:\/\/127\.0\.0\.1:1 unreachable/);
  });

  it('usage errors exit 64 and say what is wrong', async () => {
    const runs = await Promise.all([
      gate(['--batch', '1'], { SLUICE_API_KEY: key }),
      gate(['--release', 'r', '--batch', '0'], { SLUICE_API_KEY: key }),
      gate(['--release', 'r', '--batch', '1']),
      gate(['--release', 'r', '--batch', '1', '--timeout', 'soon'], { SLUICE_API_KEY: key }),
      gate(['--release', 'r', '--batch', '1', '--key', key]),
      gate(['--url', service.url, '--key-file', keyFile, '--release', 'rel-pass', '--batch', '3']),
    ]);
    expect(runs.map((r) => r.code)).toEqual([64, 64, 64, 64, 64, 64]);
    expect(runs[0].stderr).toContain('sluice gate: --release is required');
    expect(runs[1].stderr).toContain('--batch must be a positive integer');
    expect(runs[2].stderr).toContain('an API key is needed: --key-file FILE or the SLUICE_API_KEY environment variable');
    expect(runs[3].stderr).toContain("--timeout must be a duration like 90s, 30m or 2h, got 'soon'");
    expect(runs[4].stderr).toContain('unknown option --key');
    expect(runs[4].stderr).not.toContain(key);
    expect(runs[5].stdout).toContain('release rel-pass has 2 batches, no batch 3');
    for (const r of runs.slice(0, 5)) expect(r.stderr).toContain('sluice gate: exit 64 (usage error)');
  });
});

describe('sluice gate against the service\'s own orchestrator', () => {
  // The release is created over HTTP and driven by the real orchestrator (in-memory agent and P2P,
  // a scripted judge, time 1200× faster), so the progress the command reads is the one it writes.
  let driven: RunningService;
  let operateKey: string;
  beforeAll(async () => {
    const { MemoryAgent, MemoryP2P, scriptedJudge } = await import('../orchestrator/test/fakes.js');
    const { acceleratedClock } = await import('../clock/accelerated.js');
    driven = await startService({ dataDir: mkdtempSync(join(tmpdir(), 'sluice-gate-e2e-')), port: 0 }, () => undefined, {
      agent: new MemoryAgent(), p2p: new MemoryP2P(), judge: scriptedJudge(['FAIL']), clock: acceleratedClock({ factor: 1200 }),
      orchestrator: { pollMs: 5000, scanMs: 5000, retryDelayMs: 1000, leaseTtlMs: 60_000 },
    });
    operateKey = (await createKey(driven.store, 'deployer', ['operate'], Date.now())).key;
  });
  afterAll(async () => {
    await driven.close();
  });

  it('waits through preheat, deploy and observation, then exits 1 on the FAIL verdict with its report page', async () => {
    const created = await fetch(`${driven.url}/v1/releases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operateKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'rel-e2e', app: 'cart', environment: 'staging', version: '2.0.0', previousVersion: '1.9.0',
        artifact: { url: 'https://artifacts.example/cart-2.0.0.tgz', digest: `sha256:${'cd'.repeat(32)}` },
        hosts: ['a1', 'a2', 'b1', 'b2'].map((name) => ({ name, datacenter: name[0] })),
        batching: { by: 'datacenter', batches: 2 }, observationMinutes: 2,
        metrics: [{ name: 'errors', category: 'application', direction: 'up' }],
      }),
    });
    expect(created.status).toBe(201);
    const run = await gate(['--url', driven.url, '--release', 'rel-e2e', '--batch', '1', '--wait', '--interval', '100ms', '--timeout', '60s'], { SLUICE_API_KEY: operateKey });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/batch 1: FAIL {2}score 90\.0/);
    expect(run.stdout).toContain('  - scripted FAIL');
    expect(run.stdout).toMatch(new RegExp(`report: ${driven.url.replace(/\./g, '\\.')}/ui/evaluations/ev-script-rel-e2e-b1-\\d+`));
    // At 1200× the release may be over before the command's first read; the line shows where it was.
    expect(run.stderr).toMatch(/release (observing|rolling_back|rolled_back) · batch 1 \w+ · 1 evaluation, latest FAIL 90\.0 · verdict FAIL/);
    expect(run.stdout + run.stderr).not.toContain(operateKey.slice(8));
  });
});
