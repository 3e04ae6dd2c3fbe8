/**
 * `sluice demo` (what `npm start` runs): the service on its embedded defaults — SQLite state, the
 * built-in ingest, and a simulated fleet of 200 hosts in 4 datacenters that report metrics through
 * InfluxDB line protocol. Two releases deploy their first batch; the gate judges each over HTTP:
 * a good one passes, a bad one (slower, more errors) fails. Prints progress and each report's URL,
 * then keeps serving until Ctrl-C (or exits with `--exit`).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRandom, seedFrom } from '../../src/core/random.js';
import { createKey } from '../auth/api-keys.js';
import { startService } from '../main.js';
import { optionString, parseArgs } from './args.js';

const HELP = `usage: sluice demo [--port N] [--data DIR] [--hosts N] [--exit]

  --port   port to listen on (default: $PORT or 8080; a free one if taken)
  --data   data folder, emptied first (default .sluice/demo)
  --hosts  fleet size (default 200, at least 40)
  --exit   stop after the two releases instead of serving on`;

const STEP = 300_000;
const HISTORY_POINTS = 576; // two days at five minutes
const WINDOW_POINTS = 12; // one hour observed after the batch is deployed
const DATACENTERS = ['et2', 'na61', 'su18', 'eu13'];

interface Host {
  name: string;
  datacenter: string;
  size: number;
}

/** Line protocol for every host and metric over [from, to); `bad` hosts get slower and fail more after `deployedAt`. */
function fleetLines(hosts: Host[], from: number, to: number, deployedAt: number, bad: Set<string>, seed: number): string[] {
  const lines: string[] = [];
  for (const host of hosts) {
    const random = createRandom(seedFrom(seed, host.name));
    for (let t = from; t < to; t += STEP) {
      const hour = ((t / 3_600_000) % 24 + 8) % 24;
      const traffic = 1 + 0.6 * Math.cos((2 * Math.PI * (hour - 14)) / 24);
      const qps = 120 * host.size * traffic * (1 + 0.04 * random.normal());
      const after = bad.has(host.name) && t >= deployedAt;
      const rt = (18 + 6 * traffic) * (after ? 1.45 : 1) * (1 + 0.05 * random.normal());
      const errors = Math.max(0, (0.4 + (after ? 2.5 : 0)) * (1 + 0.2 * random.normal()));
      const cpu = Math.min(100, 8 + 30 * host.size * traffic + 1.5 * random.normal());
      const ns = `${t}000000`;
      lines.push(
        `rpc,host=${host.name},dc=${host.datacenter} rt=${rt.toFixed(2)},qps=${qps.toFixed(1)} ${ns}`,
        `app,host=${host.name},dc=${host.datacenter} error_rate=${errors.toFixed(3)} ${ns}`,
        `system,host=${host.name},dc=${host.datacenter} cpu_util=${cpu.toFixed(1)} ${ns}`,
      );
    }
  }
  return lines;
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['help', 'exit'], values: ['port', 'data', 'hosts'] });
  if (args.options.help) {
    console.log(HELP);
    return 0;
  }
  const dataDir = resolve(optionString(args, 'data') ?? join('.sluice', 'demo'));
  const hostCount = Math.max(40, Number(optionString(args, 'hosts') ?? 200));
  rmSync(dataDir, { recursive: true, force: true });
  const port = Number(optionString(args, 'port') ?? process.env.PORT ?? 8080);
  const service = await startService({ dataDir, port }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    console.log(`demo: port ${port} is taken; using a free one`);
    return startService({ dataDir, port: 0 });
  });
  const admin = await createKey(service.store, 'demo admin', ['admin'], Date.now());
  // The key goes to a 0600 file, never to the log.
  writeFileSync(join(dataDir, 'admin.key'), `${admin.key}\n`, { mode: 0o600 });
  console.log(`demo: Sluice is serving on ${service.url} (SQLite and metrics in ${dataDir})`);

  const random = createRandom(20171204);
  const hosts: Host[] = Array.from({ length: hostCount }, (_, i) => {
    const datacenter = DATACENTERS[i % DATACENTERS.length];
    return { name: `app-${datacenter}-${String(i).padStart(3, '0')}`, datacenter, size: random.logNormal(0, 0.15) };
  });
  const now = Math.floor(Date.now() / STEP) * STEP;
  const deployedAt = now - WINDOW_POINTS * STEP;
  const from = deployedAt - HISTORY_POINTS * STEP;
  // Two releases of two apps on the same kind of fleet: batch 1 is 10 % of the hosts, evenly by datacenter.
  const batchOf = (offset: number) => hosts.filter((_, i) => i % 10 === offset);
  const releases = [
    { id: 'rel-good-2.4.1', version: '2.4.1', batch: batchOf(0), bad: false },
    { id: 'rel-bad-2.5.0', version: '2.5.0', batch: batchOf(5), bad: true },
  ];
  const badHosts = new Set(releases.filter((r) => r.bad).flatMap((r) => r.batch.map((h) => h.name)));
  // The control group: hosts that no release has reached.
  const unreleased = hosts.filter((h) => !releases.some((r) => r.batch.includes(h))).slice(0, 60).map((h) => h.name);

  // The fleet reports two days and an hour of metrics through line protocol, as Telegraf would.
  const lines = fleetLines(hosts, from, now, deployedAt, badHosts, 7);
  const started = Date.now();
  const chunk = 20_000;
  for (let i = 0; i < lines.length; i += chunk) {
    const response = await fetch(`${service.url}/v1/metrics/write?precision=ns`, { method: 'POST', body: lines.slice(i, i + chunk).join('\n'), headers: { authorization: `Bearer ${admin.key}` } });
    if (!response.ok) throw new Error(`ingest failed: ${response.status} ${await response.text()}`);
    const done = Math.min(lines.length, i + chunk);
    if (done === lines.length || (i / chunk) % 10 === 0) process.stdout.write(`demo: fleet of ${hosts.length} hosts in ${DATACENTERS.length} datacenters reported ${done.toLocaleString('en')} of ${lines.length.toLocaleString('en')} lines\n`);
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(`demo: ingested ${(service.ingest.count()).toLocaleString('en')} points in ${seconds.toFixed(1)} s`);

  const reports: string[] = [];
  for (const release of releases) {
    const batchNames = new Set(release.batch.map((h) => h.name));
    const response = await fetch(`${service.url}/v1/gate/evaluate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        query: {
          app: release.bad ? 'cart' : 'buy2',
          release: { id: release.id, version: release.version, batch: 1, deployedAt },
          step: STEP, historyFrom: from, until: now,
          hosts: { released: [...batchNames], unreleased },
          metrics: [
            { name: 'rpc.rt', category: 'middleware', direction: 'up' },
            { name: 'rpc.qps', category: 'middleware', direction: 'both' },
            { name: 'app.error_rate', category: 'application', direction: 'up', critical: true },
            { name: 'system.cpu_util', category: 'system', direction: 'up' },
          ],
        },
      }),
    });
    const verdict = (await response.json()) as { id: string; decision: string; score: number; reasons: string[]; report: string; anomalies: number };
    if (!response.ok) throw new Error(`gate failed: ${JSON.stringify(verdict)}`);
    const action = verdict.decision === 'PASS' ? 'continue with batch 2' : verdict.decision === 'FAIL' ? `roll back the ${batchNames.size} released hosts` : 'pause for a person';
    console.log(`\ndemo: release ${release.id} batch 1 (${batchNames.size} hosts, ${unreleased.length} unreleased as control): ${verdict.decision}, score ${verdict.score.toFixed(1)}, ${verdict.anomalies} anomalies → ${action}`);
    for (const reason of verdict.reasons.slice(0, 4)) console.log(`  - ${reason}`);
    console.log(`  report: ${service.url}/ui/evaluations/${verdict.id}  (the page asks once for an API key: the admin key is in ${join(dataDir, 'admin.key')})`);
    reports.push(verdict.decision);
  }
  if (args.options.exit) {
    await service.close();
    return reports[0] === 'PASS' && reports[1] === 'FAIL' ? 0 : 1;
  }
  console.log(`\ndemo: still serving on ${service.url}; Ctrl-C to stop`);
  const stop = async () => {
    await service.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return new Promise<number>(() => undefined);
}
