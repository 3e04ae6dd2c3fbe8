/**
 * `sluice demo` (what `npm start` runs): the service on its embedded defaults — SQLite state, an
 * accelerated clock, the local-process agent and local P2P — around a simulated fleet of 200
 * hosts in 4 datacenters that reports metrics and exception logs every virtual minute. Two
 * releases go through the orchestrator like anyone's: a good version passes every batch and
 * succeeds; a bad one (slower, more errors, a new fatal exception) is caught in its first batch
 * and rolled back. Prints each step, each verdict with its report's URL and each release's page,
 * then keeps serving until Ctrl-C (or exits with `--exit`: code 0 only if both went as expected).
 */
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { defaultPolicy } from '../../src/gate/policy.js';
import { createKey } from '../auth/api-keys.js';
import { fetchIdempotent } from '../http/client.js';
import type { ReleaseProgress } from '../orchestrator/state.js';
import { startFleetWorld, type FleetWorld } from '../fleet/world.js';
import { optionString, parseArgs } from './args.js';

const HELP = `usage: sluice demo [--port N] [--data DIR] [--hosts N] [--speed N] [--exit]

  --port   port to listen on (default: $PORT or 8080; a free one if taken)
  --data   data folder, emptied first (default .sluice/demo)
  --hosts  fleet size (default 200, at least 40), in 4 datacenters
  --speed  how many times faster than real time the fleet's clock runs (default 300)
  --exit   stop after the two releases instead of serving on`;

const TERMINAL = new Set(['succeeded', 'failed', 'aborted', 'rolled_back']);
const FROM = '2.4.0';
const GOOD = '2.4.1';
const BAD = '2.5.0';

interface ReleaseView {
  id: string;
  state: string;
  progress: ReleaseProgress;
}

/** True when nothing listens on 127.0.0.1:`port`. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const probe = createServer();
    probe.once('error', () => resolvePort(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePort(true)));
  });
}

/** Virtual time of day, for progress lines (UTC). */
const clockText = (t: number): string => new Date(t).toISOString().slice(11, 19);

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['help', 'exit'], values: ['port', 'data', 'hosts', 'speed'] });
  if (args.options.help) {
    console.log(HELP);
    return 0;
  }
  const dataDir = resolve(optionString(args, 'data') ?? join('.sluice', 'demo'));
  const hostCount = Math.max(40, Number(optionString(args, 'hosts') ?? 200));
  const speed = Math.min(3_000, Math.max(10, Number(optionString(args, 'speed') ?? 300)));
  const port = Number(optionString(args, 'port') ?? process.env.PORT ?? 8080);
  if (!Number.isFinite(hostCount) || !Number.isFinite(speed) || !Number.isFinite(port)) throw new Error('--hosts, --speed and --port take numbers');
  rmSync(dataDir, { recursive: true, force: true });

  const started = Date.now();
  const logFile = join(dataDir, 'service.log');
  const options = {
    dataDir, hosts: hostCount, factor: speed, initialVersion: FROM,
    badVersions: { [BAD]: { latency: 1.4, errorRate: 2.5, fatal: 'java.lang.NullPointerException at com.acme.cart.Cart.total', fatalRate: 2 } },
    // The service's own log (requests, orchestrator steps) goes to a file; the console tells the story.
    log: (line: string) => appendFileSync(logFile, `${line}\n`),
  };
  const free = port === 0 || (await portIsFree(port));
  if (!free) console.log(`demo: port ${port} is taken; using a free one`);
  const world: FleetWorld = await startFleetWorld({ ...options, port: free ? port : 0 });
  const { service, fleet } = world;
  const admin = await createKey(service.store, 'demo admin', ['admin'], Date.now());
  // The key goes to a 0600 file, never to the log.
  const keyFile = join(dataDir, 'admin.key');
  writeFileSync(keyFile, `${admin.key}\n`, { mode: 0o600 });
  const datacenters = new Set(fleet.hosts.map((h) => h.datacenter));
  console.log(`demo: Sluice is serving on ${service.url} (SQLite state, metrics and the fleet's folders in ${dataDir})`);
  console.log(`demo: a simulated fleet of ${fleet.hosts.length} hosts in ${datacenters.size} datacenters (${[...datacenters].join(', ')}) runs ${FROM} and reported two days of history (${(fleet.hosts.length * 2 * 1440 * 6).toLocaleString('en')} points) in ${((Date.now() - started) / 1000).toFixed(1)} s; its clock runs ${speed}× faster than real time`);
  console.log(`demo: the web pages ask once for an API key: the admin key is in ${keyFile}`);

  const api = async (method: string, path: string, body?: unknown): Promise<ReleaseView> => {
    // A GET is retried once on a reset connection; the POST is sent once.
    const response = await fetchIdempotent(`${service.url}${path}`, { method, headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as ReleaseView;
  };

  /** Submits an order and prints its progress until it is terminal (or paused for a person). */
  const run = async (id: string, version: string, previousVersion: string, what: string): Promise<ReleaseView> => {
    const order = world.order({ id, app: 'buy2', version, previousVersion });
    console.log(`\ndemo: release ${id}: buy2 ${previousVersion} → ${version} (${what}) on ${fleet.hosts.length} hosts, 4 batches by datacenter, each watched for ${order.observationMinutes} minutes (the last for ${(order.observationMinutes ?? 0) + defaultPolicy.minData.silentPoints}) by the gate (${order.metrics?.length} metrics in 5 categories, and the logs)`);
    await api('POST', '/v1/releases', order);
    const shown = { transitions: 0, evaluations: new Map<number, number>(), verdicts: new Set<number>() };
    const datacenterOf = new Map(fleet.hosts.map((h) => [h.name, h.datacenter]));
    for (;;) {
      const view = await api('GET', `/v1/releases/${id}`);
      const { progress } = view;
      // What happened since the last look, in the order it happened.
      const lines: { at: number; order: number; text: string[] }[] = [];
      for (const t of progress.transitions.slice(shown.transitions)) {
        const text = [`  ${clockText(t.at)}  ${t.from} → ${t.to}: ${t.reason}`];
        const batch = t.to === 'observing' ? progress.batches.find((b) => t.reason.startsWith(`batch ${b.batch} `)) : undefined;
        if (batch) text.push(`            batch ${batch.batch}: ${batch.hosts.length} hosts from ${new Set(batch.hosts.map((h) => datacenterOf.get(h))).size} datacenters; hosts running ${version} now: ${fleet.hosts.filter((h) => fleet.versionOnDisk(h.name) === version).length}`);
        lines.push({ at: t.at, order: 1, text });
      }
      shown.transitions = progress.transitions.length;
      for (const b of progress.batches) {
        const seen = shown.evaluations.get(b.batch) ?? 0;
        for (const [i, e] of b.evaluations.slice(seen).entries()) lines.push({ at: e.at, order: 0, text: [`            batch ${b.batch} minute ${seen + i + 1}: ${e.decision}, score ${e.score.toFixed(1)}`] });
        shown.evaluations.set(b.batch, b.evaluations.length);
        if (b.verdict && !shown.verdicts.has(b.batch)) {
          shown.verdicts.add(b.batch);
          lines.push({ at: b.verdict.at, order: 0.5, text: [
            `  batch ${b.batch} verdict: ${b.verdict.decision}, score ${b.verdict.score.toFixed(1)}${b.verdict.reasons.length ? ` — ${b.verdict.reasons.slice(0, 2).join('; ')}` : ''}`,
            `    report: ${service.url}/ui/evaluations/${b.verdict.evaluationId}`,
          ] });
        }
      }
      for (const line of lines.sort((a, b) => a.at - b.at || a.order - b.order)) for (const text of line.text) console.log(text);
      if (TERMINAL.has(view.state) || view.state === 'paused') {
        const versions = new Map<string, number>();
        for (const h of fleet.hosts) versions.set(fleet.versionOnDisk(h.name), (versions.get(fleet.versionOnDisk(h.name)) ?? 0) + 1);
        console.log(`demo: release ${id} ${view.state}${view.state === 'paused' ? ` (${progress.pausedReason})` : ''}; hosts now run ${[...versions].map(([v, n]) => `${v} on ${n}`).join(', ')}`);
        console.log(`  release page: ${service.url}/ui/releases/${id}`);
        return view;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const good = await run(`rel-buy2-${GOOD}`, GOOD, FROM, 'a good build');
  const bad = good.state === 'succeeded' ? await run(`rel-buy2-${BAD}`, BAD, GOOD, 'a bad build: slower, more errors, a new NullPointerException') : null;
  const badBatch = bad?.progress.batches.find((b) => b.verdict?.decision === 'FAIL');
  const expected = good.state === 'succeeded' && bad?.state === 'rolled_back' && badBatch !== undefined && badBatch.batch <= 2
    && fleet.hosts.every((h) => fleet.versionOnDisk(h.name) === GOOD);
  console.log(`\ndemo: ${expected
    ? `the good release succeeded; the bad one was caught in batch ${badBatch?.batch} and rolled back — every host runs ${GOOD}`
    : 'the releases did not end as expected (see above)'} (${((Date.now() - started) / 1000).toFixed(1)} s; ${fleet.mirroredPoints.toLocaleString('en')} points in the ingest so far)`);
  if (args.options.exit) {
    await world.close();
    return expected ? 0 : 1;
  }
  console.log(`demo: still serving on ${service.url}; releases at ${service.url}/ui; Ctrl-C to stop`);
  const stop = async () => {
    await world.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return new Promise<number>(() => undefined);
}
