/**
 * The orchestrator's judge over the simulated fleet: the real gate (`judgeQuery`, recorded like
 * every evaluation) reading the fleet's metrics, and its exception logs from the service's log
 * ingest (where the fleet writes them, as any deployment's hosts would), with what the
 * orchestrator's query leaves to the caller:
 *
 * - bounded cost: every evaluation is recorded with all its series, so a 200-host fleet judged
 *   every minute would write tens of megabytes a minute. At most `maxHostsPerSide` released and
 *   as many unreleased hosts are judged, picked evenly along each list (every batch and
 *   datacenter keeps its share). The sides may hold different host counts: the gate puts a sum
 *   (qps) over the unreleased hosts on the released hosts' scale before comparing.
 */
import type { GateQuery, JudgeDeps } from '../gate/judge.js';
import { judgeQuery } from '../gate/judge.js';
import type { Judge } from '../orchestrator/index.js';
import type { SimulatedFleet } from './fleet.js';

export interface FleetJudgeOptions {
  /** Most hosts judged on each side (released, unreleased); default 40. */
  maxHostsPerSide?: number;
}

/** `count` hosts spread evenly along `hosts` (all of them when there are no more). */
export function spread(hosts: readonly string[], count: number): string[] {
  if (hosts.length <= count) return [...hosts];
  return Array.from({ length: count }, (_, i) => hosts[Math.floor((i * hosts.length) / count)]);
}

/** A judge for `createOrchestrator` / `startService` overrides; `deps` is read at each call (the store exists once the service runs). */
export function fleetJudge(fleet: SimulatedFleet, deps: () => JudgeDeps, options: FleetJudgeOptions = {}): Judge {
  const max = options.maxHostsPerSide ?? 40;
  return async (query, policy) => {
    const released = spread(query.hosts.released, max);
    const unreleased = spread(query.hosts.unreleased, max);
    const full: GateQuery = { ...query, hosts: { released, unreleased } };
    return judgeQuery(full, policy, fleet.source, deps());
  };
}
