/**
 * The verdict document: what the gate answers for one batch, laid out like the seed's report —
 * an overview, anomalies grouped by category with each metric's deviation score, the release,
 * and for each flagged metric the series to plot. Plain JSON: it is stored, served and replayed.
 */
import type { DetectorResult, PlotSeries } from '../core/detector.js';
import type { MetricCategory } from '../datasets/case.js';
import type { NewHostsResult } from './new-hosts.js';
import type { PartnerResult } from './partner.js';
import type { PooledResult } from './pooled.js';

export type Decision = 'PASS' | 'FAIL' | 'INCONCLUSIVE';

export interface HostFinding {
  host: string;
  /** Relative change of the host's mean from before to after, minus the control hosts' median relative change. */
  excessChange: number;
  score: number;
}

export interface MetricVerdict {
  name: string;
  category: MetricCategory | 'application';
  critical: boolean;
  /** `insufficient_data` when no view could judge; `reason` says why. */
  status: 'ok' | 'insufficient_data';
  reason?: string;
  /** 0–100 after fusion of the views and the policy's sensitivity (before category weight). */
  score: number;
  anomalous: boolean;
  direction: 'up' | 'down' | 'none';
  /** How the released hosts were combined. */
  aggregation: string;
  /** Which views judged this metric and what each said. */
  views: {
    beforeAfter: DetectorResult[];
    /** The same forecast check on the unreleased hosts: an event that hit them too is not the release's. */
    beforeAfterControl: DetectorResult[];
    comparison: DetectorResult[];
    perHost: { score: number; hosts: HostFinding[] } | null;
    /** Released hosts pooled against the unreleased hosts minute by minute (absent when not run). */
    pooled?: PooledResult | null;
    /** Released hosts without a past: their noise and trend against the unreleased hosts' (absent when not run). */
    newHosts?: NewHostsResult | null;
    /** Released hosts without a past: their level against a partner metric, against the unreleased hosts' (absent when not run). */
    partner?: PartnerResult | null;
  };
  /** One line per view that contributed, for people. */
  reasons: string[];
  /**
   * Series to plot, for anomalous metrics; `againstPartner` when released hosts without a past were
   * judged against a partner metric (view 5): each group's metric over its partner.
   */
  plot?: { beforeAfter: PlotSeries[]; releasedVsUnreleased: PlotSeries[]; againstPartner?: PlotSeries[]; deployedAt: number };
}

export interface Verdict {
  /** Verdict document format version. */
  format: 1;
  caseId: string;
  app: string;
  decision: Decision;
  /**
   * What decided: the batch score against the thresholds, a critical metric, too little data, or
   * too little traffic. Only `score` decisions move with the thresholds.
   */
  basis: 'score' | 'critical' | 'insufficient_data' | 'traffic';
  /** Batch anomaly score 0–100. */
  score: number;
  anomalous: boolean;
  /** Number of anomalous metrics (the log view counts as one). */
  anomalies: number;
  /** Analysis interval: the observation window, epoch ms [from, to). */
  analysis: { from: number; to: number; step: number; deployedAt: number; historyFrom: number };
  release: { id?: string; version?: string; batch?: number; deployedAt: number };
  /** Why the decision is what it is, most important first. */
  reasons: string[];
  /** Anomalous metrics grouped by category, highest score first. */
  categories: { category: string; score: number; metrics: { name: string; score: number; direction: string }[] }[];
  metrics: MetricVerdict[];
  logs: DetectorResult | null;
  /** Every detector that ran, with its version. */
  detectors: { name: string; version: string }[];
}
