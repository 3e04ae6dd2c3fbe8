/**
 * One batch of the simulated fleet as its judge reads it, built straight from the fleet's model
 * (no service, no clock): the released hosts and a control of unreleased hosts, two days of
 * one-minute metrics and two hours of logs before the release, and the minutes after it — for
 * tests and benchmarks that judge many batches, at any deployment time, in milliseconds each.
 */
import type { ParsedCase } from '../../src/datasets/case.js';
import { layoutFleet, type FleetHost } from './hosts.js';
import { crashes, fleetMetrics, MINUTE, sampleLogs, sampleMetrics, type VersionEffect } from './model.js';

const DAY = 86_400_000;
const LOG_HOURS = 2;

export interface FleetBatchOptions {
  /** Fleet size (default 80). */
  hosts?: number;
  /** Released hosts: the first ones of the layout, one from each datacenter in turn (default 20). */
  released?: number;
  /** Unreleased hosts judged, spread evenly over the rest as the fleet's judge picks them (default 40). */
  control?: number;
  /** Epoch ms of the deployment. */
  deployedAt: number;
  /** Minutes of data after it. */
  minutes: number;
  /**
   * The released version's effect on metrics and logs from the deployment on (default: a healthy
   * version). Its crashing hosts report nothing from `crashAfterMinutes` after the deployment on,
   * as in the running fleet; its hangs are not simulated here.
   */
  effect?: VersionEffect | null;
  /** The fleet's seed (default 7, the fleet's own default). */
  seed?: number;
}

/** The batch as a case; O(hosts × (2 days + minutes) × metrics). */
export function fleetBatch(options: FleetBatchOptions): ParsedCase {
  const { deployedAt, minutes } = options;
  const seed = options.seed ?? 7;
  const effect = options.effect ?? null;
  const hosts = layoutFleet({ hosts: options.hosts ?? 80 });
  const releasedCount = options.released ?? 20;
  const released = hosts.slice(0, releasedCount);
  const rest = hosts.slice(releasedCount);
  const controlCount = Math.min(rest.length, options.control ?? 40);
  const control = Array.from({ length: controlCount }, (_, i) => rest[Math.floor((i * rest.length) / controlCount)]);
  const start = deployedAt - 2 * DAY;
  const length = (deployedAt - start) / MINUTE + minutes;
  const crashAt = (host: FleetHost) => (effect && crashes(host, effect, seed) ? deployedAt + effect.crashAfterMinutes * MINUTE : Infinity);
  const series = (host: FleetHost, isReleased: boolean) => {
    const stopsAt = isReleased ? crashAt(host) : Infinity;
    const rows = Array.from({ length }, (_, i) => {
      const t = start + i * MINUTE;
      return t >= stopsAt ? fleetMetrics.map(() => NaN) : sampleMetrics(host, t, isReleased && t >= deployedAt ? effect : null, seed);
    });
    return fleetMetrics.map((_, m) => Float64Array.from(rows, (row) => row[m]));
  };
  const r = released.map((h) => series(h, true));
  const u = control.map((h) => series(h, false));
  const logMinutes = LOG_HOURS * 60 + minutes;
  const logsOf = (host: FleetHost, isReleased: boolean) => Array.from({ length: logMinutes }, (_, i) => {
    const t = deployedAt + (i - LOG_HOURS * 60) * MINUTE;
    return isReleased && t >= crashAt(host) ? [] : sampleLogs(host, t, isReleased && t >= deployedAt ? effect : null, seed);
  }).flat();
  return {
    id: `fleet-batch-${deployedAt}`, app: 'buy2', release: { deployedAt }, step: MINUTE, start,
    logs: [...released.flatMap((h) => logsOf(h, true)), ...control.flatMap((h) => logsOf(h, false))],
    metrics: fleetMetrics.map((m, j) => ({ ...m, released: released.map((h, i) => ({ host: h.name, values: r[i][j] })), unreleased: control.map((h, i) => ({ host: h.name, values: u[i][j] })) })),
  };
}
