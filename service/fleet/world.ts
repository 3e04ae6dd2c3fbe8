/**
 * The service with a simulated fleet around it, as `sluice demo` and the end-to-end tests run it:
 * SQLite state in `dataDir`, an accelerated clock, the local-process agent and the local P2P on
 * one folder per host, the fleet reporting into the ingest, and the orchestrator judging batches
 * with the real gate over the fleet's metrics and logs. Releases go through the HTTP API like
 * anyone's.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { localFleet, type LocalFleet } from '../adapters/agent/local.js';
import { localP2P } from '../adapters/p2p/local.js';
import { startService, type RunningService, type ServiceOverrides } from '../main.js';
import type { ReleaseOrderInput } from '../orchestrator/order.js';
import type { ReleaseProgress } from '../orchestrator/state.js';
import { acceleratedClock, type AcceleratedClock } from '../clock/accelerated.js';
import { fleetSafetyConfig } from './commands.js';
import { SimulatedFleet, type FleetOptions } from './fleet.js';
import { layoutFleet, type FleetHost } from './hosts.js';
import { fleetJudge } from './judge.js';
import { fleetMetrics } from './model.js';

export interface FleetWorldOptions {
  dataDir: string;
  port?: number;
  /** Hosts in the fleet (spread over 4 datacenters). */
  hosts: number;
  /** Virtual ms per real ms. */
  factor: number;
  /** Virtual epoch ms at start (default: the real now): a test that depends on the hour of the fleet's daily traffic pins it. */
  start?: number;
  initialVersion: string;
  badVersions?: FleetOptions['badVersions'];
  /** Most hosts judged per side in one evaluation (see fleetJudge). */
  maxHostsPerSide?: number;
  log?: (line: string) => void;
  /** Orchestrator timings, in virtual ms. */
  orchestrator?: ServiceOverrides['orchestrator'];
}

export interface FleetWorld {
  service: RunningService;
  fleet: SimulatedFleet;
  agent: LocalFleet;
  clock: AcceleratedClock;
  /** Writes an artifact for `version` under dataDir and returns its file URL and digest. */
  artifact(app: string, version: string): { url: string; digest: string };
  /** A release order for the whole fleet: batches by datacenter, the fleet's metrics, no pauses. */
  order(fields: { id: string; app: string; version: string; previousVersion: string } & Partial<ReleaseOrderInput>): ReleaseOrderInput;
  close(): Promise<void>;
}

/** Starts the service and the fleet; the history (two days) is reported before this resolves. */
export async function startFleetWorld(options: FleetWorldOptions): Promise<FleetWorld> {
  const dataDir = resolve(options.dataDir);
  const root = join(dataDir, 'fleet');
  const clock = acceleratedClock({ factor: options.factor, start: options.start });
  const hosts: FleetHost[] = layoutFleet({ hosts: options.hosts });
  const agent = localFleet({ root, hosts: hosts.map((h) => h.name) });
  const p2p = localP2P({ root, pollIntervalMs: 20 });
  let service: RunningService | null = null;
  const fleet = new SimulatedFleet(hosts, clock, (points) => void service?.ingest.write(points), {
    root, initialVersion: options.initialVersion, badVersions: options.badVersions ?? {},
  }, (events) => void service?.logs.write(events));
  const judge = fleetJudge(fleet, () => {
    if (!service) throw new Error('the service is not running yet');
    // Two hours of logs before the release, as the fleet's judge read them before they came from
    // the log ingest: two days of a fleet's background exceptions are ~100 000 events a minute.
    return { store: service.store, gate: service.gate, now: () => clock.now(), logs: service.logSource, logsBeforeMs: 2 * 3_600_000 };
  }, { maxHostsPerSide: options.maxHostsPerSide });
  fleet.init();
  service = await startService({ dataDir, port: options.port ?? 0, safety: fleetSafetyConfig }, options.log, {
    clock, agent, p2p, judge, source: fleet.source,
    orchestrator: { pollMs: 5_000, scanMs: 5_000, retryDelayMs: 10_000, leaseTtlMs: 600_000, ...options.orchestrator },
  });
  fleet.start();
  const running = service;
  const artifacts = join(dataDir, 'artifacts');
  const world: FleetWorld = {
    service: running,
    fleet,
    agent,
    clock,
    artifact(app, version) {
      mkdirSync(artifacts, { recursive: true });
      const content = `${app} ${version}\n`.repeat(64);
      const file = join(artifacts, `${app}-${version}.tgz`);
      writeFileSync(file, content);
      return { url: pathToFileURL(file).href, digest: `sha256:${createHash('sha256').update(content).digest('hex')}` };
    },
    order(fields) {
      return {
        environment: 'production',
        artifact: world.artifact(fields.app, fields.version),
        hosts: hosts.map((h) => ({ name: h.name, datacenter: h.datacenter, group: h.group })),
        batching: { by: 'datacenter', batches: 4 },
        pause: 'never',
        observationMinutes: 5,
        metrics: fleetMetrics.map((m) => ({ ...m })),
        ...fields,
      };
    },
    async close() {
      fleet.stop();
      await fleet.flushed();
      await running.close();
      await agent.close();
    },
  };
  return world;
}

/** The release view's progress (the contract's shape). */
export interface ReleaseView {
  id: string;
  state: string;
  revision: number;
  progress: ReleaseProgress;
}
