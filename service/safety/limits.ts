/**
 * Per-key limits on commands: how many hosts one command may reach, and how many commands (and
 * hosts in total) a key may send within a sliding window — separately for every risk level and
 * for all levels together (`any`). A command at level L is counted against `any` and against L.
 *
 * The commands counted come from the caller when it has a shared record (the service passes the
 * key's admitted commands from the audit log, so limits hold across restarts and across replicas
 * sharing a store); otherwise they are kept in memory, per process.
 */
import { z } from 'zod';
import type { Risk } from './rules.js';

export const levelLimitSchema = z.object({
  /** Hosts one command may target. */
  maxHostsPerCommand: z.number().int().min(1),
  /** Commands per window. */
  maxCommands: z.number().int().min(1),
  /** Hosts summed over the commands in the window; unlimited when absent. */
  maxHostsPerWindow: z.number().int().min(1).optional(),
  /** Window length, ms. */
  windowMs: z.number().int().min(1000).max(7 * 24 * 3600 * 1000),
});
export type LevelLimit = z.output<typeof levelLimitSchema>;

export const limitLevels = ['any', 'low', 'medium', 'high'] as const;
export type LimitLevel = (typeof limitLevels)[number];

export const limitsSchema = z.object({
  any: levelLimitSchema.optional(),
  low: levelLimitSchema.optional(),
  medium: levelLimitSchema.optional(),
  high: levelLimitSchema.optional(),
});
export type Limits = z.output<typeof limitsSchema>;

export type LimitRefusal = { code: 'host_limit' | 'rate_limit'; level: LimitLevel; reason: string };

interface Sent {
  at: number;
  hosts: number;
}

/** A command admitted earlier, as the shared record tells it. */
export interface AdmittedCommand extends Sent {
  risk: Exclude<Risk, 'forbidden'>;
}

/** Sliding-window counters per key and level. */
export class KeyLimiter {
  private readonly sent = new Map<string, Sent[]>();

  /**
   * Checks a command of `risk` reaching `hosts` hosts at time `now` against `limits`. With
   * `earlier` (the key's admitted commands from a shared record, covering the longest window) the
   * windows are counted from it; without, from this limiter's memory, which records the command
   * when allowed. Returns the first limit it breaks, or null.
   */
  admit(keyId: string, risk: Exclude<Risk, 'forbidden'>, hosts: number, limits: Limits, now: number, earlier?: readonly AdmittedCommand[]): LimitRefusal | null {
    const levels: LimitLevel[] = ['any', risk];
    for (const level of levels) {
      const limit = limits[level];
      if (!limit) continue;
      if (hosts > limit.maxHostsPerCommand) {
        return { code: 'host_limit', level, reason: `${hosts} hosts exceed the ${level === 'any' ? '' : `${level}-risk `}limit of ${limit.maxHostsPerCommand} hosts per command for key ${keyId}` };
      }
      const since = now - limit.windowMs;
      const window = earlier ? earlier.filter((c) => c.at > since && (level === 'any' || c.risk === level)) : this.window(keyId, level, since);
      if (window.length >= limit.maxCommands) {
        return { code: 'rate_limit', level, reason: `key ${keyId} already sent ${window.length} ${level === 'any' ? '' : `${level}-risk `}commands in the last ${limit.windowMs / 1000} s (limit ${limit.maxCommands})` };
      }
      const hostsInWindow = window.reduce((sum, s) => sum + s.hosts, 0);
      if (limit.maxHostsPerWindow !== undefined && hostsInWindow + hosts > limit.maxHostsPerWindow) {
        return { code: 'rate_limit', level, reason: `key ${keyId} would reach ${hostsInWindow + hosts} hosts with ${level === 'any' ? '' : `${level}-risk `}commands in ${limit.windowMs / 1000} s (limit ${limit.maxHostsPerWindow})` };
      }
    }
    if (earlier) return null;
    for (const level of levels) {
      if (!limits[level]) continue;
      const id = `${keyId}\n${level}`;
      const list = this.sent.get(id) ?? [];
      list.push({ at: now, hosts });
      this.sent.set(id, list);
    }
    return null;
  }

  private window(keyId: string, level: LimitLevel, since: number): Sent[] {
    const id = `${keyId}\n${level}`;
    const list = this.sent.get(id);
    if (!list) return [];
    // Entries are in time order: drop the expired prefix.
    let expired = 0;
    while (expired < list.length && list[expired].at <= since) expired++;
    if (expired > 0) list.splice(0, expired);
    if (list.length === 0) this.sent.delete(id);
    return list;
  }
}
