/**
 * The release order: what to release where, how to batch it, how long to watch each batch, and
 * what to do when hosts fail. `resolveOrder` fills the environment's defaults in once, when the
 * order arrives, so the stored order says exactly what the orchestrator will do.
 */
import { z } from 'zod';
import { metricCategories } from '../../src/datasets/case.js';

export const environments = ['test', 'staging', 'production', 'beta'] as const;
export type Environment = (typeof environments)[number];

/** Placeholders a command's arguments may name; they are replaced by the order's values. */
export const commandPlaceholders = ['app', 'version', 'previousVersion', 'digest', 'url', 'release'] as const;

const commandSchema = z.object({
  /** A main command of the command whitelist (e.g. `deploy`); the safety layer maps it to the real program. */
  command: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a main command name: lower-case letters, digits, _ and -'),
  /** Arguments, passed unchanged after placeholders like `{version}` are replaced. */
  args: z.array(z.string().max(1000)).max(64),
});
export type CommandSpec = z.output<typeof commandSchema>;

const tolerateSchema = z.union([
  z.number().int().min(0),
  z.string().regex(/^\d+(\.\d+)?%$/, 'must be a host count or a percentage like "10%"'),
]);

export const releaseOrderSchema = z.object({
  id: z.string().min(1).max(120).regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-"').optional(),
  app: z.string().min(1).max(200),
  environment: z.enum(environments),
  version: z.string().min(1).max(200),
  /** The version a rollback returns to. */
  previousVersion: z.string().min(1).max(200).optional(),
  artifact: z.object({ url: z.url(), digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>') }),
  hosts: z.array(z.object({ name: z.string().min(1), datacenter: z.string().min(1), group: z.string().min(1).optional() })).min(1).max(100_000),
  batching: z.discriminatedUnion('by', [
    z.object({ by: z.literal('datacenter'), batches: z.number().int().min(1) }),
    z.object({ by: z.literal('group'), batches: z.number().int().min(1) }),
    z.object({ by: z.literal('count'), size: z.number().int().min(1) }),
    z.object({ by: z.literal('percentage'), percent: z.number().gt(0).max(100) }),
  ]),
  /** `sluice` drives the rollout; `external`: a deployment system drives it and reports events. */
  driver: z.enum(['sluice', 'external']).default('sluice'),
  /** Default by environment: production and beta pause after the first batch, test and staging never. */
  pause: z.enum(['after-first', 'after-every', 'never']).optional(),
  observationMinutes: z.number().int().min(1).max(24 * 60).default(10),
  /** How much history before a batch's deploy the gate forecasts from (default two days). */
  historyMinutes: z.number().int().min(60).max(60 * 24 * 60).default(2 * 24 * 60),
  scheduledAt: z.number().int().optional(),
  commands: z.object({
    deploy: commandSchema.default({ command: 'deploy', args: ['{app}', '{version}', '{digest}'] }),
    rollback: commandSchema.default({ command: 'rollback', args: ['{app}', '{previousVersion}'] }),
    /** Per host, seconds. */
    timeoutSeconds: z.number().int().min(1).max(24 * 3600).default(600),
  }).default({ deploy: { command: 'deploy', args: ['{app}', '{version}', '{digest}'] }, rollback: { command: 'rollback', args: ['{app}', '{previousVersion}'] }, timeoutSeconds: 600 }),
  /** What to do with hosts the agent cannot deploy; defaults by environment. */
  agentFailures: z.object({
    retries: z.number().int().min(0).max(10).default(2),
    tolerateFailedHosts: tolerateSchema.optional(),
    onExceed: z.enum(['pause', 'rollback']).optional(),
  }).optional(),
  metrics: z.array(z.object({ name: z.string().min(1), category: z.enum(metricCategories), direction: z.enum(['up', 'down', 'both']), critical: z.boolean().default(false) })).default([]),
  policy: z.record(z.string(), z.unknown()).optional(),
}).superRefine((order, ctx) => {
  const seen = new Set<string>();
  order.hosts.forEach((h, i) => {
    if (seen.has(h.name)) ctx.addIssue({ code: 'custom', path: ['hosts', i, 'name'], message: `host "${h.name}" is listed twice` });
    seen.add(h.name);
  });
  for (const which of ['deploy', 'rollback'] as const) {
    order.commands[which].args.forEach((arg, i) => {
      for (const match of arg.matchAll(/\{([A-Za-z]+)\}/g)) {
        if (!(commandPlaceholders as readonly string[]).includes(match[1])) {
          ctx.addIssue({ code: 'custom', path: ['commands', which, 'args', i], message: `unknown placeholder {${match[1]}}; known: ${commandPlaceholders.map((p) => `{${p}}`).join(', ')}` });
        } else if (match[1] === 'previousVersion' && order.previousVersion === undefined && order.driver === 'sluice') {
          ctx.addIssue({ code: 'custom', path: ['previousVersion'], message: `required: the ${which} command names {previousVersion}` });
        }
      }
    });
  }
});
export type ReleaseOrderInput = z.input<typeof releaseOrderSchema>;
export type ParsedOrder = z.output<typeof releaseOrderSchema>;

export interface AgentFailurePolicy {
  retries: number;
  tolerateFailedHosts: number | string;
  onExceed: 'pause' | 'rollback';
}

/** An order with every default filled in, as stored. */
export type ReleaseOrder = Omit<ParsedOrder, 'pause' | 'agentFailures'> & {
  pause: 'after-first' | 'after-every' | 'never';
  agentFailures: AgentFailurePolicy;
};

const environmentDefaults: Record<Environment, { pause: ReleaseOrder['pause']; tolerateFailedHosts: number | string; onExceed: 'pause' | 'rollback' }> = {
  production: { pause: 'after-first', tolerateFailedHosts: 0, onExceed: 'pause' },
  beta: { pause: 'after-first', tolerateFailedHosts: 0, onExceed: 'pause' },
  staging: { pause: 'never', tolerateFailedHosts: '10%', onExceed: 'pause' },
  test: { pause: 'never', tolerateFailedHosts: '25%', onExceed: 'rollback' },
};

/** Fills in what the order left to its environment (pause strategy, agent failure policy). */
export function resolveOrder(order: ParsedOrder): ReleaseOrder {
  const d = environmentDefaults[order.environment];
  return {
    ...order,
    pause: order.pause ?? d.pause,
    agentFailures: {
      retries: order.agentFailures?.retries ?? 2,
      tolerateFailedHosts: order.agentFailures?.tolerateFailedHosts ?? d.tolerateFailedHosts,
      onExceed: order.agentFailures?.onExceed ?? d.onExceed,
    },
  };
}

/** How many failed hosts the policy tolerates out of `total` (a percentage rounds down). */
export function toleratedHosts(policy: AgentFailurePolicy, total: number): number {
  if (typeof policy.tolerateFailedHosts === 'number') return policy.tolerateFailedHosts;
  return Math.floor((Number.parseFloat(policy.tolerateFailedHosts) / 100) * total);
}

/** The order's command as a main command for the safety layer: placeholders replaced by the order's values. */
export function mainCommand(spec: CommandSpec, order: ReleaseOrder, releaseId: string): { command: string; args: string[] } {
  const values: Record<string, string> = {
    app: order.app, version: order.version, previousVersion: order.previousVersion ?? '', digest: order.artifact.digest, url: order.artifact.url, release: releaseId,
  };
  return { command: spec.command, args: spec.args.map((arg) => arg.replace(/\{([A-Za-z]+)\}/g, (_, name: string) => values[name] ?? '')) };
}
