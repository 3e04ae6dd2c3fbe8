/**
 * The detector registry: every detector Sluice ships, by name, so configurations and replay can
 * name a detector and its settings as data (`{ name: 'holtWinters', config: { … } }`).
 *
 * Adding a detector means adding its module here; `src/registry.test.ts` fails when a folder
 * under `detectors/` exports a `DetectorModule` that is not registered.
 */
import type { z } from 'zod';
import { parseConfig } from './core/config.js';
import { SluiceError, type SluiceIssue } from './core/errors.js';
import type { DetectorModule } from './core/detector.js';
import { arimaDetector, stlArimaDetector } from '../detectors/arima/index.js';
import { anchoredBaselineDetector } from '../detectors/anchored-baseline/index.js';
import { aucDetector } from '../detectors/auc/index.js';
import { didDetector } from '../detectors/did/index.js';
import { dtwDetector } from '../detectors/dtw/index.js';
import { historicalAverageDetector } from '../detectors/historical-average/index.js';
import { holtWintersDetector } from '../detectors/holt-winters/index.js';
import { logExceptionsDetector } from '../detectors/log-exceptions/index.js';
import { rankTestDetector } from '../detectors/rank-test/index.js';
import { stlDetector } from '../detectors/stl/index.js';
import {
  dynamicThresholdDetector,
  previousWindowDetector,
  sameTimeDetector,
  segmentedThresholdDetector,
  staticThresholdDetector,
  trendDetector,
} from '../detectors/thresholds/index.js';

/** A registered detector, with a configuration that shows it at work. */
export interface RegistryEntry {
  readonly module: DetectorModule;
  /**
   * A valid configuration for documentation and the shared contract suite, written for a metric
   * whose usual level is about 100. Omitted when the defaults (`{}`) already make a working detector.
   */
  readonly example?: unknown;
}

const entries: readonly RegistryEntry[] = [
  // Before/after: forecast from history.
  { module: holtWintersDetector },
  { module: historicalAverageDetector },
  { module: stlDetector },
  { module: arimaDetector },
  { module: stlArimaDetector },
  { module: anchoredBaselineDetector },
  // Released vs unreleased.
  { module: dtwDetector },
  { module: aucDetector },
  { module: rankTestDetector },
  { module: didDetector },
  // The seed's basic strategies.
  { module: trendDetector },
  { module: sameTimeDetector },
  { module: previousWindowDetector },
  { module: staticThresholdDetector, example: { upper: 150, lower: 50 } },
  {
    module: segmentedThresholdDetector,
    example: {
      timeZone: 'Asia/Shanghai',
      segments: [
        { from: '09:00', to: '21:00', upper: 150, lower: 50 },
        { from: '21:00', to: '09:00', upper: 160, lower: 40 },
      ],
    },
  },
  { module: dynamicThresholdDetector },
  // Logs.
  { module: logExceptionsDetector },
];

const byName = new Map<string, RegistryEntry>();
for (const entry of entries) {
  if (byName.has(entry.module.name)) throw new Error(`registry: detector name ${entry.module.name} is registered twice`);
  byName.set(entry.module.name, entry);
}

/** Every registered detector module, in registration order. */
export function listDetectors(): DetectorModule[] {
  return entries.map((e) => e.module);
}

/** Every registry entry (module plus example configuration). */
export function listEntries(): readonly RegistryEntry[] {
  return entries;
}

function unknown(name: unknown, path: string): SluiceError {
  const known = [...byName.keys()].join(', ');
  return new SluiceError('unknown_detector', path, `unknown detector ${JSON.stringify(name)}; known detectors: ${known}`);
}

/** The detector module called `name`; throws `SluiceError('unknown_detector')` for any other name. */
export function getDetector(name: string): DetectorModule {
  const entry = typeof name === 'string' ? byName.get(name) : undefined;
  if (!entry) throw unknown(name, 'name');
  return entry.module;
}

/** The example configuration of a registered detector (`{}` when its defaults suffice). */
export function exampleConfig(name: string): unknown {
  getDetector(name);
  return byName.get(name)?.example ?? {};
}

/** A detector with its configuration parsed: ready to call `module.detect(input, config)`. */
export interface ResolvedDetector<M extends DetectorModule = DetectorModule> {
  module: M;
  config: z.output<M['configSchema']>;
}

/**
 * Resolves `{ name, config }` (e.g. from a gate policy or a replay file) to the module and its
 * config parsed with the module's zod schema, defaults filled in. An unknown name throws
 * `SluiceError('unknown_detector', 'name')`; a bad config throws
 * `SluiceError('invalid_config', 'config.<field>')` naming every offending field.
 */
export function resolveDetector(spec: { name: string; config?: unknown }): ResolvedDetector {
  const module = getDetector(spec.name);
  try {
    return { module, config: parseConfig(module.configSchema, spec.config ?? {}, `${module.name} config`) };
  } catch (error) {
    if (!(error instanceof SluiceError)) throw error;
    const issues: SluiceIssue[] = error.issues.map((i) => ({ ...i, path: i.path ? `config.${i.path}` : 'config' }));
    const [first, ...rest] = issues;
    const also = rest.length > 0 ? `; also ${rest.map((i) => `${i.path}: ${i.message}`).join('; ')}` : '';
    throw new SluiceError('invalid_config', first?.path ?? 'config', `${first?.message ?? error.message} (${module.name} config)${also}`, issues);
  }
}
