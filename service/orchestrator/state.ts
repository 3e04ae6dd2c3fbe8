/**
 * The release's durable state as the orchestrator writes it and the API, web UI and CLI read it.
 * A release record's `spec` is `{ order, progress, journal }`: the order as submitted (defaults
 * filled in), the progress shown to people (`GET /v1/releases/:id`), and the journal of commands
 * the orchestrator sent (intent before, result after), which is what makes a restart safe.
 * All times are epoch milliseconds.
 */

export const releaseStates = ['planned', 'preheating', 'deploying', 'observing', 'paused', 'rolling_back', 'rolled_back', 'succeeded', 'failed', 'aborted'] as const;
export type ReleaseState = (typeof releaseStates)[number];

export const terminalStates: ReadonlySet<string> = new Set<ReleaseState>(['succeeded', 'failed', 'aborted', 'rolled_back']);

/** True for states a release never leaves. */
export const isTerminal = (state: string): boolean => terminalStates.has(state);

export const batchStates = ['pending', 'deploying', 'observing', 'passed', 'failed', 'inconclusive', 'rolled_back', 'skipped'] as const;
export type BatchState = (typeof batchStates)[number];

export type Decision = 'PASS' | 'FAIL' | 'INCONCLUSIVE';

/** One per-minute evaluation of a batch; `id` names the stored evaluation (its report page). */
export interface BatchEvaluation {
  id: string;
  decision: Decision;
  score: number;
  at: number;
}

/** The batch's final verdict: the evaluation that decided it. */
export interface BatchVerdict {
  decision: Decision;
  score: number;
  evaluationId: string;
  at: number;
  reasons: string[];
}

export interface BatchProgress {
  /** 1-based. */
  batch: number;
  hosts: string[];
  state: BatchState;
  /** When the batch's deploy finished (retries included); observation starts here. */
  deployedAt?: number;
  /** End of the observation window. */
  observedUntil?: number;
  evaluations: BatchEvaluation[];
  verdict?: BatchVerdict;
}

export interface Transition {
  from: string;
  to: string;
  at: number;
  reason: string;
  /** `orchestrator`, or the API key id of the person who acted. */
  by: string;
}

export interface ReleaseProgress {
  /** The batch being deployed or observed (or last touched); null before batch 1. */
  currentBatch: number | null;
  pausedReason: string | null;
  batches: BatchProgress[];
  transitions: Transition[];
  /** Hosts the agent could not deploy (or roll back) after its retries. */
  failedHosts: string[];
}

/** Where a paused release continues when a person approves or resumes it. */
export interface ResumePoint {
  state: 'planned' | 'preheating' | 'deploying' | 'observing' | 'succeeded';
  batch: number | null;
}

/** One command sent to hosts: written before sending (intent) and after (result). */
export interface JournalEntry {
  key: string;
  kind: 'preheat' | 'deploy' | 'rollback';
  batch: number | null;
  /** Retry number: 0 for the first send. */
  attempt: number;
  hosts: string[];
  sentAt: number;
  /** Absent until the result is recorded: a restart re-sends under the same key. */
  result?: { at: number; ok: string[]; failed: Record<string, string> };
}

export interface ReleaseJournal {
  commands: JournalEntry[];
  /** Set while paused. */
  resume: ResumePoint | null;
}

export const releaseActions = ['approve', 'resume', 'pause', 'abort', 'rollback'] as const;
export type ReleaseAction = (typeof releaseActions)[number];

/** An empty progress for a planned release of the given batches. */
export function initialProgress(batches: string[][]): ReleaseProgress {
  return {
    currentBatch: null,
    pausedReason: null,
    batches: batches.map((hosts, i) => ({ batch: i + 1, hosts, state: 'pending', evaluations: [] })),
    transitions: [],
    failedHosts: [],
  };
}

/** What a sluice-driven release record holds in `spec`. */
export interface ReleaseSpec {
  order: import('./order.js').ReleaseOrder;
  progress: ReleaseProgress;
  journal: ReleaseJournal;
}
