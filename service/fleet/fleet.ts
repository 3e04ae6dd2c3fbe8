/**
 * The simulated fleet: hosts that live as folders on disk (one per host under `root`, the local
 * agent's root, each holding a `deployed-version` file that the deploy and rollback commands
 * rewrite) and report metrics and exception logs every virtual minute of an accelerated clock.
 *
 * What a host runs is read from its folder, never told to the fleet: the release goes through
 * the real command path (orchestrator → command safety → local agent → a process writing the
 * file), and a bad version shows up in the metrics only because a command put it on the host.
 *
 * Every reported minute lands in the fleet's memory (`source`, a MetricSource the orchestrator's
 * judge reads) and is mirrored into a sink — the service's ingest store — in small chunks off the
 * critical path, so the ingest holds the same numbers without two days of history blocking the
 * start. Exception logs go to a log sink — the service's log ingest, which the gate reads them
 * from like any deployment's — the history in one write when the fleet starts, then every
 * minute as it is reported; `logsFor` serves them from memory for tests.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { CaseLog } from '../../src/datasets/case.js';
import { DEPLOYED_VERSION_FILE } from '../adapters/agent/local.js';
import type { LogEvent } from '../adapters/logs/ingest-logs.js';
import type { IngestPoint } from '../adapters/metrics/ingest-store.js';
import type { MetricSource } from '../../src/sources/metric-source.js';
import type { Clock } from '../ports/clock.js';
import type { FleetHost } from './hosts.js';
import { MinuteStore } from './memory.js';
import { crashes, fleetMetrics, hangs, MINUTE, sampleLogs, sampleMetrics, versionEffectSchema, type VersionEffect } from './model.js';

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
  /** Minutes written to the sink per chunk (each chunk is one transaction, then the event loop breathes). */
  mirrorMinutes: z.number().int().min(1).max(1440).default(2),
  /**
   * Most of the process's time the history's mirroring may take (0–1]: two days of 200 hosts are
   * millions of rows, written behind the live minutes so that releases do not wait on them.
   */
  mirrorShare: z.number().gt(0).max(1).default(0.2),
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
  private readonly timelines = new Map<string, Timeline>();
  private readonly effects: Map<string, VersionEffect>;
  private readonly metricNames = fleetMetrics.map((m) => m.name);
  private memory: MinuteStore | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** History slots [0, historyMirrored) and live slots [liveStart, liveMirrored) are in the sink. */
  private historyMirrored = 0;
  private liveStart = 0;
  private liveMirrored = 0;
  private mirroring: Promise<void> | null = null;
  private halted = false;
  /** Logged events not yet handed to the log sink. */
  private pendingLogs: LogEvent[] = [];
  /** Why mirroring stopped, if the sink failed. */
  mirrorError: Error | null = null;

  /**
   * `sink`: where reported points are mirrored (the service's ingest); none keeps them in memory
   * only. `logSink`: where logged events go from `start` on (the service's log ingest).
   */
  constructor(
    hosts: readonly FleetHost[],
    private readonly clock: FleetClock,
    private readonly sink: ((points: IngestPoint[]) => void) | null,
    options: FleetOptions,
    private readonly logSink: ((events: LogEvent[]) => void) | null = null,
  ) {
    this.options = fleetOptionsSchema.parse(options);
    this.hosts = hosts;
    if (new Set(hosts.map((h) => h.name)).size !== hosts.length) throw new Error('fleet: host names must be unique');
    this.effects = new Map(Object.entries(this.options.badVersions));
  }

  /** The folder of one host (its working directory for commands). */
  hostDir(host: string): string {
    return join(this.options.root, host);
  }

  /**
   * The metrics reported so far, as a metric source. Querying first reports the minutes the clock
   * has passed since the last tick, so a batch judged right at the end of a minute sees it.
   */
  get source(): MetricSource {
    return {
      name: 'fleet',
      query: (query) => {
        this.catchUp();
        return this.store().query(query);
      },
    };
  }

  /**
   * Creates every host's folder with the initial version (a host that already has a version file
   * keeps it) and reports the history before now. Returns the points reported.
   */
  init(): number {
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
    const origin = Math.floor((now - this.options.historyMs) / MINUTE) * MINUTE;
    this.memory = new MinuteStore(origin, Math.ceil(this.options.historyMs / MINUTE) + 1441);
    const written = this.emitUntil(now);
    this.liveStart = this.liveMirrored = this.memory.slots;
    this.mirror();
    return written;
  }

  /** Reports every minute the clock has passed, then keeps doing so every `tickMs` until `stop`. */
  start(): void {
    if (this.timer) return;
    this.halted = false;
    this.timer = setInterval(() => this.catchUp(), this.options.tickMs);
    this.timer.unref();
    this.flushLogs();
  }

  /** Stops reporting and mirroring (call before closing the sink). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.halted = true;
  }

  /** Reads the hosts' versions and reports the minutes up to the clock's now. Returns points reported. */
  catchUp(): number {
    this.readVersions();
    return this.emitUntil(this.clock.now());
  }

  /** Resolves when every minute reported so far is in the sink. */
  async flushed(): Promise<void> {
    while (this.mirroring) await this.mirroring;
  }

  /** Points written to the sink so far. */
  get mirroredPoints(): number {
    return (this.historyMirrored + this.liveMirrored - this.liveStart) * this.hosts.length * this.metricNames.length;
  }

  /** The version a host runs now, as its folder says. */
  versionOnDisk(host: string): string {
    return readFileSync(join(this.hostDir(host), VERSION_FILE), 'utf8').trim();
  }

  /** The version a host ran at virtual time `t`, as the fleet observed it. */
  versionAt(host: string, t: number): string {
    return this.changeAt(host, t).version;
  }

  /** The version change in effect on a host at `t` (its version, and when it arrived). */
  private changeAt(host: string, t: number): { at: number; version: string } {
    const changes = this.timeline(host).changes;
    let change = changes[0];
    for (const c of changes) {
      if (c.at > t) break;
      change = c;
    }
    return change;
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
    return this.store().until;
  }

  private store(): MinuteStore {
    if (!this.memory) throw new Error('fleet: init() not called');
    return this.memory;
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
    const reported = this.store().until;
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
      timeline.changes.push({ at: Math.max(written, reported + 1, last.at + 1), version });
    }
  }

  private emitUntil(now: number): number {
    const memory = this.store();
    const first = memory.slots;
    const last = Math.floor((now - memory.origin) / MINUTE);
    for (let slot = first; slot <= last; slot++) {
      const t = memory.origin + slot * MINUTE;
      for (const host of this.hosts) {
        const change = this.changeAt(host.name, t);
        const effect = this.effects.get(change.version) ?? null;
        // A crashed host reports nothing: its slots stay missing.
        if (effect && crashes(host, effect, this.options.seed) && t - change.at >= effect.crashAfterMinutes * MINUTE) continue;
        // A hung host's exporter serves its last values again, and the host logs nothing.
        if (slot > 0 && hangs(host, effect, this.options.seed)) {
          memory.put(this.metricNames, host.name, slot, this.metricNames.map((m) => memory.value(m, host.name, slot - 1)));
          continue;
        }
        memory.put(this.metricNames, host.name, slot, sampleMetrics(host, t, effect, this.options.seed));
        const logs = this.timelines.get(host.name)!.logs;
        for (const event of sampleLogs(host, t, effect, this.options.seed)) {
          logs.push(event);
          this.pendingLogs.push({ host: event.host, at: event.t, signature: event.signature, level: effect && event.signature === effect.fatal ? 'fatal' : 'error', count: event.count });
        }
      }
      memory.commit(slot);
    }
    this.flushLogs();
    if (last >= first) this.mirror();
    return Math.max(0, last - first + 1) * this.hosts.length * this.metricNames.length;
  }

  /**
   * Hands the events logged since the last call to the log sink, once the fleet has started (the
   * service's log ingest exists by then). Synchronous, so a minute's logs are readable as soon as
   * the minute is reported.
   */
  private flushLogs(): void {
    if (!this.logSink || !this.timer || this.mirrorError || this.pendingLogs.length === 0) return;
    const events = this.pendingLogs;
    this.pendingLogs = [];
    try {
      this.logSink(events);
    } catch (error) {
      this.mirrorError = error instanceof Error ? error : new Error(String(error));
    }
  }

  /**
   * Copies reported minutes to the sink a few at a time: live minutes first, then the history,
   * pausing after each history chunk so that it takes at most `mirrorShare` of the time.
   */
  private mirror(): void {
    if (!this.sink || this.mirroring || this.halted || this.mirrorError || this.liveStart === 0) return;
    const sink = this.sink;
    this.mirroring = (async () => {
      const memory = this.store();
      while (!this.halted && (this.liveMirrored < memory.slots || this.historyMirrored < this.liveStart)) {
        const live = this.liveMirrored < memory.slots;
        const from = live ? this.liveMirrored : this.historyMirrored;
        const end = Math.min(live ? memory.slots : this.liveStart, from + this.options.mirrorMinutes);
        const began = performance.now();
        const points: IngestPoint[] = [];
        for (let slot = from; slot < end; slot++) {
          const t = memory.origin + slot * MINUTE;
          for (const host of this.hosts) {
            for (const metric of this.metricNames) {
              const v = memory.value(metric, host.name, slot);
              // A slot never written (a crashed host) is not reported at all.
              if (v === v) points.push({ metric, host: host.name, t, v });
            }
          }
        }
        sink(points);
        if (live) this.liveMirrored = end;
        else this.historyMirrored = end;
        const pause = live ? 0 : (performance.now() - began) * (1 / this.options.mirrorShare - 1);
        await new Promise((resolve) => (pause > 0 ? setTimeout(resolve, pause).unref() : setImmediate(resolve)));
      }
    })()
      .catch((error: unknown) => {
        this.mirrorError = error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => {
        this.mirroring = null;
      });
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
