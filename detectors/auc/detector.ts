/**
 * The AUC comparison detector: by how much, relative to the control's own level, does the
 * area under the released hosts' curve differ from the unreleased hosts' over the same minutes
 * (or, with no control, from the same-length tail of the treated history: before vs after)?
 *
 * Calibration (so that a score can be checked by hand):
 *
 *   relative change  r = ∫ (treated − reference) dt / max(∫ |reference| dt, minScale · covered time)
 *   score            = 100 · |r| / (|r| + halfScore)       (src/core/score.ts saturatingScore)
 *
 * Difference in differences: when `history` and `controlHistory` are both given with a control,
 * the same relative gap is measured over the history (the last `baselinePoints` minutes) and
 * subtracted, r = r_window − r_before, so hosts that always ran 5 % hotter than the control do
 * not read as a 5 % regression.
 *
 * r is signed: +0.1 means the treated curve enclosed 10 % more area than the reference. With the
 * default `halfScore` 0.1 a 10 % change scores 50, 30 % scores 75, 90 % scores 90. A change in
 * the harmless direction scores 0. Areas use the trapezoidal rule over minutes where both
 * curves have a value, bridging gaps of up to `maxGap` minutes (see `areaBetween`).
 *
 * Cost: O(n) time, O(1) extra memory.
 */
import { z } from 'zod';
import { alignTo, comparisonPair } from '../../src/core/compare.js';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult } from '../../src/core/detector.js';
import { clampScore, saturatingScore } from '../../src/core/score.js';
import { slice, toJsonValues } from '../../src/core/series.js';
import { areaBetween } from './auc.js';

export const aucConfigSchema = z.object({
  /** Relative change |r| that scores 50. */
  halfScore: z.number().positive().default(0.1),
  /** Score at or above which the result is anomalous. */
  anomalousAbove: z.number().min(0).max(100).default(50),
  /** Longest run of missing minutes bridged by a straight line; longer gaps are left out. */
  maxGap: z.number().int().min(0).default(5),
  /** Floor of the reference's mean absolute level, in the metric's units (keeps r finite near zero). */
  minScale: z.number().min(0).default(0),
  /** Fewest minutes where both curves have a value. */
  minPoints: z.number().int().min(2).default(5),
  /** Minutes of history (treated vs control) whose relative gap is subtracted; 0 turns difference in differences off. */
  baselinePoints: z.number().int().min(0).default(60),
});

export type AucConfig = z.output<typeof aucConfigSchema>;

const identity = { name: 'auc', version: '1.0.0' } as const;

function relativeChange(signed: number, scale: number): number {
  if (signed === 0) return 0;
  if (scale > 0) return signed / scale;
  return signed > 0 ? Infinity : -Infinity;
}

/**
 * The relative gap treated − control over the history's last `baselinePoints` minutes, or
 * `null` when there is no usable baseline (then the window is judged on its own).
 */
function baselineGap(input: DetectorInput, config: AucConfig): number | null {
  const history = input.history;
  const controlHistory = input.controlHistory;
  if (config.baselinePoints === 0 || !history || !controlHistory) return null;
  const from = Math.max(0, history.values.length - config.baselinePoints);
  const treatedBefore = slice(history, from);
  const controlBefore = alignTo(controlHistory, treatedBefore);
  const area = areaBetween(treatedBefore.values, controlBefore, { step: history.step, maxGap: config.maxGap });
  if (area.points < config.minPoints || area.covered === 0) return null;
  const gap = relativeChange(area.signed, Math.max(area.reference, config.minScale * area.covered));
  return Number.isFinite(gap) ? gap : null;
}

/** Runs the area comparison on one metric; see the module comment for the calibration. */
export function aucDetect(input: DetectorInput, config: AucConfig): DetectorResult {
  const chosen = comparisonPair(input);
  if (!chosen.ok) return insufficientData(identity, chosen.error.message);
  const pair = chosen.value;
  const area = areaBetween(pair.treated, pair.reference, { step: pair.step, maxGap: config.maxGap });
  if (area.points < config.minPoints || area.covered === 0) {
    return insufficientData(identity, `auc requires at least ${config.minPoints} minutes where both curves have a value, got ${area.points}`, { points: area.points, mode: pair.mode });
  }
  const scale = Math.max(area.reference, config.minScale * area.covered);
  const windowRelative = relativeChange(area.signed, scale);
  const before = pair.mode === 'released_vs_unreleased' ? baselineGap(input, config) : null;
  const relative = before === null ? windowRelative : windowRelative - before;
  const observed: DetectorResult['direction'] = relative > 0 ? 'up' : relative < 0 ? 'down' : 'none';
  const wanted = input.direction ?? 'both';
  const harmless = (wanted === 'up' && observed === 'down') || (wanted === 'down' && observed === 'up');
  const magnitude = Math.abs(relative);
  const score = harmless ? 0 : magnitude === Infinity ? 100 : clampScore(saturatingScore(magnitude, config.halfScore));
  return {
    detector: identity.name,
    version: identity.version,
    status: 'ok',
    score,
    anomalous: score > 0 && score >= config.anomalousAbove,
    direction: observed,
    evidence: {
      mode: pair.mode,
      points: area.points,
      coveredMs: area.covered,
      signedArea: area.signed,
      absoluteArea: area.absolute,
      referenceArea: area.reference,
      relativeChange: Number.isFinite(relative) ? relative : null,
      windowRelativeChange: Number.isFinite(windowRelative) ? windowRelative : null,
      baselineRelativeGap: before,
      relativeAbsoluteChange: scale > 0 ? area.absolute / scale : null,
      harmlessDirection: harmless,
    },
    plot: [
      { name: 'treated', start: pair.start, step: pair.step, values: toJsonValues(pair.treated), role: 'observed' },
      { name: pair.mode === 'released_vs_unreleased' ? 'control' : 'history', start: pair.start, step: pair.step, values: toJsonValues(pair.reference), role: 'control' },
    ],
  };
}

/** Registry entry: released vs unreleased (or before vs after) relative area between curves. */
export const aucDetector: DetectorModule<typeof aucConfigSchema> = {
  name: identity.name,
  version: identity.version,
  description: 'Relative change of the area under the released hosts\u2019 curve against the unreleased hosts\u2019 (or their own history), signed by direction.',
  configSchema: aucConfigSchema,
  capabilities: { minTreatedPoints: 5, needsHistory: false, needsControl: true, needsLogs: false, seasonal: false },
  detect: aucDetect,
};
