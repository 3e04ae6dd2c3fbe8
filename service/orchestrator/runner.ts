/**
 * Drives one release from its stored state to a terminal one, a step at a time. Every step reads
 * the record, does one thing, and writes what it did; a transition is written before it is acted
 * on, a command's intent before it is sent and its result after. So a process that dies anywhere
 * leaves a record from which the next one continues: a command without a recorded result is sent
 * again under the same idempotency key, and the agent answers from its record instead of running
 * it twice. Operators' actions change the record under the runner; its guarded writes notice.
 */
import type { GateQuery } from '../gate/judge.js';
import { defaultPolicy, parsePolicy } from '../../src/gate/policy.js';
import type { Verdict } from '../../src/gate/verdict.js';
import type { Agent, HostResult } from '../ports/agent.js';
import type { Clock } from '../ports/clock.js';
import type { P2P, PreheatProgress } from '../ports/p2p.js';
import type { ReleaseRecord, Store } from '../ports/store.js';
import { withTransition } from './machine.js';
import type { CommandGate } from '../safety/index.js';
import { mainCommand, toleratedHosts, type CommandSpec } from './order.js';
import { isTerminal, type BatchEvaluation, type Decision, type JournalEntry, type ReleaseSpec, type ReleaseState } from './state.js';

const MINUTE = 60_000;

/** Judges one batch and records the evaluation (`judgeQuery` bound to its store, source and cache). */
export type Judge = (query: GateQuery, policy: Record<string, unknown>) => Promise<{ id: string; verdict: Pick<Verdict, 'decision' | 'score' | 'reasons'> }>;

/**
 * The command-safety layer (whitelist, interception, limits, audit) the orchestrator sends its
 * commands through. Absent: the main command is sent to the agent as the program, unresolved.
 */
export type CommandGuard = Pick<CommandGate, 'run'>;

export interface RunnerOptions {
  /** How often (clock ms) a waiting release re-reads its record: paused, scheduled, preheating. */
  pollMs: number;
  /** Clock ms between retries of a failed agent, P2P or judge call. */
  retryDelayMs: number;
  /** How many times a throwing agent or judge call is retried before its failure counts. */
  callAttempts: number;
}

export interface RunnerDeps {
  store: Store;
  agent: Agent;
  p2p: P2P;
  clock: Clock;
  judge: Judge;
  log: (line: string) => void;
  safety?: CommandGuard;
  options: RunnerOptions;
}

type Mutation = (state: string, spec: ReleaseSpec) => { state: string; spec: ReleaseSpec } | null;
type CommandResult = NonNullable<JournalEntry['result']>;
/** A command's result received but not yet written. */
interface PendingResult {
  key: string;
  result: CommandResult;
}

const BY = 'orchestrator';
const hostReason = (r: HostResult): string => {
  const tail = r.stderr.trim().split('\n').at(-1)?.slice(0, 200) ?? '';
  return `${r.status}${r.exitCode !== null ? ` (exit ${r.exitCode})` : ''}${tail ? `: ${tail}` : ''}`;
};

/**
 * Writes `mutation(record)` with optimistic concurrency, re-reading and re-applying it when
 * someone else wrote first. Returns the written record, or the current one when the mutation
 * declined (returned null), or null when the release is gone.
 */
export async function mutateRelease(store: Store, id: string, now: () => number, mutation: Mutation): Promise<ReleaseRecord | null> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const record = await store.getRelease(id);
    if (!record) return null;
    const next = mutation(record.state, structuredClone(record.spec) as ReleaseSpec);
    if (!next) return record;
    const written = await store.updateRelease(id, record.version, next, now());
    if (written) return written;
  }
  throw new Error(`release ${id}: gave up writing after 100 concurrent updates`);
}

/** Drives release `id` until it is terminal, handed to a person (paused stays polled), or `signal` aborts. */
export class ReleaseRunner {
  /** Consecutive P2P errors (a restart starts counting again). */
  private p2pErrors = 0;

  constructor(
    private readonly id: string,
    private readonly deps: RunnerDeps,
    private readonly signal: AbortSignal,
  ) {}

  /** Runs steps until the release is terminal or the signal aborts (then resolves quietly). */
  async run(): Promise<void> {
    try {
      while (!this.signal.aborted) {
        const record = await this.deps.store.getRelease(this.id);
        if (!record || isTerminal(record.state)) return;
        const spec = record.spec as ReleaseSpec;
        if (spec.order?.driver !== 'sluice') return;
        await this.step(record.state, spec);
      }
    } catch (error) {
      if (this.signal.aborted) return;
      throw error;
    }
  }

  private now(): number {
    return this.deps.clock.now();
  }

  private sleep(ms: number): Promise<void> {
    return this.deps.clock.sleep(Math.max(0, ms), this.signal);
  }

  private mutate(mutation: Mutation): Promise<ReleaseRecord | null> {
    return mutateRelease(this.deps.store, this.id, () => this.now(), mutation);
  }

  /** Moves `from` (at batch `batch`) to `to`, unless the record moved on meanwhile. True when written. */
  private async advance(from: ReleaseState, batch: number | null, to: ReleaseState, reason: string, edit?: (spec: ReleaseSpec) => void): Promise<boolean> {
    let wrote = false;
    await this.mutate((state, spec) => {
      if (state !== from || spec.progress.currentBatch !== batch) return null;
      spec.progress = withTransition(spec.progress, from, to, reason, BY, this.now());
      edit?.(spec);
      wrote = true;
      return { state: to, spec };
    });
    if (wrote) this.deps.log(`release ${this.id}: ${from} → ${to} (${reason})`);
    return wrote;
  }

  private async step(state: string, spec: ReleaseSpec): Promise<void> {
    switch (state) {
      case 'planned': return this.planned(spec);
      case 'preheating': return this.preheating(spec);
      case 'deploying': return this.deploying(spec);
      case 'observing': return this.observing(spec);
      case 'rolling_back': return this.rollingBack(spec);
      default: return this.sleep(this.deps.options.pollMs); // paused: a person decides
    }
  }

  private async planned(spec: ReleaseSpec): Promise<void> {
    const wait = (spec.order.scheduledAt ?? 0) - this.now();
    if (wait > 0) return this.sleep(Math.min(wait, this.deps.options.pollMs));
    await this.advance('planned', null, 'preheating', spec.order.scheduledAt ? 'scheduled start' : 'start');
  }

  private async preheating(spec: ReleaseSpec): Promise<void> {
    const entries = spec.journal.commands.filter((c) => c.kind === 'preheat');
    const last = entries.at(-1);
    const hosts = spec.order.hosts.map((h) => h.name);
    let entry = last;
    if (!entry || entry.result) {
      const attempt = entries.length;
      entry = { key: `${this.id}:preheat${attempt ? `:r${attempt}` : ''}`, kind: 'preheat', batch: null, attempt, hosts, sentAt: this.now() };
      if (!(await this.recordIntent(entry, 'preheating', null))) return;
    }
    let progress: PreheatProgress;
    try {
      progress = await this.deps.p2p.preheat(entry.key, spec.order.artifact, entry.hosts);
      while (progress.state === 'pending' || progress.state === 'running') {
        await this.sleep(this.deps.options.pollMs);
        const current = await this.deps.store.getRelease(this.id);
        if (current?.state !== 'preheating') return; // a person paused or stopped it; the job is found again by key
        progress = await this.deps.p2p.progress(progress.jobId);
      }
      this.p2pErrors = 0;
    } catch (error) {
      if (this.signal.aborted) throw error;
      // The P2P system did not answer: ask again under the same key (it finds its job), and hand
      // the release to a person when it keeps failing.
      this.p2pErrors++;
      const message = `${this.deps.p2p.name} P2P failed ${this.p2pErrors} times in a row: ${(error as Error).message}`;
      this.deps.log(`release ${this.id}: ${message}`);
      if (this.p2pErrors < this.deps.options.callAttempts) return this.sleep(this.deps.options.retryDelayMs);
      this.p2pErrors = 0;
      await this.advance('preheating', null, 'paused', message, (s) => {
        s.journal.resume = { state: 'preheating', batch: null };
      });
      return;
    }
    const failed = Object.fromEntries(progress.failedHosts.map((h) => [h, progress.message ?? 'preheat failed']));
    if (progress.state === 'failed' && progress.failedHosts.length === 0) for (const h of entry.hosts) failed[h] = progress.message ?? 'preheat failed';
    const pending = { key: entry.key, result: { at: this.now(), ok: entry.hosts.filter((h) => !(h in failed)), failed } };
    const failedCount = Object.keys(failed).length;
    if (failedCount === 0) {
      await this.advanceWith(pending, 'preheating', null, 'deploying', `artifact preheated on ${entry.hosts.length} hosts`, (s) => this.startBatch(s, 1));
    } else {
      await this.advanceWith(pending, 'preheating', null, 'paused', `preheat failed on ${failedCount} of ${entry.hosts.length} hosts: ${progress.message ?? Object.keys(failed).slice(0, 5).join(', ')}`, (s) => {
        s.journal.resume = { state: 'preheating', batch: null };
      });
    }
  }

  private startBatch(spec: ReleaseSpec, batch: number): void {
    spec.progress.currentBatch = batch;
    spec.progress.batches[batch - 1].state = 'deploying';
  }

  /** Sends (or re-sends) the batch's deploy, retries failed hosts, then applies the failure policy. */
  private async deploying(spec: ReleaseSpec): Promise<void> {
    const k = spec.progress.currentBatch ?? 1;
    const batch = spec.progress.batches[k - 1];
    const done = await this.command(spec, 'deploy', 'deploying', k, batch.hosts, spec.order.commands.deploy, `${this.id}:b${k}:deploy`);
    if (!done) return;
    const { order } = spec;
    const failedNow = Object.keys(done.failed);
    const allFailed = [...new Set([...spec.progress.failedHosts, ...failedNow])];
    const tolerated = toleratedHosts(order.agentFailures, order.hosts.length);
    const setFailed = (s: ReleaseSpec) => {
      s.progress.failedHosts = allFailed;
    };
    // Hosts that failed in earlier batches were accepted when their batch went on (or a person
    // approved it); only a batch that adds failures beyond the tolerance stops the release.
    if (failedNow.length > 0 && allFailed.length > tolerated) {
      const reason = `${allFailed.length} hosts failed to deploy (${failedNow.slice(0, 5).map((h) => `${h}: ${done.failed[h]}`).join('; ')}); ${tolerated} tolerated`;
      if (order.agentFailures.onExceed === 'rollback') {
        await this.advanceWith(done.pending, 'deploying', k, 'rolling_back', reason, setFailed);
      } else {
        await this.advanceWith(done.pending, 'deploying', k, 'paused', reason, (s) => {
          setFailed(s);
          // Approving accepts the failed hosts; the batch is judged from its deploy time on.
          s.journal.resume = { state: 'observing', batch: k };
          this.startObserving(s, k);
        });
      }
      return;
    }
    await this.advanceWith(done.pending, 'deploying', k, 'observing', `batch ${k} deployed on ${batch.hosts.length - failedNow.length} of ${batch.hosts.length} hosts`, (s) => {
      setFailed(s);
      this.startObserving(s, k);
    });
  }

  private startObserving(spec: ReleaseSpec, k: number): void {
    const b = spec.progress.batches[k - 1];
    const at = this.now();
    b.state = 'observing';
    b.deployedAt = at;
    b.observedUntil = at + observedMinutes(spec, k) * MINUTE;
  }

  /**
   * One command with bounded retries for the hosts it failed on: attempt 0 under `baseKey`, retry n
   * under `baseKey:r<n>`. Returns the hosts still failed after the last attempt — with the last
   * result still to record when it was just received (the caller records it in the same write as
   * the transition it leads to) — or null when there is more to do or the release moved on.
   */
  private async command(spec: ReleaseSpec, kind: 'deploy' | 'rollback', state: ReleaseState, batch: number | null, hosts: string[], command: CommandSpec, baseKey: string): Promise<{ failed: Record<string, string>; pending: PendingResult | null } | null> {
    const entries = spec.journal.commands.filter((c) => c.kind === kind && c.batch === batch);
    const final = (entry: JournalEntry, result: CommandResult) => {
      const failed = Object.keys(result.failed);
      // A refusal by the safety layer would be refused again: no retry.
      const refused = failed.length > 0 && failed.every((h) => result.failed[h].startsWith('refused'));
      return failed.length === 0 || refused || entry.attempt >= spec.order.agentFailures.retries;
    };
    let entry = entries.at(-1);
    if (entry?.result) {
      if (final(entry, entry.result)) return { failed: entry.result.failed, pending: null };
      const failed = Object.keys(entry.result.failed);
      await this.sleep(this.deps.options.retryDelayMs);
      entry = { key: `${baseKey}:r${entries.length}`, kind, batch, attempt: entries.length, hosts: failed, sentAt: this.now() };
      if (!(await this.recordIntent(entry, state, batch))) return null;
    } else if (!entry) {
      entry = { key: baseKey, kind, batch, attempt: 0, hosts, sentAt: this.now() };
      if (!(await this.recordIntent(entry, state, batch))) return null;
    }
    const result = await this.send(entry, spec, command);
    if (final(entry, result)) return { failed: result.failed, pending: { key: entry.key, result } };
    await this.recordResult(entry.key, result);
    return null;
  }

  /**
   * `advance`, also recording a command's result in the same write; when the record moved on
   * (an operator acted meanwhile), the result is recorded on its own all the same.
   */
  private async advanceWith(pending: PendingResult | null, from: ReleaseState, batch: number | null, to: ReleaseState, reason: string, edit?: (spec: ReleaseSpec) => void): Promise<boolean> {
    const wrote = await this.advance(from, batch, to, reason, (s) => {
      if (pending) {
        const entry = s.journal.commands.find((c) => c.key === pending.key);
        if (entry && !entry.result) entry.result = pending.result;
      }
      edit?.(s);
    });
    if (!wrote && pending) await this.recordResult(pending.key, pending.result);
    return wrote;
  }

  /** Writes a command's intent while the release is still in `state` at `batch`; false when it moved on. */
  private async recordIntent(entry: JournalEntry, state: ReleaseState, batch: number | null): Promise<boolean> {
    let ok = false;
    await this.mutate((current, spec) => {
      if (current !== state || (state !== 'rolling_back' && spec.progress.currentBatch !== batch)) return null;
      ok = true;
      if (spec.journal.commands.some((c) => c.key === entry.key)) return null;
      spec.journal.commands.push(entry);
      return { state: current, spec };
    });
    return ok;
  }

  /** Records a command's result once, whatever state the release is in now (the hosts did run it). */
  private async recordResult(key: string, result: CommandResult): Promise<void> {
    await this.mutate((state, spec) => {
      const entry = spec.journal.commands.find((c) => c.key === key);
      if (!entry || entry.result) return null;
      entry.result = result;
      return { state, spec };
    });
  }

  /** Sends a journaled command (through the safety layer) and returns its per-host result (not yet recorded). */
  private async send(entry: JournalEntry, spec: ReleaseSpec, command: CommandSpec): Promise<CommandResult> {
    const main = mainCommand(command, spec.order, this.id);
    const request = { key: entry.key, hosts: entry.hosts, timeoutMs: spec.order.commands.timeoutSeconds * 1000 };
    let lastError = '';
    for (let attempt = 0; attempt < this.deps.options.callAttempts; attempt++) {
      try {
        let results: HostResult[];
        if (this.deps.safety) {
          const outcome = await this.deps.safety.run(null, main, request, this.signal);
          if (!outcome.allowed) {
            lastError = `refused (${outcome.code}): ${outcome.reason}`;
            this.deps.log(`release ${this.id}: ${entry.key} ${lastError}`);
            if (outcome.code === 'rate_limit') {
              await this.sleep(this.deps.options.retryDelayMs);
              continue;
            }
            break;
          }
          results = outcome.value;
        } else {
          results = await this.deps.agent.run({ ...request, argv: [main.command, ...main.args] }, this.signal);
        }
        const byHost = new Map(results.map((r) => [r.host, r]));
        const failed: Record<string, string> = {};
        const ok: string[] = [];
        for (const h of entry.hosts) {
          const r = byHost.get(h);
          if (r?.status === 'ok') ok.push(h);
          else failed[h] = r ? hostReason(r) : 'no result from the agent';
        }
        await this.confirmInterrupted(entry, spec, ok, failed);
        return { at: this.now(), ok, failed };
      } catch (error) {
        if (this.signal.aborted) throw error;
        lastError = `agent error: ${(error as Error).message}`;
        this.deps.log(`release ${this.id}: ${entry.key} failed (${lastError}); retrying under the same key`);
        await this.sleep(this.deps.options.retryDelayMs);
      }
    }
    return { at: this.now(), ok: [], failed: Object.fromEntries(entry.hosts.map((h) => [h, lastError])) };
  }

  /**
   * A run whose agent process died before recording its exit status comes back `failed` as
   * "interrupted": it ran once, outcome unknown. Rather than running it again under a retry key,
   * ask the hosts (ping) which version they hold; those holding the command's target version
   * count as done. Other failures stand.
   */
  private async confirmInterrupted(entry: JournalEntry, spec: ReleaseSpec, ok: string[], failed: Record<string, string>): Promise<void> {
    const unknown = Object.keys(failed).filter((h) => /interrupted/.test(failed[h]));
    const target = entry.kind === 'deploy' ? spec.order.version : entry.kind === 'rollback' ? spec.order.previousVersion : undefined;
    if (unknown.length === 0 || target === undefined) return;
    const pings = await this.deps.agent.ping(unknown, 10_000).catch(() => []);
    for (const p of pings) {
      if (p.alive && p.info?.deployedVersion === target && p.host in failed) {
        delete failed[p.host];
        ok.push(p.host);
        this.deps.log(`release ${this.id}: ${entry.key} on ${p.host} was interrupted; the host reports ${target}, so it counts as done`);
      }
    }
  }

  /** Judges batch k once a minute through its window; decides at FAIL or at the window's end. */
  private async observing(spec: ReleaseSpec): Promise<void> {
    const k = spec.progress.currentBatch ?? 1;
    const b = spec.progress.batches[k - 1];
    const deployedAt = b.deployedAt ?? this.now();
    const n = b.evaluations.length;
    const due = deployedAt + (n + 1) * MINUTE;
    const wait = due - this.now();
    if (wait > 0) return this.sleep(Math.min(wait, this.deps.options.pollMs));
    const { evaluation, reasons } = await this.evaluate(spec, k, deployedAt, due);
    const last = n + 1 >= observedMinutes(spec, k);
    const decision = evaluation.decision;
    // Before the window's end only a FAIL decides: an early INCONCLUSIVE is usually too few
    // minutes observed yet (the gate wants a few points), and the last evaluation still decides.
    if ((decision === 'PASS' || decision === 'INCONCLUSIVE') && !last) {
      await this.mutate((state, s) => (state === 'observing' && s.progress.currentBatch === k && s.progress.batches[k - 1].evaluations.length === n ? (s.progress.batches[k - 1].evaluations.push(evaluation), { state, spec: s }) : null));
      return;
    }
    const verdict = { decision, score: evaluation.score, evaluationId: evaluation.id, at: evaluation.at, reasons };
    const record = (s: ReleaseSpec, batchState: 'passed' | 'failed' | 'inconclusive') => {
      const target = s.progress.batches[k - 1];
      target.evaluations.push(evaluation);
      target.verdict = verdict;
      target.state = batchState;
    };
    const guard = (s: ReleaseSpec) => s.progress.batches[k - 1].evaluations.length === n;
    const summary = `batch ${k} ${decision} (score ${evaluation.score.toFixed(0)})${reasons.length ? `: ${reasons.slice(0, 3).join('; ')}` : ''}`;
    if (decision === 'FAIL') {
      await this.advanceIf(guard, 'observing', k, 'rolling_back', summary, (s) => record(s, 'failed'));
      return;
    }
    const total = spec.progress.batches.length;
    const next = k < total ? ({ state: 'deploying', batch: k + 1 } as const) : ({ state: 'succeeded', batch: null } as const);
    if (decision === 'INCONCLUSIVE') {
      await this.advanceIf(guard, 'observing', k, 'paused', summary, (s) => {
        record(s, 'inconclusive');
        s.journal.resume = next;
      });
      return;
    }
    if (next.state === 'succeeded') {
      await this.advanceIf(guard, 'observing', k, 'succeeded', `all ${total} batches passed`, (s) => record(s, 'passed'));
      return;
    }
    const pauses = spec.order.pause === 'after-every' || (spec.order.pause === 'after-first' && k === 1);
    if (pauses) {
      await this.advanceIf(guard, 'observing', k, 'paused', `${summary}; pause strategy ${spec.order.pause}: waiting for approval`, (s) => {
        record(s, 'passed');
        s.journal.resume = next;
      });
      return;
    }
    await this.advanceIf(guard, 'observing', k, 'deploying', summary, (s) => {
      record(s, 'passed');
      this.startBatch(s, k + 1);
    });
  }

  private async advanceIf(guard: (s: ReleaseSpec) => boolean, from: ReleaseState, batch: number, to: ReleaseState, reason: string, edit: (s: ReleaseSpec) => void): Promise<void> {
    let ok = true;
    await this.advance(from, batch, to, reason, (s) => {
      ok = guard(s);
      if (ok) edit(s);
    });
    if (!ok) this.deps.log(`release ${this.id}: evaluation of batch ${batch} raced with another writer; re-reading`);
  }

  /** One evaluation: the released hosts (batches 1..k, minus failed) against the rest. Never throws. */
  private async evaluate(spec: ReleaseSpec, k: number, deployedAt: number, until: number): Promise<{ evaluation: BatchEvaluation; reasons: string[] }> {
    const failed = new Set(spec.progress.failedHosts);
    const released = spec.progress.batches.slice(0, k).flatMap((b) => b.hosts).filter((h) => !failed.has(h));
    const unreleased = spec.progress.batches.slice(k).flatMap((b) => b.hosts);
    const at = this.now();
    const inconclusive = (reason: string) => ({ evaluation: { id: `none-${this.id}-b${k}-${spec.progress.batches[k - 1].evaluations.length + 1}`, decision: 'INCONCLUSIVE' as Decision, score: 0, at }, reasons: [reason] });
    if (spec.order.metrics.length === 0) return inconclusive('the release order lists no metrics to judge');
    if (released.length === 0) return inconclusive(`no host of batches 1..${k} was deployed`);
    const query: GateQuery = {
      app: spec.order.app,
      release: { id: this.id, version: spec.order.version, batch: k, deployedAt },
      step: MINUTE,
      historyFrom: deployedAt - spec.order.historyMinutes * MINUTE,
      until,
      hosts: { released, unreleased },
      metrics: spec.order.metrics,
      logs: [], // the judge reads the judged hosts' exception logs over history and window from its log source
    };
    let lastError = '';
    for (let attempt = 0; attempt < this.deps.options.callAttempts; attempt++) {
      try {
        const judged = await this.deps.judge(query, spec.order.policy ?? {});
        return { evaluation: { id: judged.id, decision: judged.verdict.decision, score: judged.verdict.score, at: this.now() }, reasons: judged.verdict.reasons };
      } catch (error) {
        if (this.signal.aborted) throw error;
        lastError = (error as Error).message;
        await this.sleep(this.deps.options.retryDelayMs);
      }
    }
    return inconclusive(`the gate could not judge the batch: ${lastError}`);
  }

  /** Rolls back every host a deploy was sent to (retrying failed hosts), then ends the release. */
  private async rollingBack(spec: ReleaseSpec): Promise<void> {
    const sent = new Set(spec.journal.commands.filter((c) => c.kind === 'deploy').flatMap((c) => c.hosts));
    const hosts = spec.order.hosts.map((h) => h.name).filter((h) => sent.has(h));
    const finish = (s: ReleaseSpec) => {
      for (const b of s.progress.batches) b.state = b.state === 'pending' ? 'skipped' : b.hosts.some((h) => sent.has(h)) ? 'rolled_back' : b.state;
    };
    if (hosts.length === 0) {
      await this.advance('rolling_back', spec.progress.currentBatch, 'rolled_back', 'no host had been deployed', finish);
      return;
    }
    const done = await this.command(spec, 'rollback', 'rolling_back', null, hosts, spec.order.commands.rollback, `${this.id}:rollback`);
    if (!done) return;
    const failed = Object.keys(done.failed);
    if (failed.length > 0) {
      await this.advanceWith(done.pending, 'rolling_back', spec.progress.currentBatch, 'failed', `${failed.length} of ${hosts.length} hosts could not be rolled back (${failed.slice(0, 5).map((h) => `${h}: ${done.failed[h]}`).join('; ')})`, (s) => {
        s.progress.failedHosts = [...new Set([...s.progress.failedHosts, ...failed])];
        finish(s);
      });
      return;
    }
    await this.advanceWith(done.pending, 'rolling_back', spec.progress.currentBatch, 'rolled_back', `rolled back ${hosts.length} hosts`, finish);
  }
}

/**
 * Minutes batch k is watched: the order's window, and for the last batch `silentPoints` more. The
 * gate calls a host silent only when the window's last `silentPoints` minutes hold no point from
 * it, so a host that crashes late in a window is not silent yet at that window's end. An earlier
 * batch's hosts are judged again by every later batch (the released hosts are cumulative), which
 * sees them silent; after the last batch nothing would, so it is watched until any host that
 * stopped inside its window has been quiet that long.
 */
export function observedMinutes(spec: Pick<ReleaseSpec, 'order' | 'progress'>, k: number): number {
  if (k < spec.progress.batches.length) return spec.order.observationMinutes;
  let silentPoints = defaultPolicy.minData.silentPoints;
  try {
    silentPoints = parsePolicy(spec.order.policy ?? {}).minData.silentPoints;
  } catch {
    // A policy the gate refuses makes every evaluation INCONCLUSIVE anyway; the default will do.
  }
  return spec.order.observationMinutes + silentPoints;
}
