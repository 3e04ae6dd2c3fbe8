/**
 * What replay runs over a dataset: a gate policy (partial; defaults fill the rest), or the
 * "risk-free" baseline of the seed's table that fails every batch.
 */
import { z } from 'zod';
import { parseConfig } from '../core/config.js';

export const replayConfigSchema = z.object({
  /** Name printed in tables. */
  name: z.string().min(1).default('gate'),
  /** A gate policy; see src/gate/policy.ts. */
  policy: z.record(z.string(), z.unknown()).default({}),
  /** Answer this for every case without judging (the seed's risk-free row is `FAIL`). */
  always: z.enum(['PASS', 'FAIL', 'INCONCLUSIVE']).optional(),
});
export type ReplayConfig = z.output<typeof replayConfigSchema>;

export function parseReplayConfig(input: unknown, where = 'replay config'): ReplayConfig {
  return parseConfig(replayConfigSchema, input, where);
}

/**
 * The configurations of the seed's precision/recall table, as replay configs: each comparison
 * detector alone, AUC and DTW together (both must agree), risk-free, a Holt-Winters band, and the
 * default gate.
 */
export function seedTableConfigs(period?: number): ReplayConfig[] {
  const only = (name: string, comparison: { name: string; config?: Record<string, unknown> }[], beforeAfter: { name: string; config?: Record<string, unknown> }[] = []) =>
    parseReplayConfig({
      name,
      policy: {
        views: {
          beforeAfter: { detectors: beforeAfter, withControl: 'discount' },
          comparison: comparison.length ? [{ detectors: comparison, combine: 'min' }] : [],
          perHost: { enabled: false },
          pooled: { enabled: false },
          logs: null,
        },
      },
    });
  return [
    only('AUC', [{ name: 'auc' }]),
    only('DTW', [{ name: 'dtw' }]),
    only('AUC+DTW', [{ name: 'auc' }, { name: 'dtw' }]),
    parseReplayConfig({ name: 'Risk-free', always: 'FAIL' }),
    only('Holt-Winters band', [], [{ name: 'holtWinters', config: period ? { period } : {} }]),
    parseReplayConfig({ name: 'Sluice gate' }),
  ];
}
