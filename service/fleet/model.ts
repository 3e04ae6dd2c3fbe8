/**
 * What a simulated host reports each minute: metrics in all five categories and exception log
 * counts, as pure functions of (host, minute, running version). The same minute always gives the
 * same numbers (noise is seeded by host and time), so history backfilled at start-up and minutes
 * emitted live agree, and a test can recompute any point.
 *
 * Shape: traffic follows a daily cycle (peak mid-afternoon, trough before dawn, in UTC+8 as in the
 * seed's fleet); each host scales it by its size and its latency by its speed; noise is a few
 * percent. A bad version multiplies latency and CPU, adds errors and throws a new fatal exception.
 */
import { z } from 'zod';
import { seedFrom } from '../../src/core/random.js';
import type { CaseLog, MetricCategory } from '../../src/datasets/case.js';
import type { Direction } from '../../src/core/detector.js';
import type { FleetHost } from './hosts.js';

export const MINUTE = 60_000;

/** How a bad version degrades the hosts running it. */
export const versionEffectSchema = z.object({
  /** Latency multiplier (rpc.rt), ≥ 1. */
  latency: z.number().min(0.1).max(100).default(1.4),
  /** Percentage points added to app.error_rate. */
  errorRate: z.number().min(0).max(100).default(2.5),
  /** CPU multiplier on the traffic-driven part of system.cpu_util. */
  cpu: z.number().min(0.1).max(10).default(1.15),
  /** A new exception signature the version throws (empty: none). */
  fatal: z.string().default('java.lang.NullPointerException at com.acme.cart.Cart.total'),
  /** Mean events of `fatal` per host-minute. */
  fatalRate: z.number().min(0).max(1000).default(2),
  /**
   * Share of the hosts running the version that crash: from the version's arrival on they report
   * no metrics and log nothing (0–1; which hosts is fixed by the fleet's seed).
   */
  crashShare: z.number().min(0).max(1).default(0),
  /** Minutes after the version's arrival on a host that its crashing hosts stop (0: at once). */
  crashAfterMinutes: z.number().min(0).max(100_000).default(0),
  /**
   * Share of the hosts running the version that hang: from its arrival on they keep reporting,
   * every metric at its last value before (a stale exporter), and log nothing (0–1; which hosts is
   * fixed by the fleet's seed, apart from the crashing ones).
   */
  hangShare: z.number().min(0).max(1).default(0),
});
export type VersionEffect = z.output<typeof versionEffectSchema>;

export interface FleetMetric {
  name: string;
  category: MetricCategory;
  direction: Direction;
  critical: boolean;
}

/** The metrics every simulated host reports, one per minute; the catalog a release order names. */
export const fleetMetrics: readonly FleetMetric[] = [
  { name: 'system.cpu_util', category: 'system', direction: 'up', critical: false },
  { name: 'container.jvm_heap_pct', category: 'container', direction: 'up', critical: false },
  { name: 'rpc.rt', category: 'middleware', direction: 'up', critical: false },
  { name: 'rpc.qps', category: 'middleware', direction: 'both', critical: false },
  { name: 'app.error_rate', category: 'application', direction: 'up', critical: true },
  { name: 'business.order_count', category: 'business', direction: 'down', critical: false },
];

/** Exceptions every host logs now and then, whatever it runs. */
export const backgroundSignatures: readonly string[] = [
  'com.taobao.hsf.exception.HSFTimeOutException at com.acme.item.ItemClient.query',
  'java.net.SocketTimeoutException at com.acme.cache.TairClient.get',
  'com.acme.trade.InventoryShortException at com.acme.trade.OrderService.reserve',
];

/** Relative traffic at `t` (epoch ms): 0.4…1.6 over the day, peaking at 14:00 UTC+8. */
export function trafficAt(t: number): number {
  const hour = (((t / 3_600_000) % 24) + 8 + 24) % 24;
  return 1 + 0.6 * Math.cos((2 * Math.PI * (hour - 14)) / 24);
}

/**
 * Seeded noise for one (host, minute): a counter-based generator (a 32-bit hash of host seed,
 * minute and draw number), so any point can be recomputed alone and a minute costs no allocation
 * beyond its values — backfilling two days of 200 hosts draws millions of numbers.
 */
class MinuteNoise {
  private draw = 0;
  constructor(private readonly hostSeed: number, private readonly minute: number) {}

  /** Uniform on (0, 1). */
  unit(): number {
    let z = (this.hostSeed ^ Math.imul(this.minute, 0x9e3779b1) ^ Math.imul(++this.draw, 0x85ebca6b)) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (((z ^ (z >>> 15)) >>> 0) + 0.5) / 4294967296;
  }

  /** Standard normal (Box–Muller, one of the pair). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(this.unit())) * Math.cos(2 * Math.PI * this.unit());
  }

  /** Poisson with mean `lambda`: exact below 30, normal approximation above. */
  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    if (lambda >= 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    const limit = Math.exp(-lambda);
    let k = 0;
    let product = this.unit();
    while (product > limit) {
      k++;
      product *= this.unit();
    }
    return k;
  }
}

const hostSeeds = new Map<string, number>();
/** The noise of `host` in the minute starting at `t`, under the fleet's `seed` and a stream name. */
function noiseOf(host: FleetHost, t: number, seed: number, stream: string): MinuteNoise {
  const key = `${seed}\u0000${stream}\u0000${host.name}`;
  let hostSeed = hostSeeds.get(key);
  if (hostSeed === undefined) {
    hostSeed = seedFrom(seed, stream, host.name);
    hostSeeds.set(key, hostSeed);
  }
  return new MinuteNoise(hostSeed, Math.floor(t / MINUTE));
}

/**
 * One host's metrics for the minute starting at `t`, in `fleetMetrics` order. `effect` is the
 * running version's effect (null for a healthy version).
 */
export function sampleMetrics(host: FleetHost, t: number, effect: VersionEffect | null, seed: number): number[] {
  const random = noiseOf(host, t, seed, 'metrics');
  const traffic = trafficAt(t);
  const latency = effect?.latency ?? 1;
  const qps = 120 * host.size * traffic * (1 + 0.04 * random.normal());
  const rt = (18 + 6 * traffic) * host.speed * latency * (1 + 0.05 * random.normal());
  const errors = Math.max(0, (0.4 + (effect?.errorRate ?? 0)) * (1 + 0.1 * random.normal()));
  const cpu = Math.min(100, Math.max(0, 8 + 30 * host.size * traffic * (effect?.cpu ?? 1) + 1.5 * random.normal()));
  const heap = Math.min(100, 52 + 6 * traffic + 1.2 * random.normal());
  // Orders per minute: a share of the requests that succeeded.
  const orders = random.poisson(qps * 60 * 0.01 * (1 - errors / 100));
  // Rounded as agents report them: recorded evaluations keep every point, so digits cost space.
  return [round(cpu, 1), round(heap, 1), round(rt, 2), round(qps, 1), round(errors, 3), orders];
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

/** Whether `host` falls in a `share` of the fleet, drawn per host from the seed and `what`. */
function inShare(host: FleetHost, share: number, seed: number, what: string): boolean {
  return share > 0 && seedFrom(seed, what, host.name) / 2 ** 32 < share;
}

/** Whether `host` is one of those that crash while they run a version with `effect` (see `crashShare`, `crashAfterMinutes`). */
export function crashes(host: FleetHost, effect: VersionEffect | null, seed: number): boolean {
  return effect !== null && inShare(host, effect.crashShare, seed, 'crash');
}

/** Whether `host` is one of those that hang while they run a version with `effect` (see `hangShare`). */
export function hangs(host: FleetHost, effect: VersionEffect | null, seed: number): boolean {
  return effect !== null && inShare(host, effect.hangShare, seed, 'hang');
}

/** Exception events of one host in the minute starting at `t` (counts > 0 only). */
export function sampleLogs(host: FleetHost, t: number, effect: VersionEffect | null, seed: number): CaseLog[] {
  const random = noiseOf(host, t, seed, 'logs');
  const out: CaseLog[] = [];
  const traffic = trafficAt(t);
  backgroundSignatures.forEach((signature, i) => {
    const count = random.poisson(0.08 * (i + 1) * traffic * host.size);
    if (count > 0) out.push({ host: host.name, t, signature, count });
  });
  if (effect && effect.fatal && effect.fatalRate > 0) {
    const count = random.poisson(effect.fatalRate);
    if (count > 0) out.push({ host: host.name, t: t + 1, signature: effect.fatal, count });
  }
  return out;
}
