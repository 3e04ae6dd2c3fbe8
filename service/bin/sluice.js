#!/usr/bin/env node
// Loads the TypeScript CLI in this same process through tsx's loader, so signals (and a SIGKILL)
// reach the service itself.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../cli.ts');
const code = await run(process.argv.slice(2));
process.exitCode = code;
