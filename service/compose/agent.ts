/**
 * The command channel the service configuration asks for: `none`, the local-process fleet, SSH
 * or the HTTP agent protocol. Private keys, passphrases and shared secrets are read from files
 * (or, for the HTTP secret, an environment variable) named in the configuration, never written
 * in it; errors name the field under `agent.` and never quote a secret.
 *
 *   { "kind": "ssh", "hosts": { "web-1": { "host": "10.0.0.5", "username": "deploy",
 *     "privateKeyPath": "/etc/sluice/deploy_ed25519", "hostKeyFingerprints": ["SHA256:…"] } } }
 *   { "kind": "http", "hosts": { "web-1": "https://web-1:7070" }, "keyId": "ops",
 *     "secretFile": "/etc/sluice/agent.secret", "caFile": "/etc/sluice/agents-ca.pem" }
 */
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SluiceError } from '../../src/core/errors.js';
import { httpAgent } from '../adapters/agent/http-agent.js';
import { localFleet } from '../adapters/agent/local.js';
import { sshAgent } from '../adapters/agent/ssh.js';
import { noAgent } from '../orchestrator/unconfigured.js';
import type { Agent } from '../ports/agent.js';
import { readSecretEnv, readSecretFile, refuseInline, underField } from './secrets.js';

/** `kind` picks the adapter; the rest is that adapter's options (validated by it, fields named). */
export const agentConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('local'), root: z.string().optional(), hosts: z.array(z.string().min(1)).min(1) }),
  // See sshAgentOptionsSchema; per host `privateKeyPath` and optionally `passphraseFile`.
  z.looseObject({ kind: z.literal('ssh'), hosts: z.record(z.string(), z.looseObject({})) }),
  // See httpAgentOptionsSchema; `secretFile` or `secretEnv` instead of `secret`, `caFile` instead of `ca`.
  z.looseObject({ kind: z.literal('http'), secretFile: z.string().min(1).optional(), secretEnv: z.string().min(1).optional(), caFile: z.string().min(1).optional() }),
]);
export type AgentConfig = z.output<typeof agentConfigSchema>;

/** Builds the configured agent; `dataDir` roots a relative local fleet. Throws `SluiceError('invalid_config')`. */
export function createAgent(config: AgentConfig, dataDir: string): Agent {
  switch (config.kind) {
    case 'none':
      return noAgent;
    case 'local':
      return localFleet({ root: fleetRoot(config.root, dataDir), hosts: config.hosts });
    case 'ssh':
      return sshFromConfig(config);
    case 'http':
      return httpFromConfig(config);
  }
}

/** The local fleet's folder: `root`, or `<dataDir>/fleet`. */
export function fleetRoot(root: string | undefined, dataDir: string): string {
  return resolve(root ?? join(dataDir, 'fleet'));
}

function sshFromConfig(config: Extract<AgentConfig, { kind: 'ssh' }>): Agent {
  const { kind: _kind, hosts, ...rest } = config;
  const resolved: Record<string, Record<string, unknown>> = {};
  for (const [name, host] of Object.entries(hosts)) {
    const field = `agent.hosts.${name}`;
    refuseInline(host, 'privateKey', `${field}.privateKey`, 'give privateKeyPath (a file readable only by the service)');
    refuseInline(host, 'passphrase', `${field}.passphrase`, 'give passphraseFile');
    const { passphraseFile, ...options } = host;
    if (options.privateKeyPath === undefined) throw new SluiceError('invalid_config', `${field}.privateKeyPath`, 'is required (the private key file)');
    // The key itself is read by the adapter; a key others can read is refused here first.
    readSecretFile(options.privateKeyPath, `${field}.privateKeyPath`);
    resolved[name] = passphraseFile === undefined ? options : { ...options, passphrase: readSecretFile(passphraseFile, `${field}.passphraseFile`) };
  }
  try {
    return sshAgent({ ...rest, hosts: resolved } as Parameters<typeof sshAgent>[0]);
  } catch (error) {
    return underField('agent', error);
  }
}

function httpFromConfig(config: Extract<AgentConfig, { kind: 'http' }>): Agent {
  const { kind: _kind, secretFile, secretEnv, caFile, ...rest } = config;
  refuseInline(rest, 'secret', 'agent.secret', 'give secretFile (a file readable only by the service) or secretEnv (an environment variable name)');
  if ((secretFile === undefined) === (secretEnv === undefined)) throw new SluiceError('invalid_config', 'agent.secretFile', 'give exactly one of secretFile and secretEnv');
  const secret = secretFile !== undefined ? readSecretFile(secretFile, 'agent.secretFile') : readSecretEnv(secretEnv, 'agent.secretEnv');
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new SluiceError('invalid_config', 'agent.caFile', `cannot read ${caFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  try {
    return httpAgent({ ...(rest as Omit<Parameters<typeof httpAgent>[0], 'secret'>), secret, ...(ca !== undefined ? { ca } : {}) });
  } catch (error) {
    return underField('agent', error);
  }
}
