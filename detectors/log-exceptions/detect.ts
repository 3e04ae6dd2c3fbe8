/**
 * Log exceptions: did the release bring exception signatures that are new, or old ones that
 * surged? Reads the case format's log events split at `deployedAt`.
 *
 * - New: a signature never seen before `deployedAt` on any host (released or not) that the
 *   released hosts logged after it. Fatal classes (NoClassDefFoundError, OutOfMemoryError, …)
 *   weigh `fatalWeight` times more.
 * - Surging: a signature seen before whose rate per host-minute on the released hosts after the
 *   release exceeds both their own rate before it (by more than `driftRatio`) and the unreleased
 *   hosts' rate over the same minutes, by the exact conditional binomial test of two Poisson rates (R's `poisson.test`).
 *   Requiring both (an intersection–union test) keeps fleet-wide events from blaming the release.
 */
import { z } from 'zod';
import { poissonRateTest } from '../../src/core/binomial.js';
import { clampScore, saturatingScore } from '../../src/core/score.js';
import { endOf } from '../../src/core/series.js';
import { insufficientData, type DetectorInput, type DetectorModule, type DetectorResult } from '../../src/core/detector.js';

export const defaultFatalClasses = [
  'NoClassDefFoundError',
  'ClassNotFoundException',
  'NoSuchMethodError',
  'NoSuchFieldError',
  'AbstractMethodError',
  'IncompatibleClassChangeError',
  'ExceptionInInitializerError',
  'UnsatisfiedLinkError',
  'NullPointerException',
  'OutOfMemoryError',
  'StackOverflowError',
];

export const logExceptionsConfig = z.object({
  /** Exception classes, simple or fully qualified, whose new appearance weighs most. */
  fatalClasses: z.array(z.string().min(1)).default(defaultFatalClasses),
  /** How many times a fatal event counts compared with an ordinary one. */
  fatalWeight: z.number().positive().default(10),
  /** Weighted count of a new signature that scores 50 (score = 100·w/(w + newHalfCount)). */
  newHalfCount: z.number().positive().default(3),
  /** Surge p-value that scores 50; its square scores 100 (score = 50·log p / log alpha). */
  alpha: z.number().gt(0).lt(1).default(0.001),
  /** A surge must also multiply the rate at least this much (against before and against control). */
  minRateRatio: z.number().min(1).default(2),
  /**
   * Rate ratio the surge test against the released hosts' own past must beat (R's `poisson.test`
   * `r`). Their past is hours earlier and exception rates follow traffic through the day: over two
   * hours of a daily ±60 % swing the rate drifts by a fifth or more, which a test of ratio 1 reads
   * as a surge once enough minutes are judged. The unreleased hosts share the same minutes, so
   * the test against them keeps ratio 1.
   */
  driftRatio: z.number().min(1).default(1.5),
  /** Fewest events on released hosts after the release for a surge. */
  minSurgeCount: z.number().int().min(1).default(5),
  /**
   * How far before `deployedAt` the logs reach, ms. Unset: from the earliest event before the
   * release, or the start of `history` when there is none.
   */
  beforeMs: z.number().int().positive().optional(),
  /** How many signatures the evidence lists. */
  evidenceSignatures: z.number().int().min(1).max(50).default(5),
});

export type LogExceptionsConfig = z.output<typeof logExceptionsConfig>;

const identity = { name: 'logExceptions', version: '1.2.0' };
const MINUTE = 60_000;
const MAX_EVENT_COUNT = 1e12;

/** The exception class of a signature `class at frame`. */
export function signatureClass(signature: string): string {
  const at = signature.indexOf(' at ');
  return at >= 0 ? signature.slice(0, at) : signature;
}

/** True when `cls` (fully qualified) is one of `fatalClasses` (simple or fully qualified names). */
export function isFatal(cls: string, fatalClasses: readonly string[]): boolean {
  const simple = cls.slice(cls.lastIndexOf('.') + 1);
  return fatalClasses.some((f) => f === cls || f === simple);
}

/** Per-signature finding, before it is flattened into evidence. */
export interface SignatureFinding {
  signature: string;
  kind: 'new' | 'surge' | 'steady';
  fatal: boolean;
  score: number;
  beforeTreated: number;
  afterTreated: number;
  beforeControl: number;
  afterControl: number;
  /** p-value of the surge against the released hosts' own past (`null` when untestable). */
  pBefore: number | null;
  /** p-value of the surge against the unreleased hosts (`null` without control hosts). */
  pControl: number | null;
  /** Smaller of the two rate ratios (after/before, treated/control). */
  rateRatio: number | null;
  perHost: Map<string, number>;
}

interface Tally {
  beforeTreated: number;
  afterTreated: number;
  beforeControl: number;
  afterControl: number;
  perHost: Map<string, number>;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/**
 * Judges every signature and returns the findings, worst first. Exposure is host-minutes:
 * before = released hosts × minutes of log coverage before `deployedAt` (`beforeMs`, else from
 * the earliest event, else from the start of history); after = hosts × minutes from `deployedAt`
 * to the end of `treated` (or the last event). O(e + s log s) for e events and s signatures.
 */
export function judgeSignatures(input: DetectorInput, config: LogExceptionsConfig): { findings: SignatureFinding[]; beforeMinutes: number; afterMinutes: number } | { reason: string } {
  const logs = input.logs;
  if (!logs) return { reason: 'logExceptions needs logs' };
  const treatedHosts = new Set(logs.treatedHosts);
  const controlHosts = new Set(logs.controlHosts.filter((h) => !treatedHosts.has(h)));
  if (treatedHosts.size === 0) return { reason: 'logExceptions needs at least one released host' };
  const deployedAt = logs.deployedAt;
  let firstSeen = Infinity;
  let lastSeen = endOf(input.treated);
  const tallies = new Map<string, Tally>();
  const earliest = config.beforeMs !== undefined ? deployedAt - config.beforeMs : -Infinity;
  for (const e of logs.events) {
    if (!Number.isFinite(e.t) || !(e.count > 0) || !Number.isFinite(e.count) || e.t < earliest) continue;
    const treated = treatedHosts.has(e.host);
    if (!treated && !controlHosts.has(e.host)) continue;
    let tally = tallies.get(e.signature);
    if (!tally) {
      tally = { beforeTreated: 0, afterTreated: 0, beforeControl: 0, afterControl: 0, perHost: new Map() };
      tallies.set(e.signature, tally);
    }
    // A count past 1e12 in one bucket is a corrupt record; capping keeps the arithmetic exact.
    const count = Math.min(Math.round(e.count), MAX_EVENT_COUNT);
    if (e.t < deployedAt) {
      firstSeen = Math.min(firstSeen, e.t);
      if (treated) tally.beforeTreated += count;
      else tally.beforeControl += count;
    } else {
      lastSeen = Math.max(lastSeen, e.t + MINUTE);
      if (treated) {
        tally.afterTreated += count;
        tally.perHost.set(e.host, (tally.perHost.get(e.host) ?? 0) + count);
      } else tally.afterControl += count;
    }
  }
  // Log coverage before the release: configured, else from the earliest event (logs are often kept
  // for hours while metric history spans days), else the metric history when no event came before.
  const coverageStart = config.beforeMs !== undefined ? deployedAt - config.beforeMs : Number.isFinite(firstSeen) ? firstSeen : (input.history?.start ?? Infinity);
  const beforeMinutes = Number.isFinite(coverageStart) ? Math.max(0, (deployedAt - coverageStart) / MINUTE) : 0;
  const afterMinutes = Math.max(0, (lastSeen - deployedAt) / MINUTE);
  if (afterMinutes <= 0) return { reason: 'logExceptions: no observation time after deployedAt' };
  if (beforeMinutes <= 0) return { reason: 'logExceptions: no log coverage before deployedAt (no history and no earlier events), so nothing can be called new' };
  const exposureBefore = treatedHosts.size * beforeMinutes;
  const exposureAfter = treatedHosts.size * afterMinutes;
  const exposureControl = controlHosts.size * afterMinutes;
  const logAlpha = Math.log(config.alpha);
  const surgeScore = (p: number) => clampScore((50 * Math.log(Math.max(p, 1e-300))) / logAlpha);
  const findings: SignatureFinding[] = [];
  for (const [signature, tally] of tallies) {
    if (tally.afterTreated === 0) continue;
    const fatal = isFatal(signatureClass(signature), config.fatalClasses);
    const isNew = tally.beforeTreated === 0 && tally.beforeControl === 0;
    let pBefore: number | null = null;
    let pControl: number | null = null;
    let ratioBefore = Infinity;
    let ratioControl = Infinity;
    if (!isNew) {
      const test = poissonRateTest(tally.afterTreated, exposureAfter, tally.beforeTreated, exposureBefore, 'greater', config.driftRatio);
      pBefore = test.pValue;
      ratioBefore = test.rateRatio;
    }
    if (controlHosts.size > 0) {
      const test = poissonRateTest(tally.afterTreated, exposureAfter, tally.afterControl, exposureControl, 'greater');
      pControl = test.pValue;
      ratioControl = test.rateRatio;
    }
    const ratio = Math.min(ratioBefore, ratioControl);
    const controlScore = pControl === null ? 100 : surgeScore(pControl);
    let score: number;
    let kind: SignatureFinding['kind'];
    if (isNew) {
      kind = 'new';
      score = saturatingScore((fatal ? config.fatalWeight : 1) * tally.afterTreated, config.newHalfCount);
      // New on the unreleased hosts as well: an outside event, unless the released hosts log it far more.
      if (tally.afterControl > 0) score = Math.min(score, ratioControl >= config.minRateRatio ? controlScore : Math.min(controlScore, 49));
    } else {
      score = Math.min(surgeScore(pBefore ?? 1), controlScore);
      const bigEnough = ratio >= config.minRateRatio && tally.afterTreated >= config.minSurgeCount;
      if (!bigEnough) score = Math.min(score, 49);
      kind = score >= 50 ? 'surge' : 'steady';
    }
    findings.push({
      signature,
      kind,
      fatal,
      score,
      beforeTreated: tally.beforeTreated,
      afterTreated: tally.afterTreated,
      beforeControl: tally.beforeControl,
      afterControl: tally.afterControl,
      pBefore,
      pControl,
      rateRatio: Number.isFinite(ratio) ? ratio : null,
      perHost: tally.perHost,
    });
  }
  findings.sort((a, b) => b.score - a.score || b.afterTreated - a.afterTreated || (a.signature < b.signature ? -1 : 1));
  return { findings, beforeMinutes, afterMinutes };
}

/**
 * The log-exception verdict: score = the worst signature's score (0–100), anomalous at ≥ 50,
 * direction `up` when anomalous (more exceptions is the only bad change). Evidence names the
 * worst signature, its counts per released host (`host.<name>`), and lists the top signatures.
 */
export function logExceptions(input: DetectorInput, config: LogExceptionsConfig): DetectorResult {
  const judged = judgeSignatures(input, config);
  if ('reason' in judged) return insufficientData(identity, judged.reason);
  const { findings, beforeMinutes, afterMinutes } = judged;
  const worst = findings[0];
  const evidence: DetectorResult['evidence'] = {
    beforeMinutes,
    afterMinutes,
    treatedHosts: input.logs?.treatedHosts.length ?? 0,
    controlHosts: input.logs?.controlHosts.length ?? 0,
    signaturesAfter: findings.length,
    newSignatures: findings.filter((f) => f.kind === 'new').length,
    fatalNewSignatures: findings.filter((f) => f.kind === 'new' && f.fatal).length,
    surgingSignatures: findings.filter((f) => f.kind === 'surge').length,
  };
  if (worst) {
    Object.assign(evidence, {
      signature: worst.signature,
      kind: worst.kind,
      fatal: worst.fatal,
      afterTreated: worst.afterTreated,
      beforeTreated: worst.beforeTreated,
      afterControl: worst.afterControl,
      beforeControl: worst.beforeControl,
      pBefore: worst.pBefore === null ? null : finiteOrNull(worst.pBefore),
      pControl: worst.pControl === null ? null : finiteOrNull(worst.pControl),
      rateRatio: worst.rateRatio === null ? null : finiteOrNull(worst.rateRatio),
    });
    for (const [host, count] of [...worst.perHost].sort((a, b) => b[1] - a[1])) evidence[`host.${host}`] = count;
    evidence.topSignatures = findings
      .slice(0, config.evidenceSignatures)
      .map((f) => `${f.kind}${f.fatal ? ' fatal' : ''} ${f.score.toFixed(1)} ×${f.afterTreated}: ${f.signature}`)
      .join(' | ');
  }
  const score = worst ? worst.score : 0;
  const anomalous = score >= 50;
  return { detector: identity.name, version: identity.version, status: 'ok', score, anomalous, direction: anomalous ? 'up' : 'none', evidence };
}

export const logExceptionsDetector: DetectorModule<typeof logExceptionsConfig> = {
  ...identity,
  description: 'Did the released hosts log exception signatures that are new since the release, or old ones at a surging rate?',
  configSchema: logExceptionsConfig,
  capabilities: { minTreatedPoints: 1, needsHistory: false, needsControl: false, needsLogs: true, seasonal: false },
  detect: logExceptions,
};
