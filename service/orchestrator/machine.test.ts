import { describe, expect, it } from 'vitest';
import { actionOutcome, actionStates, canTransition, transitions, withTransition } from './machine.js';
import { initialProgress, isTerminal, releaseActions, releaseStates } from './state.js';

describe('release state machine', () => {
  it('allows exactly the transitions of the table (every pair checked)', () => {
    const expected = new Set([
      'planned>preheating', 'planned>paused', 'planned>aborted',
      'preheating>deploying', 'preheating>paused', 'preheating>rolling_back', 'preheating>aborted',
      'deploying>observing', 'deploying>paused', 'deploying>rolling_back', 'deploying>aborted',
      'observing>deploying', 'observing>paused', 'observing>rolling_back', 'observing>succeeded', 'observing>aborted',
      'paused>planned', 'paused>preheating', 'paused>deploying', 'paused>observing', 'paused>succeeded', 'paused>rolling_back', 'paused>aborted',
      'rolling_back>rolled_back', 'rolling_back>failed',
    ]);
    for (const from of releaseStates) {
      for (const to of releaseStates) expect(canTransition(from, to), `${from} → ${to}`).toBe(expected.has(`${from}>${to}`));
    }
    expect(canTransition('nonsense', 'planned')).toBe(false);
  });

  it('terminal states have no way out and every other state can end', () => {
    for (const state of releaseStates) {
      expect(transitions[state].length === 0, state).toBe(isTerminal(state));
    }
    // From every state a terminal state is reachable.
    for (const start of releaseStates) {
      const seen = new Set<string>([start]);
      const queue: string[] = [start];
      while (queue.length) for (const next of transitions[queue.shift() as keyof typeof transitions]) if (!seen.has(next)) seen.add(next), queue.push(next);
      expect([...seen].some(isTerminal), start).toBe(true);
    }
  });

  it('allows each action only in its states, and says why not otherwise', () => {
    for (const state of releaseStates) {
      for (const action of releaseActions) {
        const outcome = actionOutcome(state, action, 2, { state: 'deploying', batch: 3 });
        const allowed = (actionStates[action] as readonly string[]).includes(state);
        expect(outcome.ok, `${action} in ${state}`).toBe(allowed);
        if (!outcome.ok) expect(outcome.reason).toContain(`is ${state}`);
        else expect(canTransition(state, outcome.to), `${action}: ${state} → ${outcome.to}`).toBe(true);
      }
    }
  });

  it('pause remembers where to resume; approve and resume return there', () => {
    expect(actionOutcome('observing', 'pause', 2, null)).toEqual({ ok: true, to: 'paused', resume: { state: 'observing', batch: 2 } });
    expect(actionOutcome('paused', 'approve', 2, { state: 'deploying', batch: 3 })).toEqual({ ok: true, to: 'deploying', resume: null });
    expect(actionOutcome('paused', 'resume', 2, { state: 'deploying', batch: 3 })).toEqual(actionOutcome('paused', 'approve', 2, { state: 'deploying', batch: 3 }));
    expect(actionOutcome('paused', 'rollback', 2, null)).toMatchObject({ ok: true, to: 'rolling_back' });
    expect(actionOutcome('rolling_back', 'abort', 2, null)).toMatchObject({ ok: false });
  });

  it('withTransition appends the transition, sets the pause reason, and refuses a forbidden one', () => {
    const p = initialProgress([['a'], ['b']]);
    const paused = withTransition(p, 'observing', 'paused', 'batch 1 INCONCLUSIVE', 'orchestrator', 5);
    expect(paused.transitions).toEqual([{ from: 'observing', to: 'paused', at: 5, reason: 'batch 1 INCONCLUSIVE', by: 'orchestrator' }]);
    expect(paused.pausedReason).toBe('batch 1 INCONCLUSIVE');
    expect(p.transitions).toEqual([]);
    expect(withTransition(paused, 'paused', 'deploying', 'approved', 'key-1', 6).pausedReason).toBeNull();
    expect(() => withTransition(p, 'succeeded', 'deploying', 'x', 'orchestrator', 1)).toThrow(/succeeded → deploying/);
  });
});
