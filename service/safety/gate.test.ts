import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Agent, CommandRequest, HostResult } from '../ports/agent.js';
import type { Clock } from '../ports/clock.js';
import { auditedCommands, createCommandGate, resolveTemplate, type SafetyAuditEntry } from './gate.js';
import { parseSafetyConfig, type SafetyConfig } from './config.js';
import { DEFAULT_RULES, compileRules, intercept } from './rules.js';
import { ruleSchema } from './rules.js';

/** An agent that records what it was asked to run and answers ok. */
function recordingAgent() {
  const calls: CommandRequest[] = [];
  const agent: Agent = {
    name: 'recording',
    async run(request) {
      calls.push(request);
      return request.hosts.map((host): HostResult => ({ host, status: host.startsWith('bad') ? 'failed' : 'ok', exitCode: host.startsWith('bad') ? 1 : 0, stdout: '', stderr: '', startedAt: 0, finishedAt: 0, replayed: false }));
    },
    async start(request) {
      calls.push(request);
    },
    async status(key) {
      return { key, done: true, results: [] };
    },
    async ping() {
      return [];
    },
    async pushFile() {
      return [];
    },
    async close() {},
  };
  return { agent, calls };
}

function manualClock(start = 1_700_000_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, sleep: async () => undefined, advance: (ms) => (now += ms) };
}

const config: SafetyConfig = {
  commands: {
    deploy: { argv: ['/opt/release/bin/deploy', '--version', '{0}'], args: { min: 1, max: 1, pattern: '^[A-Za-z0-9._-]+$' } },
    rollback: { argv: ['/opt/release/bin/rollback', '{args}', '--confirm'], risk: 'medium' },
    status: { argv: ['/opt/release/bin/status'] },
    script: { argv: ['sh', '-c', '{0}', 'sluice-script', '{args}'], args: { min: 1, max: 8 } },
    wipe: { argv: ['/opt/release/bin/wipe'], risk: 'high' },
  },
  keys: { ops: { allowHigh: true } },
};

function setup(overrides: Partial<SafetyConfig> = {}, audit?: (e: SafetyAuditEntry) => Promise<unknown>) {
  const { agent, calls } = recordingAgent();
  const entries: SafetyAuditEntry[] = [];
  const clock = manualClock();
  const gate = createCommandGate({
    agent,
    config: { ...config, ...overrides },
    audit: audit ?? (async (entry) => void entries.push(entry)),
    clock,
  });
  return { gate, calls, entries, clock };
}

const request = (key: string, hosts = ['web-1', 'web-2']) => ({ key, hosts, timeoutMs: 60_000 });

describe('resolveTemplate', () => {
  const parsed = parseSafetyConfig(config);

  it('appends, splices and substitutes arguments unchanged, each as one argv element (property)', () => {
    const anyArg = fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(fc.array(anyArg, { maxLength: 6 }), (args) => {
        const rollback = resolveTemplate(parsed.commands.rollback, args);
        expect(rollback).toEqual({ ok: true, argv: ['/opt/release/bin/rollback', ...args, '--confirm'] });
        const appended = resolveTemplate({ ...parsed.commands.status, args: { min: 0, max: 16, maxLength: 4096 } }, args);
        expect(appended).toEqual({ ok: true, argv: ['/opt/release/bin/status', ...args] });
      }),
    );
    fc.assert(
      fc.property(fc.array(anyArg, { minLength: 1, maxLength: 8 }), (args) => {
        const script = resolveTemplate(parsed.commands.script, args);
        expect(script).toEqual({ ok: true, argv: ['sh', '-c', args[0], 'sluice-script', ...args] });
      }),
    );
  });

  it('checks the argument count, pattern, length and NUL', () => {
    expect(resolveTemplate(parsed.commands.deploy, [])).toEqual({ ok: false, reason: 'takes 1 arguments, got 0' });
    expect(resolveTemplate(parsed.commands.deploy, ['1.2.3', 'extra'])).toMatchObject({ ok: false });
    expect(resolveTemplate(parsed.commands.deploy, ['1.2; rm -rf /'])).toEqual({ ok: false, reason: 'argument 0 does not match ^[A-Za-z0-9._-]+$' });
    expect(resolveTemplate(parsed.commands.rollback, ['a\0b'])).toEqual({ ok: false, reason: 'argument 0 contains NUL' });
    expect(resolveTemplate(parsed.commands.rollback, ['x'.repeat(5000)])).toMatchObject({ ok: false, reason: 'argument 0 is longer than 4096 characters' });
  });
});

describe('CommandGate', () => {
  it('a whitelisted command reaches the agent as its template with the arguments unchanged (property)', async () => {
    const { gate, calls } = setup();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ maxLength: 20 }).filter((s) => !s.includes('\0')), { maxLength: 4 }), async (args) => {
        const outcome = await gate.run('release-bot', { command: 'rollback', args }, request(`rb-${n++}`));
        const argv = ['/opt/release/bin/rollback', ...args, '--confirm'];
        if (intercept(argv, compileRules(DEFAULT_RULES.map((r) => ruleSchema.parse(r)))).risk === 'low') {
          expect(outcome).toMatchObject({ allowed: true, argv });
          expect(calls.at(-1)!.argv).toEqual(argv);
        } else {
          expect(outcome.allowed).toBe(false);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('an unknown main command is refused, audited as denied, and never reaches the agent', async () => {
    const { gate, calls, entries } = setup();
    const outcome = await gate.run('release-bot', { command: 'bash', args: ['-c', 'id'] }, request('k1'));
    expect(outcome).toEqual({ allowed: false, code: 'unknown_command', reason: 'unknown command "bash"; allowed: deploy, rollback, status, script, wipe' });
    expect(calls).toHaveLength(0);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ keyId: 'release-bot', action: 'command.run', target: 'k1', result: 'denied' });
    expect(JSON.parse(entries[0].detail)).toMatchObject({ command: 'bash', code: 'unknown_command', hosts: 2 });
  });

  it('a bad argument is refused as invalid_args', async () => {
    const { gate, calls } = setup();
    expect(await gate.run('release-bot', { command: 'deploy', args: ['$(reboot)'] }, request('k2'))).toMatchObject({ allowed: false, code: 'invalid_args' });
    expect(calls).toHaveLength(0);
  });

  it('a high-risk resolved command line is refused for a key without allowHigh, with the rule, and audited', async () => {
    const { gate, calls, entries } = setup();
    const outcome = await gate.run('release-bot', { command: 'script', args: ['rm -rf / --no-preserve-root'] }, request('k3'));
    expect(outcome).toMatchObject({ allowed: false, code: 'high_risk' });
    expect(!outcome.allowed && outcome.reason).toMatch(/rm-recursive-system-path/);
    expect(calls).toHaveLength(0);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ keyId: 'release-bot', action: 'command.run', target: 'k3', result: 'denied' });
    expect(JSON.parse(entries[0].detail)).toMatchObject({ code: 'high_risk', risk: 'high', rules: ['rm-recursive-system-path', 'rm-no-preserve-root'], argv: ['sh', '-c', 'rm -rf / --no-preserve-root', 'sluice-script', 'rm -rf / --no-preserve-root'] });
  });

  it('a command configured high needs an allowed key; an allowed key runs it', async () => {
    const { gate, calls } = setup();
    expect(await gate.run('release-bot', { command: 'wipe', args: [] }, request('k4'))).toMatchObject({ allowed: false, code: 'high_risk' });
    expect(await gate.run('ops', { command: 'wipe', args: [] }, request('k5'))).toMatchObject({ allowed: true, risk: 'high' });
    expect(calls.map((c) => c.key)).toEqual(['k5']);
  });

  it('a forbidden rule refuses even a key allowed high risk', async () => {
    const { gate, calls } = setup({ extraRules: [{ id: 'drop-database', pattern: String.raw`\bDROP\s+DATABASE\b`, flags: 'i', risk: 'forbidden', description: 'drops a database' }] });
    const outcome = await gate.run('ops', { command: 'script', args: ['psql -c "drop database app"'] }, request('k6'));
    expect(outcome).toMatchObject({ allowed: false, code: 'forbidden' });
    expect(calls).toHaveLength(0);
  });

  it('per-key host limit: a command over maxHostsPerCommand is refused; high risk has its own, lower limit', async () => {
    const { gate } = setup({ limits: { any: { maxHostsPerCommand: 3, maxCommands: 100, windowMs: 60_000 }, high: { maxHostsPerCommand: 1, maxCommands: 100, windowMs: 60_000 } } });
    const hosts = ['a', 'b', 'c', 'd'];
    expect(await gate.run('release-bot', { command: 'status', args: [] }, request('h1', hosts))).toMatchObject({ allowed: false, code: 'host_limit' });
    expect(await gate.run('release-bot', { command: 'status', args: [] }, request('h2', hosts.slice(0, 3)))).toMatchObject({ allowed: true });
    expect(await gate.run('ops', { command: 'wipe', args: [] }, request('h3', ['a', 'b']))).toMatchObject({ allowed: false, code: 'host_limit' });
    expect(await gate.run('ops', { command: 'wipe', args: [] }, request('h4', ['a']))).toMatchObject({ allowed: true });
  });

  it('per-key rate limit over a sliding window: refused at the limit, allowed again as old commands leave the window, keys counted apart', async () => {
    const { gate, clock } = setup({ limits: { high: { maxHostsPerCommand: 10, maxCommands: 2, windowMs: 60_000 } }, keys: { ops: { allowHigh: true }, ops2: { allowHigh: true } } });
    const wipe = (key: string, keyId = 'ops') => gate.run(keyId, { command: 'wipe', args: [] }, request(key));
    expect(await wipe('r1')).toMatchObject({ allowed: true });
    clock.advance(30_000);
    expect(await wipe('r2')).toMatchObject({ allowed: true });
    expect(await wipe('r3')).toMatchObject({ allowed: false, code: 'rate_limit' });
    expect(await wipe('r3', 'ops2')).toMatchObject({ allowed: true });
    // Low-risk commands are not limited by the high-risk window.
    expect(await gate.run('ops', { command: 'status', args: [] }, request('s1'))).toMatchObject({ allowed: true });
    clock.advance(30_001);
    expect(await wipe('r4')).toMatchObject({ allowed: true });
    expect(await wipe('r5')).toMatchObject({ allowed: false, code: 'rate_limit' });
  });

  it('hosts per window: the sum of hosts over the window is capped', async () => {
    const { gate } = setup({ limits: { any: { maxHostsPerCommand: 10, maxCommands: 100, maxHostsPerWindow: 5, windowMs: 60_000 } } });
    expect(await gate.run('k', { command: 'status', args: [] }, request('w1', ['a', 'b', 'c']))).toMatchObject({ allowed: true });
    expect(await gate.run('k', { command: 'status', args: [] }, request('w2', ['d', 'e', 'f']))).toMatchObject({ allowed: false, code: 'rate_limit' });
    expect(await gate.run('k', { command: 'status', args: [] }, request('w3', ['d', 'e']))).toMatchObject({ allowed: true });
  });

  it('a re-sent key (same argv, no new hosts) passes without counting against the limits again', async () => {
    const { gate, calls, entries } = setup({ limits: { any: { maxHostsPerCommand: 10, maxCommands: 1, windowMs: 60_000 } } });
    expect(await gate.run('k', { command: 'deploy', args: ['2.0'] }, request('d1'))).toMatchObject({ allowed: true });
    expect(await gate.run('k', { command: 'deploy', args: ['2.0'] }, request('d1', ['web-2']))).toMatchObject({ allowed: true });
    expect(await gate.run('k', { command: 'deploy', args: ['3.0'] }, request('d1'))).toMatchObject({ allowed: false, code: 'rate_limit' });
    expect(calls).toHaveLength(2);
    expect(JSON.parse(entries.filter((e) => e.action === 'command.run')[1].detail)).toMatchObject({ resend: true });
  });

  it('with the audit log as the record, limits hold across replicas and a restart, a re-send still not counted', async () => {
    // One audit log (a store) shared by two gates (replicas), then a third (a restart).
    const log: (SafetyAuditEntry & { id: number })[] = [];
    const reads: number[] = [];
    const listAudit = async (q: Parameters<Parameters<typeof auditedCommands>[0]>[0]) => {
      const found = log.filter((e) => e.id > q.afterId && e.keyId === q.keyId && q.actions.includes(e.action) && e.result === q.result && e.at >= q.since).slice(0, q.limit);
      reads.push(found.length);
      return found;
    };
    // Each process reads the log through its own record of what it has seen.
    const history = () => auditedCommands(listAudit);
    const clock = manualClock();
    const make = () => {
      const { agent, calls } = recordingAgent();
      const gate = createCommandGate({
        agent, clock, history: history(),
        config: { ...config, limits: { any: { maxHostsPerCommand: 10, maxCommands: 3, maxHostsPerWindow: 5, windowMs: 60_000 }, high: { maxHostsPerCommand: 10, maxCommands: 1, windowMs: 60_000 } } },
        audit: async (entry) => void log.push({ ...entry, id: log.length + 1 }),
      });
      return { gate, calls };
    };
    const a = make();
    const b = make();
    expect(await a.gate.run('ops', { command: 'deploy', args: ['2.0'] }, request('k1', ['h1']))).toMatchObject({ allowed: true });
    expect(await a.gate.run('ops', { command: 'deploy', args: ['2.0'] }, request('k1', ['h1']))).toMatchObject({ allowed: true }); // re-send
    expect(await b.gate.run('ops', { command: 'wipe', args: [] }, request('k2', ['h2']))).toMatchObject({ allowed: true });
    // The high-risk window is full, whichever replica is asked.
    expect(await a.gate.run('ops', { command: 'wipe', args: [] }, request('k3', ['h3']))).toMatchObject({ allowed: false, code: 'rate_limit' });
    // Hosts in the window: 2 so far (the re-send not counted); 4 more would make 6 > 5.
    expect(await b.gate.run('ops', { command: 'status', args: [] }, request('k4', ['a', 'b', 'c', 'd']))).toMatchObject({ allowed: false, code: 'rate_limit' });
    expect(await b.gate.run('ops', { command: 'status', args: [] }, request('k4', ['a', 'b', 'c']))).toMatchObject({ allowed: true });
    const restarted = make();
    expect(await restarted.gate.run('ops', { command: 'status', args: [] }, request('k5', ['e']))).toMatchObject({ allowed: false, code: 'rate_limit' });
    expect(await restarted.gate.run('other', { command: 'status', args: [] }, request('k6', ['e']))).toMatchObject({ allowed: true });
    clock.advance(60_001);
    expect(await restarted.gate.run('ops', { command: 'wipe', args: [] }, request('k7', ['h3']))).toMatchObject({ allowed: true });
    expect(a.calls.length + b.calls.length + restarted.calls.length).toBe(6);
    // Every entry was read at most once per process: 3 processes, 7 admitted entries in all.
    expect(reads.reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(3 * 7);
  });

  it('a record that cannot be read refuses the command (audited), never runs it unlimited', async () => {
    const { agent, calls } = recordingAgent();
    const entries: SafetyAuditEntry[] = [];
    const gate = createCommandGate({
      agent, clock: manualClock(), config: { ...config, limits: { any: { maxHostsPerCommand: 10, maxCommands: 3, windowMs: 60_000 } } },
      audit: async (e) => void entries.push(e),
      history: async () => Promise.reject(new Error('database is locked')),
    });
    expect(await gate.run('ops', { command: 'status', args: [] }, request('x'))).toMatchObject({ allowed: false, code: 'audit_failed', reason: expect.stringMatching(/database is locked/) });
    expect(calls).toHaveLength(0);
    expect(entries).toMatchObject([{ result: 'denied', action: 'command.run' }]);
  });

  it('the service itself (no key) is limited under the `service` key', async () => {
    const { gate } = setup({ keys: { service: { allowHigh: true } } });
    expect(await gate.run(null, { command: 'wipe', args: [] }, request('svc'))).toMatchObject({ allowed: true });
  });

  it('audits the decision before running and the outcome after', async () => {
    const { gate, entries } = setup();
    await gate.run('release-bot', { command: 'deploy', args: ['2.0.1'] }, request('rel-7:b1:deploy', ['web-1', 'bad-1']));
    expect(entries.map((e) => [e.action, e.result])).toEqual([['command.run', 'ok'], ['command.result', 'error']]);
    expect(JSON.parse(entries[0].detail)).toMatchObject({ command: 'deploy', args: ['2.0.1'], argv: ['/opt/release/bin/deploy', '--version', '2.0.1'], risk: 'low', hosts: 2 });
    expect(JSON.parse(entries[1].detail)).toEqual({ command: 'deploy', counts: { ok: 1, failed: 1 }, failed: [{ host: 'bad-1', status: 'failed', exitCode: 1 }] });
  });

  it('a command whose decision cannot be audited does not run', async () => {
    const { gate, calls } = setup({}, async () => {
      throw new Error('store down');
    });
    const outcome = await gate.run('release-bot', { command: 'status', args: [] }, request('a1'));
    expect(outcome).toEqual({ allowed: false, code: 'audit_failed', reason: 'not run: the decision could not be audited (store down)' });
    expect(calls).toHaveLength(0);
  });

  it('start goes through the same checks', async () => {
    const { gate, calls } = setup();
    expect(await gate.start('release-bot', { command: 'nope', args: [] }, request('s0'))).toMatchObject({ allowed: false, code: 'unknown_command' });
    expect(await gate.start('release-bot', { command: 'status', args: [] }, request('s1'))).toMatchObject({ allowed: true });
    expect(calls.map((c) => c.argv)).toEqual([['/opt/release/bin/status']]);
  });

  it('a bad configuration throws naming the field', () => {
    expect(() => createCommandGate({ agent: recordingAgent().agent, config: { commands: { deploy: { argv: ['{0}'] } } }, audit: async () => undefined })).toThrow(/commands\.deploy\.argv\.0: the program must be fixed/);
    expect(() => createCommandGate({ agent: recordingAgent().agent, config: { commands: { Deploy: { argv: ['x'] } } }, audit: async () => undefined })).toThrow(/commands/);
    expect(() => createCommandGate({ agent: recordingAgent().agent, config: { commands: { x: { argv: ['x'] } }, extraRules: [{ id: 'bad', pattern: '(', risk: 'high', description: 'd' }] }, audit: async () => undefined })).toThrow(/extraRules\.0\.pattern: must be a valid regular expression/);
  });
});
