#!/usr/bin/env node
// Loads the TypeScript CLI in this same process through tsx's loader, so signals (and a SIGKILL)
// reach the service itself.
import { register } from 'tsx/esm/api';

register();
try {
  const { runReporting } = await import('../cli.ts');
  process.exitCode = await runReporting(process.argv.slice(2));
} catch (error) {
  // Only loading the CLI itself can land here (a command's errors are reported by runReporting).
  console.error(`sluice: ${error instanceof Error ? error.message : String(error)}`);
  if (process.env.SLUICE_DEBUG === '1' && error instanceof Error) console.error(error.stack);
  process.exitCode = 1;
}
