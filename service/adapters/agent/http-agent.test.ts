import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentContract, uniqueKey } from './agent.contract.js';
import { httpAgent, startHttpAgentServer, type HttpAgentServer } from './http-agent.js';
import { closedPort, tempRoots } from './test-fixtures.js';
import { HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP, hmacHex, requestCanonical, signRequest } from './http-signing.js';

const SECRET = 'test-secret-0123456789abcdef-0123456789';
const newRoot = tempRoots('sluice-http-agent-');

const quiet = () => undefined;

agentContract('http', async () => {
  const names = ['web-1', 'web-2'];
  const root = newRoot();
  const servers = await Promise.all(names.map((name) => startHttpAgentServer({ port: 0, secrets: { ops: SECRET }, dir: path.join(root, name), hostName: name, onRefused: quiet })));
  const hosts: Record<string, string> = Object.fromEntries(names.map((name, i) => [name, servers[i].url]));
  hosts['dead-1'] = `http://127.0.0.1:${await closedPort()}`;
  const agent = httpAgent({ hosts, keyId: 'ops', secret: SECRET, waitMs: 2000 });
  return {
    agent,
    hosts: names,
    unreachable: 'dead-1',
    // The agent writes the real absolute path on its machine (here: this one).
    readFile: async (_host, file) => fs.readFile(file).catch(() => null),
    close: async () => {
      await agent.close();
      await Promise.all(servers.map((s) => s.close()));
    },
  };
});

describe('http agent protocol security', () => {
  let server: HttpAgentServer;
  const refusals: string[] = [];
  beforeAll(async () => {
    server = await startHttpAgentServer({ port: 0, secrets: { ops: SECRET, old: 'rotated-secret-0123456789abcdef-0123456789' }, dir: newRoot(), hostName: 'sec', onRefused: (e) => refusals.push(e.reason) });
  });
  afterAll(() => server.close());

  const post = (pathName: string, body: string, headers: Record<string, string>) => fetch(`${server.url}${pathName}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
  const counterBody = (key: string, file: string) => JSON.stringify({ key, argv: ['sh', '-c', `echo x >> ${file}`], timeoutMs: 5000, requester: 'requester-1', waitMs: 5000 });

  it('a correctly signed request runs; any key in the secret map may sign (rotation)', async () => {
    const file = path.join(newRoot(), 'count');
    const body = counterBody(uniqueKey('signed'), file);
    const response = await post('/v1/commands', body, signRequest('old', 'rotated-secret-0123456789abcdef-0123456789', 'POST', '/v1/commands', body));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ done: true, result: { status: 'ok' } });
    expect(await fs.readFile(file, 'utf8')).toBe('x\n');
  });

  it('a forged signature (wrong secret) is refused with 401 and nothing runs', async () => {
    const file = path.join(newRoot(), 'count');
    const body = counterBody(uniqueKey('forged'), file);
    const response = await post('/v1/commands', body, signRequest('ops', 'not-the-secret-0123456789abcdef-012345', 'POST', '/v1/commands', body));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'unauthorized', reason: 'bad signature' });
    await expect(fs.readFile(file)).rejects.toThrow();
  });

  it('a body changed after signing is refused', async () => {
    const file = path.join(newRoot(), 'count');
    const signed = counterBody(uniqueKey('tamper'), file);
    const headers = signRequest('ops', SECRET, 'POST', '/v1/commands', signed);
    const response = await post('/v1/commands', signed.replace('echo x', 'echo y'), headers);
    expect(response.status).toBe(401);
    await expect(fs.readFile(file)).rejects.toThrow();
  });

  it('a replayed request (same nonce) is refused even though its signature is valid', async () => {
    const body = JSON.stringify({ key: uniqueKey('replay'), argv: ['true'], timeoutMs: 5000, requester: 'requester-1', waitMs: 5000 });
    const headers = signRequest('ops', SECRET, 'POST', '/v1/commands', body);
    expect((await post('/v1/commands', body, headers)).status).toBe(200);
    const again = await post('/v1/commands', body, headers);
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ reason: 'nonce already used (replay)' });
  });

  it('a stale (or future) timestamp is refused, even correctly signed', async () => {
    const body = JSON.stringify({ key: uniqueKey('stale'), argv: ['true'], timeoutMs: 5000, requester: 'requester-1', waitMs: 0 });
    for (const skew of [-6 * 60_000, 6 * 60_000]) {
      const response = await post('/v1/commands', body, signRequest('ops', SECRET, 'POST', '/v1/commands', body, Date.now() + skew));
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ reason: 'timestamp outside ±5 minutes of the agent clock' });
    }
  });

  it('unsigned, unknown-key and malformed requests are refused; the refusals are reported', async () => {
    expect((await fetch(`${server.url}/v1/ping`)).status).toBe(401);
    expect((await fetch(`${server.url}/v1/ping`, { headers: signRequest('nobody', SECRET, 'GET', '/v1/ping', '') })).status).toBe(401);
    const headers = signRequest('ops', SECRET, 'GET', '/v1/ping', '');
    expect((await fetch(`${server.url}/v1/ping`, { headers: { ...headers, [HEADER_NONCE]: 'short' } })).status).toBe(401);
    // Signed for another path: the path is part of the canonical string.
    expect((await fetch(`${server.url}/v1/ping`, { headers: signRequest('ops', SECRET, 'GET', '/v1/other', '') })).status).toBe(401);
    expect(refusals).toEqual(expect.arrayContaining(['missing signature headers', 'unknown key id', 'malformed nonce', 'bad signature']));
  });

  it('answers are signed over status, the request nonce and the body', async () => {
    const headers = signRequest('ops', SECRET, 'GET', '/v1/ping', '');
    const response = await fetch(`${server.url}/v1/ping`, { headers });
    const text = await response.text();
    const timestamp = response.headers.get(HEADER_TIMESTAMP)!;
    expect(response.headers.get(HEADER_SIGNATURE)).toBe(hmacHex(SECRET, ['SLUICE-HMAC-SHA256-RESPONSE', '200', headers[HEADER_NONCE], timestamp, (await import('./http-signing.js')).sha256Hex(text)].join('\n')));
    expect(JSON.parse(text)).toMatchObject({ agent: 'http', host: 'sec' });
  });

  it('the canonical string is exactly the documented one', () => {
    expect(requestCanonical('post', '/v1/commands?a=1', '1700000000000', 'nonce-nonce-nonce-1', '')).toBe(
      'SLUICE-HMAC-SHA256\nPOST\n/v1/commands?a=1\n1700000000000\nnonce-nonce-nonce-1\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('the client treats an answer not signed by the agent as lost contact, never as a result', async () => {
    // An impostor that answers "ok" without knowing the secret.
    const impostor = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ done: true, result: { host: 'x', status: 'ok', exitCode: 0, stdout: '', stderr: '', startedAt: 0, finishedAt: 0, replayed: false } })));
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    const agent = httpAgent({ hosts: { fake: `http://127.0.0.1:${(impostor.address() as AddressInfo).port}` }, keyId: 'ops', secret: SECRET, lostContactGraceMs: 1000 });
    const [result] = await agent.run({ key: uniqueKey('impostor'), argv: ['true'], hosts: ['fake'], timeoutMs: 1 });
    impostor.close();
    expect(result.status).toBe('failed');
    expect(result.stderr).toMatch(/not signed by the agent/);
    const [pong] = await agent.ping(['fake'], 2000);
    expect(pong.alive).toBe(false);
  });

  it('a client with the wrong secret gets `unreachable` with the refusal, and nothing runs', async () => {
    const agent = httpAgent({ hosts: { sec: server.url }, keyId: 'ops', secret: 'wrong-secret-0123456789abcdef-0123456789' });
    const [result] = await agent.run({ key: uniqueKey('wrong'), argv: ['true'], hosts: ['sec'], timeoutMs: 5000 });
    expect(result.status).toBe('unreachable');
    expect(result.stderr).toMatch(/refused/);
  });

  it('a long command outlives one long-poll: the client asks again and gets the result once', async () => {
    const agent = httpAgent({ hosts: { sec: server.url }, keyId: 'ops', secret: SECRET, waitMs: 200 });
    const [result] = await agent.run({ key: uniqueKey('long'), argv: ['sh', '-c', 'sleep 1; echo late'], hosts: ['sec'], timeoutMs: 5000 });
    expect(result).toMatchObject({ status: 'ok', stdout: 'late\n', replayed: false });
  });

  it('the agent restarting mid-command: the client re-sends the key, gets the one result, nothing runs twice', async () => {
    const dir = newRoot();
    const first = await startHttpAgentServer({ port: 0, secrets: { ops: SECRET }, dir, hostName: 'h', onRefused: quiet });
    const agent = httpAgent({ hosts: { h: first.url }, keyId: 'ops', secret: SECRET, waitMs: 5000 });
    const pending = agent.run({ key: uniqueKey('restart'), argv: ['sh', '-c', 'echo x >> count; sleep 1; echo done'], hosts: ['h'], timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await startHttpAgentServer({ port: first.port, secrets: { ops: SECRET }, dir, hostName: 'h', onRefused: quiet });
    const [result] = await pending;
    await second.close();
    expect(result).toMatchObject({ status: 'ok', stdout: 'done\n' });
    expect(await fs.readFile(path.join(dir, 'count'), 'utf8')).toBe('x\n');
  });

  it('the agent process is SIGKILLed mid-command and restarted: the client gets "interrupted" once the command ends; it ran once', async () => {
    const dir = newRoot();
    const port = await closedPort();
    const main = path.join(path.dirname(fileURLToPath(import.meta.url)), 'http-agent-main.ts');
    const startAgent = () =>
      new Promise<ChildProcess>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', main, '--port', String(port), '--dir', dir, '--name', 'h'], {
          env: { ...process.env, SLUICE_AGENT_KEY_ID: 'ops', SLUICE_AGENT_SECRET: SECRET },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve(child));
        child.once('exit', (code) => reject(new Error(`agent exited with ${code}`)));
      });
    const first = await startAgent();
    const agent = httpAgent({ hosts: { h: `http://127.0.0.1:${port}` }, keyId: 'ops', secret: SECRET, waitMs: 5000 });
    const pending = agent.run({ key: uniqueKey('agent-crash'), argv: ['sh', '-c', 'echo run >> count; sleep 1.5; echo done >> count'], hosts: ['h'], timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    first.kill('SIGKILL');
    const second = await startAgent();
    const [result] = await pending;
    second.kill('SIGTERM');
    expect(result.status).toBe('failed');
    expect(result.stderr).toMatch(/interrupted/);
    expect(await fs.readFile(path.join(dir, 'count'), 'utf8')).toBe('run\ndone\n');
  });

  it('over TLS: a client trusting the agent CA runs commands; one that does not gets `unreachable` (nothing sent)', async () => {
    const dir = newRoot();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=sluice-agent-test', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    const cert = await fs.readFile(path.join(dir, 'cert.pem'), 'utf8');
    const tlsServer = await startHttpAgentServer({ port: 0, secrets: { ops: SECRET }, dir: path.join(dir, 'state'), hostName: 'tls', onRefused: quiet, tls: { key: await fs.readFile(path.join(dir, 'key.pem'), 'utf8'), cert } });
    expect(tlsServer.url).toMatch(/^https:/);
    const trusting = httpAgent({ hosts: { tls: tlsServer.url }, keyId: 'ops', secret: SECRET, ca: cert });
    const [ok] = await trusting.run({ key: uniqueKey('tls'), argv: ['echo', 'secure'], hosts: ['tls'], timeoutMs: 5000 });
    const doubting = httpAgent({ hosts: { tls: tlsServer.url }, keyId: 'ops', secret: SECRET });
    const [refused] = await doubting.run({ key: uniqueKey('tls-untrusted'), argv: ['echo', 'x'], hosts: ['tls'], timeoutMs: 5000 });
    await Promise.all([trusting.close(), doubting.close(), tlsServer.close()]);
    expect(ok).toMatchObject({ status: 'ok', stdout: 'secure\n' });
    expect(refused.status).toBe('unreachable');
    expect(refused.stderr).toMatch(/SELF_SIGNED|self-signed/i);
  });

  it('signatures of a manual canonical string match signRequest', () => {
    const headers = signRequest('ops', SECRET, 'GET', '/v1/ping', '', 1_700_000_000_000);
    expect(headers[HEADER_SIGNATURE]).toBe(hmacHex(SECRET, requestCanonical('GET', '/v1/ping', '1700000000000', headers[HEADER_NONCE], '')));
  });
});
