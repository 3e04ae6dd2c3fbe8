/**
 * The small argument parser every subcommand uses: `--name value`, `--flag`, `--name=value`, and
 * positionals. Unknown options are an error that names them.
 */
export interface ParsedArgs {
  positionals: string[];
  options: Record<string, string | true>;
}

export function parseArgs(argv: string[], known: { flags?: string[]; values?: string[] }): ParsedArgs {
  const flags = new Set(known.flags ?? []);
  const values = new Set(known.values ?? []);
  const out: ParsedArgs = { positionals: [], options: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      out.positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (flags.has(name)) out.options[name] = true;
    else if (values.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`option --${name} needs a value`);
      out.options[name] = value;
    } else throw new Error(`unknown option --${name}`);
  }
  return out;
}

export const optionString = (args: ParsedArgs, name: string): string | undefined => {
  const v = args.options[name];
  return typeof v === 'string' ? v : undefined;
};
