/**
 * Command-safety configuration: the whitelist of main commands with their argv templates, the
 * interception rules, and the per-key limits.
 *
 * A template is an argv array. An element that is exactly `{args}` is replaced by all of the
 * caller's arguments; an element exactly `{0}`, `{1}`, … by that one argument. Arguments are
 * always whole argv elements — never spliced into a string, never seen by a shell. A template
 * without placeholders gets the arguments appended.
 *
 * Example:
 *   {
 *     commands: {
 *       deploy:   { argv: ['/opt/release/bin/deploy', '--version', '{0}'], args: { min: 1, max: 1, pattern: '^[A-Za-z0-9._-]+$' } },
 *       rollback: { argv: ['/opt/release/bin/rollback', '{args}'], risk: 'medium' },
 *       status:   { argv: ['/opt/release/bin/status'], args: { max: 0 } },
 *     },
 *     keys: { 'release-bot': { allowHigh: false } },
 *   }
 */
import { z } from 'zod';
import { parseConfig } from '../../src/core/config.js';
import { limitsSchema } from './limits.js';
import { DEFAULT_RULES, riskSchema, ruleSchema } from './rules.js';

const PLACEHOLDER = /^\{(args|\d+)\}$/;

export const commandSchema = z
  .object({
    /** Program and fixed arguments, with placeholders (see the module comment). */
    argv: z.array(z.string()).min(1, 'needs at least the program'),
    args: z
      .object({
        min: z.number().int().min(0).default(0),
        max: z.number().int().min(0).max(256).default(16),
        /** Every argument must match this regular expression (anchor it yourself). */
        pattern: z
          .string()
          .refine((source) => {
            try {
              new RegExp(source, 'u');
              return true;
            } catch {
              return false;
            }
          }, 'must be a valid regular expression')
          .optional(),
        /** Longest argument, characters. */
        maxLength: z.number().int().min(1).max(65536).default(4096),
      })
      .default({ min: 0, max: 16, maxLength: 4096 }),
    /** The command's own risk; interception rules can only raise it. */
    risk: riskSchema.default('low'),
    description: z.string().optional(),
  })
  .superRefine((command, ctx) => {
    if (PLACEHOLDER.test(command.argv[0])) ctx.addIssue({ code: 'custom', path: ['argv', 0], message: 'the program must be fixed, not a placeholder' });
    const spliced = command.argv.filter((a) => a === '{args}').length;
    if (spliced > 1) ctx.addIssue({ code: 'custom', path: ['argv'], message: '{args} may appear once' });
    for (const [i, element] of command.argv.entries()) {
      const match = PLACEHOLDER.exec(element);
      if (match && match[1] !== 'args' && Number(match[1]) >= command.args.max) {
        ctx.addIssue({ code: 'custom', path: ['argv', i], message: `{${match[1]}} needs args.max above ${match[1]}` });
      }
    }
    if (command.args.min > command.args.max) ctx.addIssue({ code: 'custom', path: ['args', 'min'], message: 'must not exceed args.max' });
  });

export const keyPolicySchema = z.object({
  /** May this key run commands whose resolved risk is `high`? */
  allowHigh: z.boolean().default(false),
  /** Limits for this key, replacing the defaults level by level. */
  limits: limitsSchema.optional(),
});

export const safetyConfigSchema = z.object({
  commands: z
    .record(z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'command names are 1–64 characters of [a-z0-9_-], starting with a letter'), commandSchema)
    .refine((c) => Object.keys(c).length > 0, 'needs at least one command'),
  /** Interception rules; default `DEFAULT_RULES`. */
  rules: z.array(ruleSchema).default(() => DEFAULT_RULES.map((rule) => ruleSchema.parse(rule))),
  /** Rules added to `rules` (keeps the defaults while adding site-specific ones). */
  extraRules: z.array(ruleSchema).default([]),
  /** Limits for every key without its own. */
  limits: limitsSchema.default({
    any: { maxHostsPerCommand: 10_000, maxCommands: 600, windowMs: 60_000 },
    high: { maxHostsPerCommand: 10, maxCommands: 5, windowMs: 3_600_000 },
  }),
  /** Per API key id; `service` is the service acting on its own (no key). */
  keys: z.record(z.string().min(1), keyPolicySchema).default({}),
});

export type SafetyConfig = z.input<typeof safetyConfigSchema>;
export type ParsedSafetyConfig = z.output<typeof safetyConfigSchema>;
export type CommandTemplate = z.output<typeof commandSchema>;

/** Validates the configuration; throws `SluiceError('invalid_config')` naming every bad field. */
export function parseSafetyConfig(input: unknown): ParsedSafetyConfig {
  return parseConfig(safetyConfigSchema, input, 'command safety config');
}
