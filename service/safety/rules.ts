/**
 * High-risk command interception: regular expressions matched on the resolved command line
 * (argv joined by spaces, so `sh -c '…'` scripts are seen too). Each rule carries a risk level;
 * the gate refuses `high` unless the caller's key is allowed it, and `forbidden` always.
 *
 * This is a second line of defence behind the whitelist, not a parser: a determined script can
 * spell `rm` in ways no expression catches. Its job is to stop the ordinary catastrophic typo or
 * template mistake, and to make risky-but-legitimate commands need an allowed key.
 */
import { z } from 'zod';

export const riskLevels = ['low', 'medium', 'high', 'forbidden'] as const;
export type Risk = (typeof riskLevels)[number];
export const riskSchema = z.enum(riskLevels);

export const riskRank = (risk: Risk) => riskLevels.indexOf(risk);
export const maxRisk = (a: Risk, b: Risk): Risk => (riskRank(a) >= riskRank(b) ? a : b);

export const ruleSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'rule ids are 1–64 characters of [a-z0-9-]'),
  /** JavaScript regular expression source, matched on the command line. */
  pattern: z.string().refine((source) => {
    try {
      new RegExp(source, 'u');
      return true;
    } catch {
      return false;
    }
  }, 'must be a valid regular expression'),
  /** Flags besides `u` (e.g. `i`). */
  flags: z.string().regex(/^(?!.*(.).*\1)[ims]*$/, 'flags are any of i, m, s, each once').default(''),
  risk: riskSchema,
  description: z.string().min(1),
});
export type Rule = z.input<typeof ruleSchema>;

/** Paths whose recursive deletion or permission change breaks a host. */
const SYSTEM_PATH = String.raw`(?:\/|\/\*|~\/?|\$HOME\/?|\/(?:bin|boot|dev|etc|home|lib|lib64|opt|proc|root|sbin|srv|sys|usr|var)\/?\*?)`;
/** End of a word on the command line: whitespace, a shell separator or the end. */
const END = String.raw`(?=$|[\s;&|)'"])`;

/** The default interception rules; operators add their own (`extraRules`) or replace these. */
export const DEFAULT_RULES: Rule[] = [
  {
    id: 'rm-recursive-system-path',
    // rm with a recursive flag anywhere before a system path (own flags may be split or long).
    pattern: String.raw`\brm\s+(?:[^;&|\n]*\s)?(?:-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)\s+(?:[^;&|\n]*\s)?["']?${SYSTEM_PATH}${END}`,
    risk: 'high',
    description: 'recursive delete of / or a system directory',
  },
  { id: 'rm-no-preserve-root', pattern: String.raw`\brm\b[^;&|\n]*--no-preserve-root`, risk: 'high', description: 'rm told to delete /' },
  { id: 'mkfs', pattern: String.raw`\bmkfs(?:\.[a-z0-9]+)?\b|\bmke2fs\b|\bwipefs\b`, risk: 'high', description: 'formats a filesystem' },
  { id: 'dd-to-device', pattern: String.raw`\bdd\b[^;&|\n]*\bof=\/dev\/`, risk: 'high', description: 'dd writing onto a device' },
  { id: 'redirect-to-disk', pattern: String.raw`>\s*\/dev\/(?:sd[a-z]|nvme\d|hd[a-z]|xvd[a-z]|vd[a-z]|mmcblk\d)`, risk: 'high', description: 'output redirected onto a disk device' },
  { id: 'shutdown-reboot', pattern: String.raw`(?:^|[\s;&|/])(?:shutdown|reboot|halt|poweroff)${END}|\binit\s+[06]${END}|\bsystemctl\s+(?:reboot|poweroff|halt|kexec)\b`, risk: 'high', description: 'stops or restarts the host' },
  // A function that pipes into itself: `:(){ :|:& };:`, or any name for `:`.
  { id: 'fork-bomb', pattern: String.raw`([\w:]+)\s*\(\s*\)\s*\{[^}]*\1\s*\|\s*\1`, risk: 'high', description: 'fork bomb' },
  { id: 'find-delete-system-path', pattern: String.raw`\bfind\s+["']?${SYSTEM_PATH}\s[^;&|\n]*(?:-delete\b|-exec\s+rm\b)`, risk: 'high', description: 'find deleting under / or a system directory' },
  {
    id: 'chmod-recursive-system-path',
    pattern: String.raw`\bch(?:mod|own)\s+(?:[^;&|\n]*\s)?(?:-[a-zA-Z]*R[a-zA-Z]*|--recursive)\s+(?:[^;&|\n]*\s)?["']?${SYSTEM_PATH}${END}`,
    risk: 'high',
    description: 'recursive permission or owner change of / or a system directory',
  },
  { id: 'kill-all', pattern: String.raw`\bkill\s+(?:-\w+\s+)*-1${END}|\bkillall5\b`, risk: 'high', description: 'signals every process' },
  { id: 'firewall-flush', pattern: String.raw`\b(?:iptables|ip6tables)\s+(?:-\w+\s+)*(?:-F|--flush)\b|\bnft\s+flush\s+ruleset\b`, risk: 'medium', description: 'flushes firewall rules' },
  { id: 'pipe-to-shell', pattern: String.raw`\b(?:curl|wget)\b[^;&\n]*\|\s*(?:sudo\s+)?(?:ba|da|z)?sh\b`, risk: 'medium', description: 'runs a downloaded script' },
];

export interface CompiledRule {
  id: string;
  risk: Risk;
  description: string;
  regex: RegExp;
}

/** Compiles validated rules once. */
export function compileRules(rules: z.output<typeof ruleSchema>[]): CompiledRule[] {
  return rules.map((rule) => ({ id: rule.id, risk: rule.risk, description: rule.description, regex: new RegExp(rule.pattern, `u${rule.flags}`) }));
}

export interface Interception {
  /** The highest level among matched rules; `low` when none matched. */
  risk: Risk;
  matched: Array<{ id: string; risk: Risk; description: string }>;
}

/** Matches every rule on the command line argv makes. */
export function intercept(argv: readonly string[], rules: readonly CompiledRule[]): Interception {
  const line = argv.join(' ');
  const matched = rules.filter((rule) => rule.regex.test(line)).map(({ id, risk, description }) => ({ id, risk, description }));
  return { risk: matched.reduce<Risk>((acc, rule) => maxRisk(acc, rule.risk), 'low'), matched };
}
