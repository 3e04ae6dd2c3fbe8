/**
 * A process that opens a local fleet and runs one command, for the crash tests: they SIGKILL it
 * while the command runs and reopen the same root. Arguments: <root> <host> <key> <argv…>.
 */
import { localFleet } from './local.js';

const [root, host, key, ...argv] = process.argv.slice(2);
const fleet = localFleet({ root, hosts: [host] });
const results = await fleet.run({ key, argv, hosts: [host], timeoutMs: 60_000 });
process.stdout.write(`${JSON.stringify(results)}\n`);
