/**
 * The command gate: what stands between a caller and the agent port. For every command it
 * 1. resolves the main command through the whitelist into argv (unknown command → refused),
 * 2. matches the interception rules on the resolved command line and takes the highest risk,
 * 3. refuses `forbidden` always and `high` unless the caller's key is allowed it,
 * 4. applies the key's host and rate limits,
 * 5. audits the decision (allowed, or refused with its reason) — a command that cannot be
 *    audited does not run — and only then calls the agent, auditing the outcome after.
 *
 * Refusals are data (`{ allowed: false, code, reason }`), not exceptions.
 *
 * Re-sends: the orchestrator re-sends a key it is unsure about (after a crash, a lost answer). A
 * re-send of a key this gate admitted, with the same argv and no new hosts, passes without
 * counting against the limits again (the agent will not run it twice anyway).
 */
import type { Agent, CommandRequest, HostResult } from '../ports/agent.js';
import type { Clock } from '../ports/clock.js';
import { systemClock } from '../ports/clock.js';
import { parseSafetyConfig, type CommandTemplate, type ParsedSafetyConfig, type SafetyConfig } from './config.js';
import { serialQueue } from '../../src/core/serial.js';
import { KeyLimiter, limitLevels, type AdmittedCommand, type Limits } from './limits.js';
import { compileRules, intercept, maxRisk, type Risk } from './rules.js';

/** What the gate writes to the audit log (the shape `store.appendAudit` takes). */
export interface SafetyAuditEntry {
  /** Epoch ms. */
  at: number;
  keyId: string | null;
  action: string;
  target: string;
  result: 'ok' | 'denied' | 'error';
  detail: string;
}

export type AuditSink = (entry: SafetyAuditEntry) => Promise<unknown>;

/** A key's commands admitted at or after `since` (epoch ms), from a record shared by every process. */
export type CommandHistory = (keyId: string | null, since: number) => Promise<AdmittedCommand[]>;

/** The audit actions of an admitted command; its detail starts with its risk and host count. */
const COMMAND_ACTIONS = ['command.run', 'command.start'] as const;

/**
 * The shared record of admitted commands, read back from the audit log the gate writes: so limits
 * hold across a restart and across replicas on one store. Each key's commands are read once and
 * then only the entries appended since (by id), so an admission costs the new entries, not the
 * window. A re-sent key was not counted, and is not counted here. The risk and host count lead
 * each detail, so even a shortened one has them.
 */
export function auditedCommands(listAudit: (query: { keyId: string | null; actions: readonly string[]; result: 'ok'; since: number; afterId: number; limit: number }) => Promise<{ id?: number; at: number; detail?: string | null }[]>): CommandHistory {
  const PAGE = 1000;
  const byKey = new Map<string, { after: number; commands: AdmittedCommand[] }>();
  return async (keyId, since) => {
    const name = keyId === null ? '\u0000service' : keyId;
    const known = byKey.get(name) ?? { after: 0, commands: [] };
    for (;;) {
      const entries = await listAudit({ keyId, actions: COMMAND_ACTIONS, result: 'ok', since, afterId: known.after, limit: PAGE });
      for (const e of entries) {
        if (e.id !== undefined) known.after = Math.max(known.after, e.id);
        const detail = e.detail ?? '';
        if (/^\{"risk":"[a-z]+","hosts":\d+,"resend":true/.test(detail)) continue;
        const risk = /^\{"risk":"(low|medium|high)"/.exec(detail)?.[1] as AdmittedCommand['risk'] | undefined;
        const hosts = /^\{"risk":"[a-z]+","hosts":(\d+)/.exec(detail)?.[1];
        // An entry written otherwise still counts, as a low-risk command on one host.
        known.commands.push({ at: e.at, risk: risk ?? 'low', hosts: hosts === undefined ? 1 : Number(hosts) });
      }
      if (entries.length < PAGE) break;
    }
    known.commands = known.commands.filter((c) => c.at >= since);
    byKey.set(name, known);
    return known.commands;
  };
}

export interface MainCommand {
  /** A whitelisted command name (`deploy`, `rollback`, …). */
  command: string;
  /** The caller's arguments, each becoming one argv element unchanged. */
  args: string[];
}

export type RefusalCode = 'unknown_command' | 'invalid_args' | 'forbidden' | 'high_risk' | 'host_limit' | 'rate_limit' | 'audit_failed';

export type Resolution =
  | { ok: true; argv: string[]; risk: Risk; rules: Array<{ id: string; risk: Risk; description: string }> }
  | { ok: false; code: 'unknown_command' | 'invalid_args'; reason: string };

export type GateOutcome<T> =
  | { allowed: true; argv: string[]; risk: Risk; value: T }
  | { allowed: false; code: RefusalCode; reason: string };

/** Resolves a template with the caller's arguments; see `config.ts` for the placeholder rules. */
export function resolveTemplate(template: CommandTemplate, args: readonly string[]): { ok: true; argv: string[] } | { ok: false; reason: string } {
  const { min, max, pattern, maxLength } = template.args;
  if (args.length < min || args.length > max) return { ok: false, reason: `takes ${min === max ? min : `${min}–${max}`} arguments, got ${args.length}` };
  const matcher = pattern === undefined ? null : new RegExp(pattern, 'u');
  for (const [i, arg] of args.entries()) {
    if (typeof arg !== 'string') return { ok: false, reason: `argument ${i} is not a string` };
    if (arg.includes('\0')) return { ok: false, reason: `argument ${i} contains NUL` };
    if (arg.length > maxLength) return { ok: false, reason: `argument ${i} is longer than ${maxLength} characters` };
    if (matcher && !matcher.test(arg)) return { ok: false, reason: `argument ${i} does not match ${pattern}` };
  }
  const placeholders = template.argv.filter((a) => /^\{(args|\d+)\}$/.test(a));
  if (placeholders.length === 0) return { ok: true, argv: [...template.argv, ...args] };
  const used = new Set<number>();
  const argv: string[] = [];
  let spliced = false;
  for (const element of template.argv) {
    if (element === '{args}') {
      argv.push(...args);
      spliced = true;
      continue;
    }
    const positional = /^\{(\d+)\}$/.exec(element);
    if (!positional) {
      argv.push(element);
      continue;
    }
    const index = Number(positional[1]);
    if (index >= args.length) return { ok: false, reason: `needs argument ${index}` };
    used.add(index);
    argv.push(args[index]);
  }
  if (!spliced && used.size < args.length) return { ok: false, reason: `takes ${used.size} arguments, got ${args.length}` };
  return { ok: true, argv };
}

export interface CommandGate {
  /** Resolves and classifies a command without running, counting or auditing it. */
  resolve(command: MainCommand): Resolution;
  /** Checks, audits and runs; resolves with the hosts' results, or the refusal. */
  run(keyId: string | null, command: MainCommand, request: Omit<CommandRequest, 'argv'>, signal?: AbortSignal): Promise<GateOutcome<HostResult[]>>;
  /** Checks, audits and starts (see `Agent.start`); follow it with `agent.status(key, hosts)`. */
  start(keyId: string | null, command: MainCommand, request: Omit<CommandRequest, 'argv'>): Promise<GateOutcome<void>>;
}

export interface CommandGateOptions {
  agent: Agent;
  config: SafetyConfig;
  /** Usually `store.appendAudit`. */
  audit: AuditSink;
  /**
   * Where the limits count a key's earlier commands (usually `auditedCommands(store.listAudit)`);
   * without it, in this gate's memory (a restart forgets, replicas count apart).
   */
  history?: CommandHistory;
  clock?: Clock;
}

const SERVICE_KEY = 'service';
const MAX_DETAIL = 4000;

/** Builds the gate; throws `SluiceError('invalid_config')` naming a bad configuration field. */
export function createCommandGate(options: CommandGateOptions): CommandGate {
  const config: ParsedSafetyConfig = parseSafetyConfig(options.config);
  const rules = compileRules([...config.rules, ...config.extraRules]);
  const limiter = new KeyLimiter();
  const clock = options.clock ?? systemClock;
  /** Keys admitted earlier: argv and hosts, so a re-send passes without counting again. */
  const admitted = new Map<string, { argv: string; hosts: Set<string> }>();

  const resolve = (command: MainCommand): Resolution => {
    if (!Object.hasOwn(config.commands, command.command)) {
      return { ok: false, code: 'unknown_command', reason: `unknown command ${JSON.stringify(command.command).slice(0, 80)}; allowed: ${Object.keys(config.commands).join(', ')}` };
    }
    const template = config.commands[command.command];
    if (!Array.isArray(command.args)) return { ok: false, code: 'invalid_args', reason: `${command.command}: args must be an array of strings` };
    const resolved = resolveTemplate(template, command.args);
    if (!resolved.ok) return { ok: false, code: 'invalid_args', reason: `${command.command}: ${resolved.reason}` };
    const seen = intercept(resolved.argv, rules);
    return { ok: true, argv: resolved.argv, risk: maxRisk(template.risk, seen.risk), rules: seen.matched };
  };

  const limitsFor = (keyId: string): Limits => ({ ...config.limits, ...(config.keys[keyId]?.limits ?? {}) });

  type Decision = { allowed: true; argv: string[]; risk: Risk; resend: boolean } | { allowed: false; code: RefusalCode; reason: string; argv?: string[]; risk?: Risk; rules?: string[] };

  const decide = (keyId: string, command: MainCommand, request: Omit<CommandRequest, 'argv'>, counted?: readonly AdmittedCommand[]): Decision => {
    const resolved = resolve(command);
    if (!resolved.ok) return { allowed: false, code: resolved.code, reason: resolved.reason };
    const ruleIds = resolved.rules.map((r) => r.id);
    const matchedText = resolved.rules.map((r) => `${r.id} (${r.description})`).join(', ');
    if (resolved.risk === 'forbidden') return { allowed: false, code: 'forbidden', reason: `forbidden: ${matchedText || `${command.command} is forbidden`}`, argv: resolved.argv, risk: resolved.risk, rules: ruleIds };
    if (resolved.risk === 'high' && !config.keys[keyId]?.allowHigh) {
      return { allowed: false, code: 'high_risk', reason: `high risk (${matchedText || `${command.command} is configured high`}) and key ${keyId} is not allowed high-risk commands`, argv: resolved.argv, risk: resolved.risk, rules: ruleIds };
    }
    const memoId = `${keyId}\n${request.key}`;
    const earlier = admitted.get(memoId);
    const argvText = JSON.stringify(resolved.argv);
    if (earlier && earlier.argv === argvText && request.hosts.every((h) => earlier.hosts.has(h))) return { allowed: true, argv: resolved.argv, risk: resolved.risk, resend: true };
    const refusal = limiter.admit(keyId, resolved.risk, request.hosts.length, limitsFor(keyId), clock.now(), counted);
    if (refusal) return { allowed: false, code: refusal.code, reason: refusal.reason, argv: resolved.argv, risk: resolved.risk, rules: ruleIds };
    admitted.set(memoId, { argv: argvText, hosts: new Set([...(earlier?.argv === argvText ? earlier.hosts : []), ...request.hosts]) });
    if (admitted.size > 100_000) admitted.delete(admitted.keys().next().value!);
    return { allowed: true, argv: resolved.argv, risk: resolved.risk, resend: false };
  };

  const detailOf = (fields: Record<string, unknown>) => {
    const text = JSON.stringify(fields);
    return text.length <= MAX_DETAIL ? text : `${text.slice(0, MAX_DETAIL - 1)}…`;
  };

  // One admission at a time in this process: each is audited (counted) before the next reads the record.
  const serially = serialQueue();

  /** Decides and audits; null when the command may go ahead, else the refusal. */
  function admit(keyId: string | null, command: MainCommand, request: Omit<CommandRequest, 'argv'>, how: 'run' | 'start'): Promise<GateOutcome<never> | { allowed: true; argv: string[]; risk: Risk }> {
    return serially(() => admitNow(keyId, command, request, how));
  }

  async function admitNow(keyId: string | null, command: MainCommand, request: Omit<CommandRequest, 'argv'>, how: 'run' | 'start'): Promise<GateOutcome<never> | { allowed: true; argv: string[]; risk: Risk }> {
    const limitKey = keyId ?? SERVICE_KEY;
    const action = `command.${how}`;
    const hostsSample = request.hosts.slice(0, 20);
    const common = { command: command.command, args: command.args, hosts: request.hosts.length, hostsSample, timeoutMs: request.timeoutMs };
    const limits = limitsFor(limitKey);
    const longest = Math.max(0, ...limitLevels.map((level) => limits[level]?.windowMs ?? 0));
    let earlier: AdmittedCommand[] | undefined;
    if (options.history && longest > 0) {
      try {
        earlier = await options.history(keyId, clock.now() - longest);
      } catch (error) {
        const reason = `not run: the key's earlier commands could not be read for its limits (${(error as Error).message})`;
        await options.audit({ at: clock.now(), keyId, action, target: request.key, result: 'denied', detail: detailOf({ ...common, code: 'audit_failed', reason }) }).catch(() => undefined);
        return { allowed: false, code: 'audit_failed', reason };
      }
    }
    const decision = decide(limitKey, command, request, earlier);
    if (!decision.allowed) {
      await options
        .audit({ at: clock.now(), keyId, action, target: request.key, result: 'denied', detail: detailOf({ ...common, code: decision.code, reason: decision.reason, argv: decision.argv, risk: decision.risk, rules: decision.rules }) })
        .catch(() => undefined);
      return { allowed: false, code: decision.code, reason: decision.reason };
    }
    try {
      // Risk and host count first (see auditedCommands): a shortened detail still has them.
      await options.audit({ at: clock.now(), keyId, action, target: request.key, result: 'ok', detail: detailOf({ risk: decision.risk, hosts: common.hosts, ...(decision.resend ? { resend: true } : {}), command: common.command, args: common.args, hostsSample, timeoutMs: common.timeoutMs, argv: decision.argv }) });
    } catch (error) {
      return { allowed: false, code: 'audit_failed', reason: `not run: the decision could not be audited (${(error as Error).message})` };
    }
    return { allowed: true, argv: decision.argv, risk: decision.risk };
  }

  return {
    resolve,

    async run(keyId, command, request, signal) {
      const admission = await admit(keyId, command, request, 'run');
      if (!admission.allowed) return admission;
      const results = await options.agent.run({ ...request, argv: admission.argv }, signal);
      const counts: Record<string, number> = {};
      for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
      const failed = results.filter((r) => r.status !== 'ok').slice(0, 20).map((r) => ({ host: r.host, status: r.status, exitCode: r.exitCode }));
      await options
        .audit({ at: clock.now(), keyId, action: 'command.result', target: request.key, result: failed.length === 0 ? 'ok' : 'error', detail: detailOf({ command: command.command, counts, failed }) })
        .catch(() => undefined);
      return { allowed: true, argv: admission.argv, risk: admission.risk, value: results };
    },

    async start(keyId, command, request) {
      const admission = await admit(keyId, command, request, 'start');
      if (!admission.allowed) return admission;
      await options.agent.start({ ...request, argv: admission.argv });
      return { allowed: true, argv: admission.argv, risk: admission.risk, value: undefined };
    },
  };
}
