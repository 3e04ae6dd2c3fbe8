/**
 * `sluice serve`: starts the HTTP service. On first start with no API keys it creates an admin
 * key and writes it to `<data>/admin.key` (mode 0600) — the key never goes to the log.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SluiceError } from '../../src/core/errors.js';
import { createKey } from '../auth/api-keys.js';
import { prometheusOptionsSchema } from '../adapters/metrics/prometheus.js';
import { serviceConfigSchema, startService } from '../main.js';
import { optionString, parseArgs } from './args.js';

const HELP = `usage: sluice serve [--port N] [--host H] [--data DIR] [--store sqlite|postgres://…] [--influx host:port/db]

  --port     port to listen on (default: $PORT or 8080)
  --host     address to bind (default 127.0.0.1)
  --data     data folder, created when missing (default .sluice)
  --store    sqlite (default) or a PostgreSQL URL shared by several replicas
  --postgres-schema  schema to use in that database (created when missing)
  --influx   read metrics from InfluxDB 1.x at host:port/database instead of the built-in ingest
  --prometheus  read metrics from Prometheus: its URL, or a JSON file of options ({ "url", "hostLabel", "metrics",
             "queries", "bearerToken", … }; see service/adapters/metrics/prometheus.ts)
  --config   a JSON file for the release orchestrator: { "agent", "p2p", "safety", "orchestrator", "gate", "historyCache", "retention" }
             agent: { "kind": "none" | "local" | "ssh" | "http", … }  (service/compose/agent.ts)
             p2p:   { "kind": "none" | "local" | "direct-http" | "dragonfly", … }  (service/compose/p2p.ts)
             safety: the command whitelist; orchestrator: lease and poll settings (service/main.ts).
             gate:  { "workers": threads judging batches (0: the service's own thread), "maxMemoryMb" }
             historyCache: { "maxMb": 256, "maxLogEvents": 1000000, "settleMinutes": 5 }  settled history kept between evaluations
             retention: { "evaluationInputsDays": 30, "metricsDays": 35, "logsDays": 14, "everyMinutes": 60 } (0 days: for ever)
             Keys, secrets and tokens are read from the files (or environment variables) it names.`;

// What --config may set: the parts of the service config that are too nested for flags.
const fileConfigSchema = serviceConfigSchema.pick({ agent: true, p2p: true, safety: true, orchestrator: true, gate: true, historyCache: true, retention: true }).partial().strict();

/** A JSON file's contents; a missing or malformed file is an error naming the option and the file. */
function readJson(file: string, option: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${option} ${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${option} ${file}: not JSON (${(error as Error).message})`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['help'], values: ['port', 'host', 'data', 'store', 'postgres-schema', 'influx', 'prometheus', 'config'] });
  if (args.options.help) {
    console.log(HELP);
    return 0;
  }
  const dataDir = resolve(optionString(args, 'data') ?? '.sluice');
  const influx = optionString(args, 'influx');
  const influxMatch = influx ? /^([^:/]+):(\d+)\/(.+)$/.exec(influx) : null;
  if (influx && !influxMatch) throw new Error(`--influx must be host:port/database, got '${influx}'`);
  const prometheusArg = optionString(args, 'prometheus');
  // A file keeps a token off the command line; a bare URL is enough for an open server.
  const prometheusInput: unknown = prometheusArg === undefined ? undefined : /^https?:\/\//.test(prometheusArg) ? { url: prometheusArg } : readJson(prometheusArg, '--prometheus');
  const prometheusParsed = prometheusInput === undefined ? undefined : prometheusOptionsSchema.safeParse(prometheusInput);
  if (prometheusParsed && !prometheusParsed.success) {
    const issue = prometheusParsed.error.issues[0];
    throw new Error(`--prometheus: ${issue.path.join('.') || '(options)'}: ${issue.message}`);
  }
  const prometheus = prometheusParsed?.data;
  const configArg = optionString(args, 'config');
  const fileConfig = configArg === undefined ? undefined : fileConfigSchema.safeParse(readJson(configArg, '--config'));
  if (fileConfig && !fileConfig.success) {
    const issue = fileConfig.error.issues[0];
    throw new Error(`--config ${configArg}: ${issue.path.join('.') || '(file)'}: ${issue.message}`);
  }
  const start = startService(
    {
      dataDir,
      port: Number(optionString(args, 'port') ?? process.env.PORT ?? 8080),
      host: optionString(args, 'host') ?? '127.0.0.1',
      store: optionString(args, 'store') ?? 'sqlite',
      postgresSchema: optionString(args, 'postgres-schema'),
      metricSource: influxMatch ? 'influxdb' : prometheus ? 'prometheus' : 'ingest',
      prometheus,
      influx: influxMatch ? { host: influxMatch[1], port: Number(influxMatch[2]), database: influxMatch[3] } : undefined,
      ...fileConfig?.data,
    },
    (line) => console.log(line),
  );
  // An agent or P2P setting the file gave is named with the file it came from.
  const service = await start.catch((error: unknown) => {
    if (configArg !== undefined && error instanceof SluiceError && /^(agent|p2p|safety|orchestrator|gate|historyCache|retention)\b/.test(error.path)) throw new Error(`--config ${configArg}: ${error.message}`);
    throw error;
  });
  if ((await service.store.listApiKeys()).length === 0) {
    const keyFile = join(dataDir, 'admin.key');
    const issued = await createKey(service.store, 'bootstrap admin', ['admin'], Date.now());
    if (!existsSync(keyFile)) writeFileSync(keyFile, `${issued.key}\n`, { mode: 0o600 });
    await service.store.appendAudit({ at: Date.now(), keyId: null, action: 'key.create', target: `key:${issued.record.id}`, result: 'ok', detail: 'bootstrap admin key' });
    console.log(`sluice: created the first admin key (${issued.record.prefix}); it is in ${keyFile}`);
  }
  console.log(`sluice: listening on ${service.url} (data in ${dataDir}; agent ${service.agent.name}, p2p ${service.p2p.name})`);
  const stop = async () => {
    await service.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return new Promise<number>(() => undefined);
}
