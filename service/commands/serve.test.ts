/**
 * `sluice serve --config FILE` as an operator runs it: the real binary, a JSON file choosing the
 * agent and P2P, one line naming the file and the field when a setting is wrong.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
const SECRET = 'a-shared-secret-of-at-least-32-characters!';

function configFile(config: unknown): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-serve-'));
  const file = join(dir, 'sluice.json');
  writeFileSync(file, JSON.stringify(config));
  return { dir, file };
}

describe('sluice serve --config FILE', () => {
  it('starts with the agent and P2P the file names, says which, and stops on SIGTERM', async () => {
    const { dir, file } = configFile({});
    const secretFile = join(dir, 'agent.secret');
    writeFileSync(secretFile, SECRET);
    chmodSync(secretFile, 0o600);
    writeFileSync(file, JSON.stringify({
      agent: { kind: 'http', hosts: { 'web-1': 'http://127.0.0.1:7070' }, keyId: 'ops', secretFile },
      p2p: { kind: 'direct-http', cacheDir: '/var/cache/sluice' },
      orchestrator: { enabled: false },
    }));
    const child = spawn(process.execPath, [bin, 'serve', '--config', file, '--port', '0', '--data', join(dir, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 30_000;
    while (!/listening on/.test(output) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(output).toMatch(/sluice: listening on http:\/\/127\.0\.0\.1:\d+ \(data in .*; agent http, p2p direct-http\)/);
    expect(output).not.toContain(SECRET);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);

  it.each([
    ['an unknown agent kind', { agent: { kind: 'telnet' } }, /^sluice: --config \S+: agent\.kind: /],
    ['a secret written into the file', { agent: { kind: 'http', hosts: { 'web-1': 'http://127.0.0.1:7070' }, keyId: 'ops', secret: SECRET } }, /^sluice: --config \S+: agent\.secret: secrets are not read from the configuration; give secretFile/],
    ['a Dragonfly token written into the file', { p2p: { kind: 'dragonfly', baseUrl: 'http://127.0.0.1:1', token: SECRET } }, /^sluice: --config \S+: p2p\.token: /],
    ['a setting the file may not hold', { port: 80 }, /^sluice: --config \S+: \(file\): .*port/],
    ['a negative number of gate workers', { gate: { workers: -1 } }, /^sluice: --config \S+: gate\.workers: /],
  ])('%s: one line naming the file and the field, exit 1', (_what, config, expected) => {
    const { dir, file } = configFile(config);
    const result = spawnSync(process.execPath, [bin, 'serve', '--config', file, '--port', '0', '--data', join(dir, 'data')], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, SLUICE_DEBUG: '' } });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr.trim()).toMatch(expected);
    expect(result.stderr).not.toContain(SECRET);
  }, 60_000);

  it('a file that is not JSON is named with the reason', () => {
    const { dir, file } = configFile({});
    writeFileSync(file, '{ "agent": ');
    const result = spawnSync(process.execPath, [bin, 'serve', '--config', file, '--data', join(dir, 'data')], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toMatch(/^sluice: --config \S+sluice\.json: not JSON \(/);
  }, 60_000);
});
