/**
 * What `deploy` and `rollback` mean on a simulated host: small shell programs that check the
 * artifact the P2P preheat put in the host's folder and then write the version into the
 * `deployed-version` file (through a temporary file and a rename, so a reader never sees half a
 * version). The order's arguments reach them unchanged as positional parameters — no argument is
 * ever pasted into the script text.
 *
 * `fleetSafetyConfig` is the command-safety whitelist for the fleet (`safety` in the service's
 * configuration): every command runs through the safety layer's checks and audit like any other.
 */
import type { SafetyConfig } from '../safety/index.js';
import { VERSION_FILE } from './fleet.js';

// $0 names the command in error messages; $1… are the order's arguments.
const deployScript = [
  'set -e',
  'hex="${3#sha256:}"',
  'if [ ! -f "artifacts/$hex" ]; then echo "artifact $3 is not on this host (preheat it first)" >&2; exit 3; fi',
  `printf %s "$2" > ${VERSION_FILE}.tmp`,
  `mv ${VERSION_FILE}.tmp ${VERSION_FILE}`,
].join('\n');

const rollbackScript = [
  'set -e',
  'if [ -z "$2" ]; then echo "no version to roll back to" >&2; exit 2; fi',
  `printf %s "$2" > ${VERSION_FILE}.tmp`,
  `mv ${VERSION_FILE}.tmp ${VERSION_FILE}`,
].join('\n');

/** Versions, app names and digests: plain tokens, so nothing an argument holds can surprise the script. */
const TOKEN = '^[A-Za-z0-9][A-Za-z0-9._:+-]{0,199}$';

/**
 * The fleet's main commands with the order's default arguments: `deploy {app} {version} {digest}`
 * and `rollback {app} {previousVersion}`.
 */
export const fleetSafetyConfig: SafetyConfig = {
  commands: {
    deploy: { argv: ['sh', '-c', deployScript, 'deploy', '{args}'], args: { min: 3, max: 3, pattern: TOKEN }, description: 'deploy <app> <version> <digest>: install the preheated artifact' },
    rollback: { argv: ['sh', '-c', rollbackScript, 'rollback', '{args}'], args: { min: 2, max: 2, pattern: TOKEN }, risk: 'medium', description: 'rollback <app> <version>: return to that version' },
  },
};
