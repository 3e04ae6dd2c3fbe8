/**
 * The `sluice` command line: one dispatcher, one module per subcommand under `commands/`.
 * Each command module exports `main(argv) → exit code`, so commands stay testable without a process.
 */
import { pathToFileURL } from 'node:url';

type CommandMain = (argv: string[]) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<{ main: CommandMain }> }> = {
  serve: { summary: 'start the HTTP service', load: () => import('./commands/serve.js') },
  demo: { summary: 'run the main job on the embedded defaults', load: () => import('./commands/demo.js') },
  dataset: { summary: 'generate, convert or validate case datasets', load: () => import('./commands/dataset.js') },
  replay: { summary: 'replay a labeled dataset with a gate configuration and print its accuracy', load: () => import('./commands/replay.js') },
  nab: { summary: 'run a detector over the NAB corpus and score it', load: () => import('./commands/nab.js') },
  gate: { summary: "wait for a release batch's verdict; exit 0 PASS, 1 FAIL, 2 INCONCLUSIVE (for CI pipelines)", load: () => import('./commands/gate.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: sluice <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'sluice <command> --help' for a command's options.`;
}

/**
 * The one line an error thrown by a command prints: `sluice: <message>` (a zod error as its first
 * issue's path and reason, other errors' text on one line). The stack only with `SLUICE_DEBUG=1`.
 */
export function errorReport(error: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const debug = env.SLUICE_DEBUG === '1';
  const issues = (error as { issues?: { path?: PropertyKey[]; message?: string }[] } | null)?.issues;
  let message: string;
  if (error instanceof Error && error.name === 'ZodError' && Array.isArray(issues) && issues.length > 0) {
    const [first] = issues;
    message = `${(first.path ?? []).map(String).join('.') || '(input)'}: ${first.message ?? 'invalid'}`;
  } else if (error instanceof Error) message = error.message;
  else message = String(error);
  const line = `sluice: ${message.replace(/\s*\n\s*/g, ' ').trim() || (error instanceof Error ? error.name : 'error')}`;
  return debug && error instanceof Error && error.stack ? `${line}\n${error.stack}` : line;
}

/**
 * Runs the CLI and never throws: an error from a command is printed as `errorReport` says and
 * gives exit code 1.
 */
export async function runReporting(argv: string[], print: (line: string) => void = (line) => console.error(line)): Promise<number> {
  try {
    return await run(argv);
  } catch (error) {
    print(errorReport(error));
    return 1;
  }
}

/** Runs the CLI with `argv` (without node and script) and returns the process exit code. */
export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`sluice: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const mod = await command.load();
  return mod.main(rest);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runReporting(process.argv.slice(2));
}
