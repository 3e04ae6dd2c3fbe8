import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localFleet } from '../adapters/agent/local.js';
import type { AuditEntry } from '../ports/store.js';
import { createCommandGate } from '../safety/index.js';
import { fleetSafetyConfig } from './commands.js';
import { VERSION_FILE } from './fleet.js';

const root = mkdtempSync(join(tmpdir(), 'sluice-fleet-commands-'));
const agent = localFleet({ root, hosts: ['h1', 'h2'] });
const audit: AuditEntry[] = [];
const gate = createCommandGate({ agent, config: fleetSafetyConfig, audit: async (entry) => void audit.push(entry) });
const digest = `sha256:${'ab'.repeat(32)}`;
const version = (host: string) => readFileSync(join(root, host, VERSION_FILE), 'utf8');
const run = (key: string, command: string, args: string[], hosts = ['h1']) => gate.run(null, { command, args }, { key, hosts, timeoutMs: 10_000 });

afterAll(async () => {
  await agent.close();
});

describe('fleetSafetyConfig through the command-safety gate and the local agent', () => {
  it('deploy refuses a host without the preheated artifact, then writes the version once it is there', async () => {
    const refused = await run('k1', 'deploy', ['buy2', '2.4.1', digest]);
    expect(refused.allowed && refused.value[0]).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(refused.allowed && refused.value[0].stderr).toMatch(/not on this host/);
    mkdirSync(join(root, 'h1', 'artifacts'), { recursive: true });
    writeFileSync(join(root, 'h1', 'artifacts', 'ab'.repeat(32)), 'artifact');
    const ok = await run('k2', 'deploy', ['buy2', '2.4.1', digest]);
    expect(ok.allowed && ok.value[0].status).toBe('ok');
    expect(version('h1')).toBe('2.4.1');
  });

  it('rollback writes the version it is given; the arguments reach the script unchanged, never as shell text', async () => {
    const ok = await run('k3', 'rollback', ['buy2', '2.4.0'], ['h1', 'h2']);
    expect(ok.allowed && ok.value.map((r) => r.status)).toEqual(['ok', 'ok']);
    expect([version('h1'), version('h2')]).toEqual(['2.4.0', '2.4.0']);
    const sneaky = await run('k4', 'rollback', ['buy2', '$(touch pwned)']);
    expect(sneaky).toMatchObject({ allowed: false, code: 'invalid_args' });
    expect(await run('k5', 'deploy', ['buy2', '2.4.1'])).toMatchObject({ allowed: false, code: 'invalid_args' });
    expect(await run('k6', 'reboot', [])).toMatchObject({ allowed: false, code: 'unknown_command' });
    expect(audit.length).toBeGreaterThanOrEqual(6);
  });
});
