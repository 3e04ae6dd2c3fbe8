/**
 * The service as the crash tests run it: a child process on the local fleet and local P2P, with a
 * clock that runs fast from a fixed anchor (so a restarted process continues the same virtual
 * time), and a scripted judge. Test-only configuration comes from the environment:
 *   SLUICE_TEST_DATA      data folder (SQLite state)
 *   SLUICE_TEST_FLEET     local fleet root;  SLUICE_TEST_HOSTS  host names, comma-separated
 *   SLUICE_TEST_JUDGE     script:PASS,FAIL,…  (decision per batch)
 *   SLUICE_TEST_CLOCK     <factor>:<anchor epoch ms>
 *   SLUICE_TEST_COMMAND_MS  real ms each deploy or rollback command takes on a host
 * Prints `listening on <url>` when ready.
 */
import { acceleratedClock } from '../../clock/accelerated.js';
import { localFleet } from '../../adapters/agent/local.js';
import { localP2P } from '../../adapters/p2p/local.js';
import { startService } from '../../main.js';
import type { SafetyConfig } from '../../safety/index.js';
import { parseJudgeScript, scriptedJudge } from './fakes.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
};

const [factor, anchor] = env('SLUICE_TEST_CLOCK').split(':').map(Number);
const clock = acceleratedClock({ factor, start: anchor + (Date.now() - anchor) * factor });
const hosts = env('SLUICE_TEST_HOSTS').split(',');
const fleet = env('SLUICE_TEST_FLEET');
const seconds = (Number(process.env.SLUICE_TEST_COMMAND_MS ?? 200) / 1000).toFixed(3);

// The whitelist the crash tests need: deploy and rollback (app, version[, digest]) write the
// version file after a pause, so a kill can land while they run.
const script = `sleep ${seconds}; printf %s "$2" > deployed-version`;
const safety: SafetyConfig = {
  commands: {
    deploy: { argv: ['sh', '-c', script, 'deploy', '{args}'], args: { min: 3, max: 3 } },
    rollback: { argv: ['sh', '-c', script, 'rollback', '{args}'], args: { min: 2, max: 2 } },
  },
};

const service = await startService(
  { dataDir: env('SLUICE_TEST_DATA'), port: 0, orchestrator: { leaseTtlMs: 60_000, pollMs: 2000 }, safety },
  (line) => process.stdout.write(`${line}\n`),
  {
    clock,
    agent: localFleet({ root: fleet, hosts }),
    p2p: localP2P({ root: fleet, perHostDelayMs: 150, concurrency: 2, pollIntervalMs: 20 }),
    judge: scriptedJudge(parseJudgeScript(env('SLUICE_TEST_JUDGE'))),
    orchestrator: { scanMs: 2000, retryDelayMs: 1000 },
  },
);
process.stdout.write(`listening on ${service.url}\n`);
