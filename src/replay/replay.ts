/**
 * Replay: judge recorded cases again with a configuration and measure it against their labels.
 * Deterministic: outcomes come back in case order whatever the number of workers.
 */
import type { ParsedCase } from '../datasets/case.js';
import { evaluate } from '../gate/evaluate.js';
import type { Verdict } from '../gate/verdict.js';
import type { ReplayConfig } from './config.js';
import type { CaseOutcome } from './metrics.js';

const categoriesOf = (c: ParsedCase): string[] => {
  const names = new Set(c.label?.metrics ?? []);
  const out = c.metrics.filter((m) => names.has(m.name)).map((m) => m.category as string);
  if (names.has('logs')) out.push('application');
  return out;
};

/** The outcome of one case under one configuration (and the verdict, when the gate ran). */
export function replayCase(c: ParsedCase, config: ReplayConfig, split?: 'train' | 'test'): { outcome: CaseOutcome; verdict: Verdict | null } {
  const base = { id: c.id, bad: c.label?.bad, kind: c.label?.kind, categories: categoriesOf(c), split };
  if (config.always) {
    return { outcome: { ...base, decision: config.always, score: config.always === 'PASS' ? 0 : 100, forced: config.always !== 'PASS', reasons: [`always ${config.always}`] }, verdict: null };
  }
  const verdict = evaluate(c, config.policy);
  return {
    outcome: { ...base, decision: verdict.decision, score: verdict.score, forced: verdict.decision === 'INCONCLUSIVE' && verdict.basis !== 'score', reasons: verdict.reasons.slice(0, 3) },
    verdict,
  };
}
