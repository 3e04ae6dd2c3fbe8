import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SluiceError } from '../src/core/errors.js';
import { errorReport, runReporting } from './cli.js';

const bin = fileURLToPath(new URL('./bin/sluice.js', import.meta.url));

describe('errorReport(error) — one line per failed command', () => {
  it('prints the message on one line, without the stack', () => {
    const error = new Error('--config cfg.json: agent.kind: Invalid\n  expected none');
    expect(errorReport(error, {})).toBe('sluice: --config cfg.json: agent.kind: Invalid expected none');
  });

  it('a zod error is its first issue: path and reason', () => {
    const parsed = z.object({ agent: z.object({ kind: z.enum(['none', 'local']) }) }).safeParse({ agent: { kind: 'x' } });
    expect(parsed.success).toBe(false);
    expect(errorReport(parsed.error, {})).toMatch(/^sluice: agent\.kind: .+/);
    expect(errorReport(parsed.error, {})).not.toContain('\n');
  });

  it('a SluiceError keeps the field it names; a thrown string is printed as is', () => {
    expect(errorReport(new SluiceError('invalid_config', 'p2p.token', 'must not be empty'), {})).toBe('sluice: p2p.token: must not be empty');
    expect(errorReport('nope', {})).toBe('sluice: nope');
  });

  it('adds the stack only with SLUICE_DEBUG=1', () => {
    const report = errorReport(new Error('boom'), { SLUICE_DEBUG: '1' });
    expect(report.split('\n')[0]).toBe('sluice: boom');
    expect(report).toContain('cli.test.ts');
  });
});

describe('runReporting(argv)', () => {
  it('turns a command that throws into exit code 1 and one printed line', async () => {
    const lines: string[] = [];
    const code = await runReporting(['serve', '--config', '/nonexistent/sluice.json'], (line) => lines.push(line));
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^sluice: .*\/nonexistent\/sluice\.json/);
  });
});

describe('bin/sluice.js', () => {
  it('exits 1 with one line on stderr, and the stack with SLUICE_DEBUG=1', () => {
    const plain = spawnSync(process.execPath, [bin, 'serve', '--config', '/nonexistent/sluice.json'], { encoding: 'utf8', env: { ...process.env, SLUICE_DEBUG: '' }, timeout: 30_000 });
    expect(plain.status).toBe(1);
    expect(plain.stderr.trim().split('\n')).toHaveLength(1);
    expect(plain.stderr).toMatch(/^sluice: /);
    const debug = spawnSync(process.execPath, [bin, 'serve', '--config', '/nonexistent/sluice.json'], { encoding: 'utf8', env: { ...process.env, SLUICE_DEBUG: '1' }, timeout: 30_000 });
    expect(debug.status).toBe(1);
    expect(debug.stderr).toMatch(/^sluice: /);
    expect(debug.stderr).toMatch(/\n\s+at /);
  }, 60_000);
});
