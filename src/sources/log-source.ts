/**
 * The log-source port: where the gate's exception events come from when a caller sends queries
 * instead of inline events. Events come back in the case format's shape (`CaseLog`), counted per
 * host, signature and step, so a case built from a log source reads like one written by hand.
 */
import type { CaseLog } from '../datasets/case.js';

/** How bad one logged exception is; `fatal` ones weigh most in the gate. */
export const logLevels = ['fatal', 'error', 'warn'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface LogQuery {
  hosts: string[];
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
  /** Bucket width in ms; every returned event's `t` is on the grid `start + i * step`. */
  step: number;
  /** Levels to include (default: all). */
  levels?: readonly LogLevel[];
}

export interface LogSource {
  readonly name: string;
  /**
   * Exception-signature counts per host and step over [start, end): one event per (host, step,
   * signature) with a positive count, ordered by host (as asked), then time, then signature.
   */
  query(query: LogQuery, signal?: AbortSignal): Promise<CaseLog[]>;
}

/** A log source with no events, for deployments that send logs inline or not at all. */
export const noLogs: LogSource = { name: 'none', query: async () => [] };
