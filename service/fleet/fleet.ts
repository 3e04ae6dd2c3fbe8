/**
 * The simulated fleet: hosts that live as folders on disk (one per host under `root`, the local
 * agent's root, each holding a `deployed-version` file that the deploy and rollback commands
 * rewrite) and report metrics and exception logs every virtual minute of an accelerated clock.
 *
 * What a host runs is read from its folder, never told to the fleet: the release goes through
 * the real command path (orchestrator → command safety → local agent → a process writing the
 * file), and a bad version shows up in the metrics only because a command put it on the host.
 *
 * Metrics go to a sink (the service's ingest store); logs stay here and are served by
 * `logsFor` (the ingest holds numbers only).
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { CaseLog } from '../../src/datasets/case.js';
import { DEPLOYED_VERSION_FILE } from '../adapters/agent/local.js';
import type { IngestPoint } from '../adapters/metrics/ingest-store.js';
import type { Clock } from '../ports/clock.js';
import type { FleetHost } from './hosts.js';
import { fleetMetrics, MINUTE, sampleLogs, sampleMetrics, versionEffectSchema, type VersionEffect } from './model.js';

/** The file in each host's folder that names the version it runs (the local agent's ping reports it too). */
export const VERSION_FILE = DEPLOYED_VERSION_FILE;

export const fleetOptionsSchema = z.object({
  /** Folder holding one folder per host (the local agent's root). */
  root: z.string().min(1),
  /** Version every host runs at the start. */
  initialVersion: z.string().min(1).default('1.0.0'),
  /** Versions that degrade the hosts running them, and how. */
  badVersions: z.record(z.string(), versionEffectSchema).default({}),
  /** History reported before the start, ms (default two days: what the gate's baselines need). */
  historyMs: z.number().int().min(0).max(30 * 86_400_000).default(2 * 86_400_000),
  /** Real ms between two emissions of the minutes the clock has passed. */
  tickMs: z.number().int().min(1).max(60_000).default(40),
  seed: z.number().int().default(7),
});
export type FleetOptions = z.input<typeof fleetOptionsSchema>;

/** A clock that can tell the virtual time of a real instant (the accelerated clock can). */
type FleetClock = Clock & { virtualAt?(realMs: number): number };

interface Timeline {
  /** Ascending by `at`; the first entry is the initial version from the beginning of time. */
  changes: { at: number; version: string }[];
  /** Modification time of the version file when last read (real epoch ms). */
  mtime: number;
  /** Logged events, ascending by t. */
  logs: CaseLog[];
}

export class SimulatedFleet {
  readonly hosts: readonly FleetHost[];
  readonly options: z.output<typeof fleetOptionsSchema>;
  private readonly byName: Map<string, FleetHost>;
  private readonly timelines = new Map<string, Timeline>();
  private readonly effects: Map<string, VersionEffect>;
  /** Start of the last minute emitted; -Infinity before the backfill. */
  private emittedUntil = -Infinity;
  private timer: NodeJS.Timeout | null = null;

  constructor(hosts: readonly FleetHost[], private readonly clock: FleetClock, private readonly sink: (points: IngestPoint[]) => void, options: FleetOptions) {
    this.options = fleetOptionsSchema.parse(options);
    this.hosts = hosts;
    this.byName = new Map(hosts.map((h) => [h.name, h]));
    if (this.byName.size !== hosts.length) throw new Error('fleet: host names must be unique');
    this.effects = new Map(Object.entries(this.options.badVersions));
  }

  /** The folder of one host (its working directory for commands). */
  hostDir(host: string): string {
    return join(this.options.root, host);
  }

  /**
   * Creates every host's folder with the initial version (a host that already has a version file
   * keeps it) and reports the history before now. Returns the points written.
   */
  init(onProgress?: (minutesDone: number, minutesTotal: number) => void): number {
    const now = this.clock.now();
    for (const host of this.hosts) {
      const dir = this.hostDir(host.name);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, VERSION_FILE);
      let version: string;
      try {
        version = readFileSync(file, 'utf8').trim();
      } catch {
        writeFileSync(file, this.options.initialVersion);
        version = this.options.initialVersion;
      }
      this.timelines.set(host.name, { changes: [{ at: -Infinity, version }], mtime: statSync(file).mtimeMs, logs: [] });
    }
    const first = Math.floor((now - this.options.historyMs) / MINUTE) * MINUTE;
    this.emittedUntil = first - MINUTE;
    return this.emitUntil(now, onProgress);
  }

  /** Emits every minute the clock has passed, then keeps doing so every `tickMs` until `stop`. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.catchUp(), this.options.tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads the hosts' versions and emits the minutes up to the clock's now. Returns points written. */
  catchUp(): number {
    this.readVersions();
    return this.emitUntil(this.clock.now());
  }

  /** The version a host runs now, as its folder says. */
  versionOnDisk(host: string): string {
    return readFileSync(join(this.hostDir(host), VERSION_FILE), 'utf8').trim();
  }

  /** The version a host ran at virtual time `t`, as the fleet observed it. */
  versionAt(host: string, t: number): string {
    const changes = this.timeline(host).changes;
    let version = changes[0].version;
    for (const c of changes) {
      if (c.at > t) break;
      version = c.version;
    }
    return version;
  }

  /** Version changes the fleet observed on a host (virtual epoch ms), oldest first. */
  history(host: string): { at: number; version: string }[] {
    return this.timeline(host).changes.slice(1).map((c) => ({ ...c }));
  }

  /** Exception events of `hosts` with `from ≤ t < to` (only minutes already reported), by host then time. */
  logsFor(hosts: readonly string[], from: number, to: number): CaseLog[] {
    const out: CaseLog[] = [];
    for (const host of hosts) {
      const logs = this.timeline(host).logs;
      for (let i = lowerBound(logs, from); i < logs.length && logs[i].t < to; i++) out.push({ ...logs[i] });
    }
    return out;
  }

  /** Start of the last minute reported (virtual epoch ms). */
  reportedUntil(): number {
    return this.emittedUntil;
  }

  private timeline(host: string): Timeline {
    const timeline = this.timelines.get(host);
    if (!timeline) throw new Error(`fleet: no host ${host}${this.timelines.size === 0 ? ' (init() not called)' : ''}`);
    return timeline;
  }

  /**
   * Notices rewritten version files. A change counts from the virtual time the file was written
   * (when the clock can tell it), but never before a minute already reported, so metrics and logs
   * of one minute always agree on the version.
   */
  private readVersions(): void {
    for (const host of this.hosts) {
      const timeline = this.timeline(host.name);
      const file = join(this.hostDir(host.name), VERSION_FILE);
      let mtime: number;
      let version: string;
      try {
        mtime = statSync(file).mtimeMs;
        if (mtime === timeline.mtime) continue;
        version = readFileSync(file, 'utf8').trim();
      } catch {
        continue; // mid-rewrite or removed: keep the last known version
      }
      timeline.mtime = mtime;
      const last = timeline.changes[timeline.changes.length - 1];
      if (version === last.version || version === '') continue;
      const written = this.clock.virtualAt ? this.clock.virtualAt(mtime) : this.clock.now();
      timeline.changes.push({ at: Math.max(written, this.emittedUntil + 1, last.at + 1), version });
    }
  }

  private emitUntil(now: number, onProgress?: (minutesDone: number, minutesTotal: number) => void): number {
    const first = this.emittedUntil + MINUTE;
    const total = Math.max(0, Math.floor((now - first) / MINUTE) + 1);
    let written = 0;
    const chunkMinutes = 60;
    for (let done = 0; done < total; done += chunkMinutes) {
      const points: IngestPoint[] = [];
      const end = Math.min(total, done + chunkMinutes);
      for (let m = done; m < end; m++) {
        const t = first + m * MINUTE;
        for (const host of this.hosts) {
          const timeline = this.timelines.get(host.name)!;
          const effect = this.effects.get(this.versionAt(host.name, t)) ?? null;
          const values = sampleMetrics(host, t, effect, this.options.seed);
          for (let k = 0; k < fleetMetrics.length; k++) points.push({ metric: fleetMetrics[k].name, host: host.name, t, v: values[k] });
          for (const event of sampleLogs(host, t, effect, this.options.seed)) timeline.logs.push(event);
        }
      }
      this.sink(points);
      written += points.length;
      this.emittedUntil = first + (end - 1) * MINUTE;
      onProgress?.(end, total);
    }
    return written;
  }
}

/** First index whose `t` is at least `t0` (events ascending by t). */
function lowerBound(events: readonly CaseLog[], t0: number): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (events[mid].t < t0) low = mid + 1;
    else high = mid;
  }
  return low;
}
