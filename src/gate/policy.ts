/**
 * The gate policy: everything that turns detector scores into a batch decision, as data with
 * defaults that work without tuning. Parse with `parsePolicy` (zod; errors name the field).
 */
import { z } from 'zod';
import { parseConfig } from '../core/config.js';
import { metricCategories } from '../datasets/case.js';

const detectorRef = z.object({
  /** Registry name of the detector. */
  name: z.string().min(1),
  /** Its configuration (validated by the detector's own schema). */
  config: z.record(z.string(), z.unknown()).default({}),
});
export type DetectorRef = z.output<typeof detectorRef>;

const aggregations = ['mean', 'sum', 'max', 'p95', 'median'] as const;
export type HostAggregation = (typeof aggregations)[number];

export const policySchema = z.object({
  /** When several views of one metric agree, the metric scores higher than its best view (see `fuse`). */
  agreement: z.object({
    /** Views scoring at or below this add nothing. */
    floor: z.number().min(0).max(99).default(25),
    /** How much an agreeing view closes the gap to 100 (0: the best view alone decides). */
    weight: z.number().min(0).max(1).default(0.5),
  }).prefault({}),
  /**
   * Released hosts without a past of their own (new with the release) are compared with the
   * unreleased hosts only as far as they stand apart from the spread of the unreleased hosts'
   * levels: band in standard errors of that spread (see hostsApart in src/gate/evaluate.ts). 0
   * turns this off, for groups that are not hosts (Kayenta's canary and baseline series).
   */
  newHostsBand: z.number().min(0).default(2),
  /** Scores at or above this fail the batch (0–100). */
  failThreshold: z.number().min(0).max(100).default(60),
  /**
   * Scores at or above this (and below `failThreshold`) pause for a person (INCONCLUSIVE). Equal to
   * `failThreshold` by default: a pause costs a person's time, so only missing data pauses.
   */
  inconclusiveThreshold: z.number().min(0).max(100).default(60),
  /** A metric is anomalous when its score reaches this (0–100). */
  metricThreshold: z.number().min(0).max(100).default(50),
  /** Multiplies every metric score before thresholds: above 1 flags more, below 1 flags less. */
  sensitivity: z.number().min(0.1).max(10).default(1),
  /** Weight per metric category; a weighted score is capped at 100. */
  weights: z.object(Object.fromEntries(metricCategories.map((c) => [c, z.number().min(0).max(10).default(1)])) as Record<(typeof metricCategories)[number], z.ZodDefault<z.ZodNumber>>).default(Object.fromEntries(metricCategories.map((c) => [c, 1])) as Record<(typeof metricCategories)[number], number>),
  /** Metric names (besides those the case marks critical) that fail the batch on their own. */
  critical: z.array(z.string()).default([]),
  /** Weight of the log view (new fatal exceptions, surging old ones) as a pseudo-metric of the application category. */
  logsWeight: z.number().min(0).max(10).default(1),
  /** Minimum data for a decision. */
  minData: z.object({
    /** Fewest present points of the released aggregate in the observation window. */
    observedPoints: z.number().int().min(1).default(3),
    /** Smallest present fraction of the released aggregate in the window. */
    presentFraction: z.number().min(0).max(1).default(0.5),
    /** Fewest present history points for the before/after view. */
    historyPoints: z.number().int().min(2).default(30),
    /** More than this fraction of metrics without data → INCONCLUSIVE. */
    maxInsufficientFraction: z.number().min(0).max(1).default(0.34),
    /**
     * A host that reported a metric before the release (at least `reportedFraction` of the
     * `alignmentPoints` before it) and has no point in the window's last `silentPoints` has stopped
     * reporting it. Fewer points would call every late scrape a silence.
     */
    silentPoints: z.number().int().min(1).default(3),
    reportedFraction: z.number().min(0).max(1).default(0.8),
    /**
     * A metric whose released hosts stopped reporting it in a larger share than the unreleased
     * hosts did, by more than this, makes a batch that would pass INCONCLUSIVE (a crashed host
     * reports nothing, and nothing is not a PASS). 0: one released host beyond the unreleased hosts' share.
     */
    maxSilentShare: z.number().min(0).max(1).default(0),
    /**
     * A host whose window ends with this many points of one value (and at least twice its longest
     * such run in the `alignmentPoints` before the release, at a value strictly inside its range
     * there, or 0 or less where it read only positive values) has stopped updating the metric — a hung process, a stale
     * exporter — and counts as one that stopped reporting it (same `maxSilentShare`). No more than
     * a short window's points (5 one-minute points), so that a batch watched 5 minutes can see it.
     * 0 turns this off.
     */
    frozenPoints: z.number().int().min(0).default(5),
    /**
     * Released hosts that logged nothing since the release, where at their rate before it the
     * chance of no event at all is below this, stopped logging (a release that broke its logging
     * leaves the log view blind): treated as hosts that stopped reporting. Asked of the released
     * hosts together, then of each host at this / (hosts that logged before), under the same
     * `maxSilentShare`. 0 turns this off.
     */
    silentLogsAlpha: z.number().min(0).max(1).default(0.001),
  }).prefault({}),
  /** Minimum traffic: below it a batch has not been exercised enough to judge. */
  traffic: z.object({
    /** Regular expression (case-insensitive) naming traffic metrics. */
    metricPattern: z.string().default('(^|\\.)(qps|rps|tps|requests?|throughput)$'),
    /**
     * Smallest mean per released host over the window, in the metric's own unit (a `qps` metric:
     * requests per second, whatever the step).
     */
    minPerHost: z.number().min(0).default(0.01),
  }).default({ metricPattern: '(^|\\.)(qps|rps|tps|requests?|throughput)$', minPerHost: 0.01 }),
  /** How hosts combine into one series, by metric-name pattern (first match wins; default mean). */
  aggregation: z.array(z.object({ pattern: z.string(), aggregate: z.enum(aggregations) })).default([
    { pattern: '(^|\\.)(qps|rps|tps|count|total|requests?|throughput|errors?)$', aggregate: 'sum' },
    { pattern: '(^|\\.)(p9\\d|max|tail)$', aggregate: 'p95' },
  ]),
  /**
   * When the unreleased hosts' own before/after score reaches this, an event hit every host and the
   * released-vs-unreleased views are discounted by (1 − that score / 100).
   */
  environmentThreshold: z.number().min(0).max(100).default(50),
  /**
   * Unreleased hosts a metric is compared with: at most this many, evenly spaced over the list (the
   * same ones at every evaluation). Their aggregate's noise falls as 1/√hosts, so beyond a few dozen
   * more hosts add little precision while every view's cost grows with them.
   */
  maxControlHosts: z.number().int().min(4).default(64),
  /**
   * A metric that mostly sits at one value (a rare count at 0, a success rate at 100 %) counts as
   * anomalous only when its window's points away from that value are this unlikely under the rate
   * of such points before the release (binomial upper tail).
   */
  sparseAlpha: z.number().min(0).max(1).default(0.001),
  /**
   * A lone point of a host's window this many noise σ from the host's window median is clipped to
   * that distance before the aggregate, released-vs-unreleased and per-host views (0 turns it off).
   */
  outlierSigma: z.number().min(0).default(8),
  /**
   * Which metrics keep each detector's own series (`plot` of every view's results): `flagged` (the
   * anomalous ones, whose verdict also carries the series to plot) or `all`. The detectors' series
   * are most of a verdict document (two thirds to four fifths of it for 30 metrics), and a batch's verdict is
   * recorded every minute of its window; `all` is for studying why a metric did not flag.
   */
  detectorPlots: z.enum(['flagged', 'all']).default('flagged'),
  /** Points of history right before the release used to align released and unreleased levels. */
  alignmentPoints: z.number().int().min(1).default(60),
  /** The detectors of each view. */
  views: z.object({
    /** Before/after: the released aggregate against its forecast from history. */
    beforeAfter: z.object({
      detectors: z.array(detectorRef).default([{ name: 'anchoredBaseline', config: {} }]),
      /**
       * With a usable control group: `evidence` keeps the forecast band for the report but lets the
       * released-vs-unreleased views decide (they cancel events that hit every host); `discount`
       * also scores it, times (1 − the unreleased hosts' own before/after score / 100).
       */
      withControl: z.enum(['evidence', 'discount']).default('evidence'),
    }).prefault({}),
    /**
     * Released vs unreleased: groups of detectors; each group's scores combine by `combine`
     * (`min`: all must agree, as the seed's AUC+DTW), and the metric takes the largest group score.
     */
    comparison: z.array(z.object({ detectors: z.array(detectorRef).min(1), combine: z.enum(['min', 'mean', 'max']).default('max') })).default([
      { detectors: [{ name: 'did', config: {} }], combine: 'max' },
      { detectors: [{ name: 'auc', config: {} }, { name: 'dtw', config: {} }, { name: 'rankTest', config: {} }], combine: 'min' },
    ]),
    logs: detectorRef.nullable().default({ name: 'logExceptions', config: {} }),
    /** Pooled per-host view: released hosts in units of their own noise against the unreleased hosts, minute by minute (see src/gate/pooled.ts). */
    pooled: z.object({
      enabled: z.boolean().default(true),
      /** Unreleased hosts needed for the minute-by-minute comparison. */
      minControlHosts: z.number().int().min(2).default(2),
      /**
       * Most unreleased hosts read (evenly spaced when there are more): their minute-by-minute
       * centre adds 1.1/m to the released hosts' variance, already small at 16, and the view's cost
       * is linear in hosts.
       */
      maxControlHosts: z.number().int().min(2).default(16),
      /**
       * Released hosts without a past of their own (new with the release, all of them): judge
       * their noise and trend against the unreleased hosts' over the same minutes (see
       * src/gate/new-hosts.ts).
       */
      newHosts: z.boolean().default(true),
      /**
       * Released hosts without a past (all of them, or the new ones beside hosts with a past):
       * judge each metric's level against the partner metric that explains the unreleased hosts'
       * differences of level (size, speed; see src/gate/partner.ts).
       */
      partner: z.boolean().default(true),
      /** A partner must leave at most this share of the unreleased hosts' spread of log levels. */
      partnerShare: z.number().positive().max(1).default(0.25),
      /** Without unreleased hosts, judge each released host against the other released hosts. */
      peers: z.boolean().default(true),
      /** Points before the window that set each host's level. */
      beforePoints: z.number().int().min(2).default(24),
      /** Points before the release that set each host's noise. */
      noisePoints: z.number().int().min(4).default(60),
      /** History points before the release over which windows of the same length give the empirical bands. */
      nullPoints: z.number().int().min(0).default(144),
      /**
       * Length of those windows. Fixed rather than the observed window's (the statistics are in
       * standard errors, so comparable across lengths) so that a batch judged every minute while its
       * window grows computes them once.
       */
      nullWindowPoints: z.number().int().min(2).default(12),
      /** Empirical bands: this many times the largest statistic over those windows. */
      nullFactor: z.number().min(0).default(1.25),
      /** Band of the pooled shift, in standard errors. */
      shiftBand: z.number().positive().default(4),
      /** Band of the pooled per-minute burst, in standard errors of one minute. */
      burstBand: z.number().positive().default(6),
      /** Band of the pooled log roughness ratio, in its standard errors. */
      spreadBand: z.number().positive().default(3.5),
      /**
       * Band of the pooled dispersion (each host's log ratio of its mean absolute deviation around
       * its own straight line, window over the `noisePoints` before; released minus the unreleased
       * hosts' median when that is positive), in its standard errors; 0 turns the statistic off.
       */
      dispersionBand: z.number().min(0).default(3.5),
    }).prefault({}),
    perHost: z.object({
      enabled: z.boolean().default(true),
      /** Control hosts needed to judge hosts one by one. */
      minControlHosts: z.number().int().min(2).default(4),
      /** Band half-width in robust σ of the control hosts' changes. */
      bandSigma: z.number().positive().default(6),
      /** Smallest change, relative to the metric's level, that can flag a host. */
      minRelativeChange: z.number().min(0).default(0.2),
    }).prefault({}),
  }).prefault({}),
});

export type Policy = z.output<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;

/** Parses a policy, filling defaults; throws `SluiceError('invalid_config')` naming the field. */
export function parsePolicy(input: unknown = {}): Policy {
  return parseConfig(policySchema, input, 'gate policy');
}

/** The default policy. */
export const defaultPolicy: Policy = parsePolicy({});
