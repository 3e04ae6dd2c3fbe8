/**
 * The release state machine as data: which state may follow which, and what an operator's action
 * does in each state. Pure; the runner and the actions endpoint both go through here, so a
 * transition the table forbids cannot be written by either.
 */
import type { ReleaseAction, ReleaseProgress, ReleaseState, ResumePoint, Transition } from './state.js';

/** Allowed next states for each state (terminal states have none). */
export const transitions: Readonly<Record<ReleaseState, readonly ReleaseState[]>> = {
  planned: ['preheating', 'paused', 'aborted'],
  preheating: ['deploying', 'paused', 'rolling_back', 'aborted'],
  deploying: ['observing', 'paused', 'rolling_back', 'aborted'],
  observing: ['deploying', 'paused', 'rolling_back', 'succeeded', 'aborted'],
  paused: ['planned', 'preheating', 'deploying', 'observing', 'succeeded', 'rolling_back', 'aborted'],
  rolling_back: ['rolled_back', 'failed'],
  rolled_back: [],
  succeeded: [],
  failed: [],
  aborted: [],
};

/** True when the table allows `from → to`. */
export function canTransition(from: string, to: string): boolean {
  return (transitions as Record<string, readonly string[] | undefined>)[from]?.includes(to as ReleaseState) ?? false;
}

/** States each operator action is allowed in. */
export const actionStates: Readonly<Record<ReleaseAction, readonly ReleaseState[]>> = {
  approve: ['paused'],
  resume: ['paused'],
  pause: ['planned', 'preheating', 'deploying', 'observing'],
  abort: ['planned', 'preheating', 'deploying', 'observing', 'paused'],
  rollback: ['preheating', 'deploying', 'observing', 'paused'],
};

export type ActionOutcome =
  | { ok: true; to: ReleaseState; resume: ResumePoint | null }
  | { ok: false; reason: string };

/**
 * What `action` does to a release in `state`: the next state (and, for pause, where a resume
 * returns to), or why it is not allowed. `resume` is the stored resume point of a paused release.
 */
export function actionOutcome(state: string, action: ReleaseAction, currentBatch: number | null, resume: ResumePoint | null): ActionOutcome {
  if (!(actionStates[action] as readonly string[]).includes(state)) {
    return { ok: false, reason: `cannot ${action} a release that is ${state}; ${action} is allowed when ${actionStates[action].join(', ')}` };
  }
  switch (action) {
    case 'approve':
    case 'resume':
      return { ok: true, to: resume?.state ?? 'planned', resume: null };
    case 'pause':
      return { ok: true, to: 'paused', resume: { state: state as ResumePoint['state'], batch: currentBatch } };
    case 'abort':
      return { ok: true, to: 'aborted', resume: null };
    case 'rollback':
      return { ok: true, to: 'rolling_back', resume: null };
  }
}

/**
 * Records `from → to` in the progress (a new object; the input is not changed). Throws when the
 * table forbids the transition: a bug, never an operator's mistake (actions are checked first).
 */
export function withTransition(progress: ReleaseProgress, from: string, to: ReleaseState, reason: string, by: string, at: number): ReleaseProgress {
  if (!canTransition(from, to)) throw new Error(`release state machine: ${from} → ${to} is not allowed`);
  const transition: Transition = { from, to, at, reason, by };
  return {
    ...progress,
    pausedReason: to === 'paused' ? reason : null,
    transitions: [...progress.transitions, transition],
  };
}
