/**
 * Runs `sluice serve` as a real child process for crash tests: waits for its "listening on" line
 * and hands back the URL and the admin key it wrote.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'sluice.js');

export interface ChildService {
  url: string;
  adminKey: string;
  process: ChildProcess;
  output: string[];
}

export function startChildService(dataDir: string, extraArgs: string[] = []): Promise<ChildService> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data', dataDir, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start: ${output.join('')}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const match = /listening on (http:\/\/[^\s]+)/.exec(output.join(''));
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], adminKey: readFileSync(join(dataDir, 'admin.key'), 'utf8').trim(), process: child, output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code}: ${output.join('')}`));
    });
  });
}

/** Kills the child with SIGKILL (the grandchild node process too, since bin/ spawns one) and waits. */
export async function killHard(service: ChildService): Promise<void> {
  await new Promise<void>((resolve) => {
    if (service.process.exitCode !== null) return resolve();
    service.process.removeAllListeners('exit');
    service.process.once('exit', () => resolve());
    service.process.kill('SIGKILL');
  });
}
