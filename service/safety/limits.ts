/**
 * Per-key limits on commands: how many hosts one command may reach, and how many commands (and
 * hosts in total) a key may send within a sliding window — separately for every risk level and
 * for all levels together (`any`). A command at level L is counted against `any` and against L.
 *
 * State is in memory, per service process: a restart forgets the window (the limit is a brake on
 * a runaway caller, not an accounting record; the audit log is the record).
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

/** Sliding-window counters per key and level. */
export class KeyLimiter {
  private readonly sent = new Map<string, Sent[]>();

  /**
   * Checks a command of `risk` reaching `hosts` hosts at time `now` against `limits`; records it
   * when allowed. Returns the first limit it breaks, or null.
   */
  admit(keyId: string, risk: Exclude<Risk, 'forbidden'>, hosts: number, limits: Limits, now: number): LimitRefusal | null {
    const levels: LimitLevel[] = ['any', risk];
    for (const level of levels) {
      const limit = limits[level];
      if (!limit) continue;
      if (hosts > limit.maxHostsPerCommand) {
        return { code: 'host_limit', level, reason: `${hosts} hosts exceed the ${level === 'any' ? '' : `${level}-risk `}limit of ${limit.maxHostsPerCommand} hosts per command for key ${keyId}` };
      }
      const window = this.window(keyId, level, now - limit.windowMs);
      if (window.length >= limit.maxCommands) {
        return { code: 'rate_limit', level, reason: `key ${keyId} already sent ${window.length} ${level === 'any' ? '' : `${level}-risk `}commands in the last ${limit.windowMs / 1000} s (limit ${limit.maxCommands})` };
      }
      const hostsInWindow = window.reduce((sum, s) => sum + s.hosts, 0);
      if (limit.maxHostsPerWindow !== undefined && hostsInWindow + hosts > limit.maxHostsPerWindow) {
        return { code: 'rate_limit', level, reason: `key ${keyId} would reach ${hostsInWindow + hosts} hosts with ${level === 'any' ? '' : `${level}-risk `}commands in ${limit.windowMs / 1000} s (limit ${limit.maxHostsPerWindow})` };
      }
    }
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
