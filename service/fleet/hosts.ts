/**
 * The simulated fleet's layout: hosts spread evenly over datacenters and, within each, over
 * groups, each with its own size (share of traffic) and speed, so that no two hosts draw the
 * same curve (the gate must cope with heterogeneous hosts, as in a real fleet).
 */
import { createRandom, seedFrom } from '../../src/core/random.js';

export interface FleetHost {
  /** `app-<datacenter>-<index>` */
  name: string;
  datacenter: string;
  group: string;
  /** Relative capacity, about 1 (log-normal): scales traffic and CPU. */
  size: number;
  /** Relative latency, about 1 (log-normal): older or busier machines answer slower. */
  speed: number;
}

export const defaultDatacenters = ['et2', 'na61', 'su18', 'eu13'] as const;

export interface FleetLayout {
  hosts: number;
  datacenters?: readonly string[];
  /** Groups per datacenter (default 2). */
  groupsPerDatacenter?: number;
  seed?: number;
}

/** Lays out `hosts` hosts round-robin over the datacenters, then over each datacenter's groups. */
export function layoutFleet(layout: FleetLayout): FleetHost[] {
  const datacenters = layout.datacenters ?? defaultDatacenters;
  const groups = layout.groupsPerDatacenter ?? 2;
  if (!(Number.isInteger(layout.hosts) && layout.hosts >= 1)) throw new RangeError(`hosts must be a positive integer, got ${layout.hosts}`);
  if (datacenters.length === 0) throw new RangeError('datacenters must not be empty');
  const random = createRandom(seedFrom('fleet-layout', layout.seed ?? 1));
  return Array.from({ length: layout.hosts }, (_, i) => {
    const datacenter = datacenters[i % datacenters.length];
    const group = `${datacenter}-g${Math.floor(i / datacenters.length) % groups}`;
    return { name: `app-${datacenter}-${String(i).padStart(3, '0')}`, datacenter, group, size: random.logNormal(0, 0.1), speed: random.logNormal(0, 0.05) };
  });
}
