/**
 * `sluice serve`: starts the HTTP service. On first start with no API keys it creates an admin
 * key and writes it to `<data>/admin.key` (mode 0600) — the key never goes to the log.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
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
  --config   a JSON file for the release orchestrator: { "agent", "p2p", "safety", "orchestrator" }
             (agent { "kind": "local", "hosts": [...] }, p2p { "kind": "local" }, the command whitelist; see service/main.ts)`;

// What --config may set: the parts of the service config that are too nested for flags.
const fileConfigSchema = serviceConfigSchema.pick({ agent: true, p2p: true, safety: true, orchestrator: true }).partial().strict();

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
  const prometheusInput: unknown = prometheusArg === undefined ? undefined : /^https?:\/\//.test(prometheusArg) ? { url: prometheusArg } : JSON.parse(readFileSync(prometheusArg, 'utf8'));
  const prometheusParsed = prometheusInput === undefined ? undefined : prometheusOptionsSchema.safeParse(prometheusInput);
  if (prometheusParsed && !prometheusParsed.success) {
    const issue = prometheusParsed.error.issues[0];
    throw new Error(`--prometheus: ${issue.path.join('.') || '(options)'}: ${issue.message}`);
  }
  const prometheus = prometheusParsed?.data;
  const configArg = optionString(args, 'config');
  const fileConfig = configArg === undefined ? undefined : fileConfigSchema.safeParse(JSON.parse(readFileSync(configArg, 'utf8')));
  if (fileConfig && !fileConfig.success) {
    const issue = fileConfig.error.issues[0];
    throw new Error(`--config ${configArg}: ${issue.path.join('.') || '(file)'}: ${issue.message}`);
  }
  const service = await startService(
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
  if ((await service.store.listApiKeys()).length === 0) {
    const keyFile = join(dataDir, 'admin.key');
    const issued = await createKey(service.store, 'bootstrap admin', ['admin'], Date.now());
    if (!existsSync(keyFile)) writeFileSync(keyFile, `${issued.key}\n`, { mode: 0o600 });
    await service.store.appendAudit({ at: Date.now(), keyId: null, action: 'key.create', target: `key:${issued.record.id}`, result: 'ok', detail: 'bootstrap admin key' });
    console.log(`sluice: created the first admin key (${issued.record.prefix}); it is in ${keyFile}`);
  }
  console.log(`sluice: listening on ${service.url} (data in ${dataDir})`);
  const stop = async () => {
    await service.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return new Promise<number>(() => undefined);
}
