import type { z } from 'zod';
import type { Series } from './series.js';

/**
 * The one contract every detector meets, forecasting and comparison alike.
 *
 * A detector is a named, versioned module: a zod config schema with defaults and a pure
 * function from (treated, optional control, optional history, config) to a `DetectorResult`.
 * Shared code (the gate, replay, benchmarks) never checks a detector's name; it reads the
 * declared `capabilities` instead.
 */

/** Which change is bad for a metric: a rise, a fall, or either. */
export type Direction = 'up' | 'down' | 'both';

/** One exception signature counted on one host at one time (the case format's `logs`). */
export interface LogEvent {
  host: string;
  /** Epoch ms. */
  t: number;
  signature: string;
  count: number;
}

export interface DetectorInput {
  /** The series under judgment: the released hosts' aggregate over the observation window. */
  treated: Series;
  /** The unreleased hosts' aggregate over the same minutes (released vs unreleased). */
  control?: Series;
  /** The treated series' own past, ending where `treated` starts (before/after). */
  history?: Series;
  /** The control series' past over the same span as `history` (difference in differences). */
  controlHistory?: Series;
  /** Per-host series of the treated group over the window, for detectors that compare samples. */
  treatedHosts?: Series[];
  /** Per-host series of the control group over the window. */
  controlHosts?: Series[];
  /** Log events, for log detectors. `deployedAt` splits them into before and after. */
  logs?: { events: LogEvent[]; treatedHosts: string[]; controlHosts: string[]; deployedAt: number };
  /** Which change is bad (default `both`). */
  direction?: Direction;
  /**
   * Points per season implied by the data (e.g. one day at the series' step). Seasonal detectors
   * use it when their configuration does not fix a period.
   */
  period?: number;
  /**
   * What this detector's `prepare` returned for the same `history` and config, when the caller
   * cached it; the detector then skips refitting and must give the same result as without it.
   */
  prepared?: unknown;
}

/** A series to plot as evidence; `null` marks a missing point. */
export interface PlotSeries {
  name: string;
  start: number;
  step: number;
  values: (number | null)[];
  /** How to draw it: a line, or one edge of a band. */
  role?: 'observed' | 'forecast' | 'lower' | 'upper' | 'control' | 'score';
}

export type DetectorStatus = 'ok' | 'insufficient_data';

export interface DetectorResult {
  detector: string;
  version: string;
  /** `insufficient_data` means the detector could not judge; `reason` says why. Never a pass. */
  status: DetectorStatus;
  reason?: string;
  /** Anomaly score in [0, 100]; 0 when `status` is `insufficient_data`. */
  score: number;
  anomalous: boolean;
  /** Direction of the observed change; `none` when there is no change to speak of. */
  direction: 'up' | 'down' | 'none';
  /** Numbers a person can check (distances, p-values, thresholds), flat and JSON-safe. */
  evidence: Record<string, number | string | boolean | null>;
  /** Series to plot next to the verdict. */
  plot?: PlotSeries[];
}

export interface DetectorCapabilities {
  /** Fewest points of `treated` the detector needs. */
  minTreatedPoints: number;
  /** Whether it needs `history` (before/after), `control` (released vs unreleased) or `logs`. */
  needsHistory: boolean;
  needsControl: boolean;
  needsLogs: boolean;
  /** Whether it models a seasonal period (and so wants at least two seasons of history). */
  seasonal: boolean;
}

export interface DetectorModule<S extends z.ZodType = z.ZodType> {
  /** Registry name, camelCase (e.g. `holtWinters`). */
  readonly name: string;
  /** Semantic version; bumped whenever a result for the same input could change. */
  readonly version: string;
  /** One line: the question the detector answers. */
  readonly description: string;
  readonly configSchema: S;
  readonly capabilities: DetectorCapabilities;
  /** Pure: same input and config, same result. Never throws on bad data; throws only on a bad config. */
  detect(input: DetectorInput, config: z.output<S>): DetectorResult;
  /**
   * Optional: the part of `detect` that depends only on `history` (a fitted model), so a caller
   * judging the same batch every minute fits once. `detect({ ...input, prepared })` must equal
   * `detect(input)`.
   */
  prepare?(input: Pick<DetectorInput, 'history' | 'period' | 'direction'> & { windowLength?: number }, config: z.output<S>): unknown;
  /**
   * Optional, for a detector whose prepared state depends on how long a window it will judge: the
   * window length (points) to pass to `prepare` as `windowLength` for a window of `windowLength`
   * points. Windows mapping to the same number share one prepared state, so a caller caches it per
   * that number: a window growing by a minute at each evaluation does not fit again each minute.
   */
  prepareWindow?(windowLength: number, config: z.output<S>): number;
}

/** The result to return when a detector cannot judge. */
export function insufficientData(detector: { name: string; version: string }, reason: string, evidence: DetectorResult['evidence'] = {}): DetectorResult {
  return { detector: detector.name, version: detector.version, status: 'insufficient_data', reason, score: 0, anomalous: false, direction: 'none', evidence };
}
