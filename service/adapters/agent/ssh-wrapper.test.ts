import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFrame, shellQuote, wrapperCommand, type WrapperCall } from './ssh-wrapper.js';

const run = promisify(execFile);
const root = mkdtempSync(path.join(tmpdir(), 'sluice-wrapper-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const call = (argv: string[], extra: Partial<WrapperCall> = {}): WrapperCall => ({ agentDir: path.join(root, 'agent'), key: `k${n++}`, timeoutMs: 5000, host: 'h1', requester: 'req-1', argv, ...extra });

/** Runs the command line the way sshd does: through the login shell's `-c`. */
async function viaShell(c: WrapperCall, env: NodeJS.ProcessEnv = process.env) {
  const { stdout } = await run('/bin/sh', ['-c', wrapperCommand(c)], { env, encoding: 'buffer', maxBuffer: 1 << 22 });
  return parseFrame(stdout);
}

describe('ssh wrapper (run through /bin/sh, as sshd would)', () => {
  it('shellQuote makes any string one literal word', async () => {
    const words = ["it's", '$(id)', '`id`', 'a b', '\\', "'", '', '\n', '*'];
    const { stdout } = await run('/bin/sh', ['-c', `printf '[%s]' ${words.map(shellQuote).join(' ')}`]);
    expect(stdout).toBe(words.map((w) => `[${w}]`).join(''));
  });

  it('frames the exit code, stdout and stderr (UTF-8 and binary intact), with env and SLUICE_HOST', async () => {
    const frame = await viaShell(call(['sh', '-c', 'printf "é\\001\\n%s|%s" "$V" "$SLUICE_HOST"; printf "ünï" >&2; exit 4'], { env: { V: "a 'b' $(c)" } }));
    expect(frame).toMatchObject({ fresh: true, outcome: { kind: 'exit', code: 4, timedOut: false }, stdout: "é\u0001\na 'b' $(c)|h1", stderr: 'ünï' });
    expect(frame!.finishedAt).toBeGreaterThanOrEqual(frame!.startedAt);
  });

  it('the same key again answers from the record: fresh only for the same requester; another argv is a conflict', async () => {
    const first = call(['sh', '-c', `echo x >> ${root}/once; echo out`]);
    await viaShell(first);
    expect(await viaShell(first)).toMatchObject({ fresh: true, stdout: 'out\n' });
    expect(await viaShell({ ...first, requester: 'req-2' })).toMatchObject({ fresh: false, stdout: 'out\n' });
    expect(await viaShell({ ...first, argv: ['true'] })).toMatchObject({ outcome: { kind: 'conflict' } });
    expect(readFileSync(`${root}/once`, 'utf8')).toBe('x\n');
  });

  it('the record directory is private to its user', async () => {
    const c = call(['true'], { agentDir: path.join(root, 'private', 'agent') });
    await viaShell(c);
    const { stdout } = await run('stat', ['-c', '%a', c.agentDir]);
    expect(stdout.trim()).toBe('700');
  });

  it('a killed wrapper: a waiter waits for the still-running command, then says interrupted; nothing runs twice', async () => {
    const c = call(['sh', '-c', `echo run >> ${root}/killed; sleep 1; echo done >> ${root}/killed`]);
    const first = spawn('/bin/sh', ['-c', wrapperCommand(c)], { stdio: 'ignore' });
    const pidFile = path.join(c.agentDir, c.key, 'child');
    while (!existsSync(pidFile)) await new Promise((resolve) => setTimeout(resolve, 20));
    const wrapperPid = Number(readFileSync(path.join(c.agentDir, c.key, 'pid'), 'utf8'));
    process.kill(wrapperPid, 'SIGKILL');
    first.kill('SIGKILL');
    const frame = await viaShell({ ...c, requester: 'req-2' });
    expect(frame).toMatchObject({ fresh: false, outcome: { kind: 'interrupted' } });
    expect(readFileSync(`${root}/killed`, 'utf8')).toBe('run\ndone\n');
  });

  it('without GNU timeout, a watchdog still ends an overrunning command', async () => {
    // A PATH with everything in /usr/bin and /bin except `timeout`.
    const bin = path.join(root, 'bin-without-timeout');
    mkdirSync(bin);
    for (const dir of ['/usr/bin', '/bin']) {
      for (const name of readdirSync(dir)) {
        if (name === 'timeout' || existsSync(path.join(bin, name))) continue;
        symlinkSync(path.join(dir, name), path.join(bin, name));
      }
    }
    const t0 = Date.now();
    const frame = await viaShell(call(['sleep', '30'], { timeoutMs: 500 }), { ...process.env, PATH: bin });
    expect(frame).toMatchObject({ outcome: { kind: 'exit', timedOut: true } });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('parseFrame refuses a truncated or foreign answer', () => {
    expect(parseFrame(Buffer.from('SLUICE-AGENT-1 1 0 0 1 2 5 0\nabc'))).toBeNull();
    expect(parseFrame(Buffer.from('hello\n'))).toBeNull();
    expect(parseFrame(Buffer.from('SLUICE-AGENT-1 1 0 0 1 2 3'))).toBeNull();
    expect(parseFrame(Buffer.from('SLUICE-AGENT-1 1 x 0 1 2 0 0\n'))).toBeNull();
    expect(parseFrame(Buffer.from('SLUICE-AGENT-1 1 0 0 1 2 3 1\nabcd'))).toMatchObject({ stdout: 'abc', stderr: 'd' });
  });
});
