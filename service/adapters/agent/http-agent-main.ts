/**
 * Runs the HTTP agent server on a host:
 *
 *   SLUICE_AGENT_SECRETS_FILE=/etc/sluice-agent/secrets.json \
 *     npx tsx service/adapters/agent/http-agent-main.ts --port 7070 --bind 10.0.0.5 --dir /var/lib/sluice-agent \
 *       --tls-key /etc/sluice-agent/key.pem --tls-cert /etc/sluice-agent/cert.pem
 *
 * The secrets file is JSON `{ "<key id>": "<secret, 32+ characters>" }` (several ids allow
 * rotation) and must not be readable by others. `SLUICE_AGENT_KEY_ID` + `SLUICE_AGENT_SECRET`
 * is the one-key alternative. Secrets are never taken from the command line (it shows in `ps`),
 * and no `SLUICE_AGENT_*` variable reaches the commands the agent runs.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startHttpAgentServer } from './http-agent-server.js';

function secrets(): Record<string, string> {
  const file = process.env.SLUICE_AGENT_SECRETS_FILE;
  if (file) {
    if ((statSync(file).mode & 0o077) !== 0) throw new Error(`${file} is readable by group or others; chmod 600 it`);
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  }
  const keyId = process.env.SLUICE_AGENT_KEY_ID;
  const secret = process.env.SLUICE_AGENT_SECRET;
  if (keyId && secret) return { [keyId]: secret };
  throw new Error('set SLUICE_AGENT_SECRETS_FILE, or SLUICE_AGENT_KEY_ID and SLUICE_AGENT_SECRET');
}

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '7070' },
    bind: { type: 'string', default: '127.0.0.1' },
    dir: { type: 'string', default: '/var/lib/sluice-agent' },
    name: { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-cert': { type: 'string' },
  },
});

try {
  const tls = values['tls-key'] && values['tls-cert'] ? { key: readFileSync(values['tls-key'], 'utf8'), cert: readFileSync(values['tls-cert'], 'utf8') } : undefined;
  if ((values['tls-key'] === undefined) !== (values['tls-cert'] === undefined)) throw new Error('give both --tls-key and --tls-cert, or neither');
  const server = await startHttpAgentServer({ port: Number(values.port), bind: values.bind, dir: values.dir, secrets: secrets(), ...(values.name ? { hostName: values.name } : {}), ...(tls ? { tls } : {}) });
  console.log(`sluice agent listening on ${server.url} (state in ${values.dir})`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (error) {
  console.error(`sluice agent: ${(error as Error).message}`);
  process.exit(1);
}
