/**
 * Starting a worker thread on one of our modules, built or from source: built, the worker is the
 * `.js` file next to the caller; run from source under tsx, a new thread has no TypeScript loader,
 * so a two-line bootstrap registers tsx in it first and then imports the `.ts` module.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker running `name` (a file name without extension) from the folder of `base` (the
 * caller's `import.meta.url`). `options` are passed on (`workerData`, `resourceLimits`, …).
 */
export function startModuleWorker(base: string, name: string, options: WorkerOptions = {}): Worker {
  if (!base.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, base), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const module = new URL(`./${name}.ts`, base).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(module)}); });`, { ...options, eval: true });
}
