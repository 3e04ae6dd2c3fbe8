import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { SluiceError } from './core/errors.js';
import type { DetectorModule } from './core/detector.js';
import { exampleConfig, getDetector, listDetectors, listEntries, resolveDetector } from './registry.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const detectorFolders = readdirSync(join(root, 'detectors')).filter((name) => statSync(join(root, 'detectors', name)).isDirectory());

/** Duck-typing: what a folder's index exports that is a detector module. */
function isDetectorModule(value: unknown): value is DetectorModule {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<DetectorModule>;
  return typeof m.name === 'string' && typeof m.version === 'string' && typeof m.detect === 'function' && typeof m.capabilities === 'object' && m.configSchema !== undefined;
}

function thrown(task: () => unknown): SluiceError {
  try {
    task();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
  throw new Error('expected a SluiceError');
}

describe('registry: every detector folder is registered (STYLE habit 1)', () => {
  it.each(detectorFolders)('detectors/%s has an index.ts exporting registered DetectorModules', async (folder) => {
    const index = join(root, 'detectors', folder, 'index.ts');
    expect(existsSync(index), `detectors/${folder}/index.ts is missing`).toBe(true);
    const exports = (await import(pathToFileURL(index).href)) as Record<string, unknown>;
    const modules = Object.entries(exports).filter(([, value]) => isDetectorModule(value)) as [string, DetectorModule][];
    expect(modules.length, `detectors/${folder}/index.ts exports no DetectorModule`).toBeGreaterThan(0);
    for (const [exportName, module] of modules) {
      expect(exportName, 'a detector module is exported as <camelName>Detector').toBe(`${module.name}Detector`);
      expect(listDetectors(), `${exportName} from detectors/${folder} is not in src/registry.ts`).toContain(module);
    }
  });

  it('every registered detector is exported by a detector folder', async () => {
    const exported = new Set<unknown>();
    for (const folder of detectorFolders) {
      const index = join(root, 'detectors', folder, 'index.ts');
      if (!existsSync(index)) continue;
      for (const value of Object.values((await import(pathToFileURL(index).href)) as Record<string, unknown>)) exported.add(value);
    }
    for (const module of listDetectors()) expect(exported.has(module), `${module.name} is registered but no detectors/*/index.ts exports it`).toBe(true);
  });
});

describe('registry: every registered detector is benchmarked', () => {
  const benchDirectory = join(root, 'bench');
  const benchText = readdirSync(benchDirectory)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => readFileSync(join(benchDirectory, f), 'utf8'))
    .join('\n');
  // A bench that loops over listDetectors() is a bench configuration list covering the whole registry.
  const coversRegistry = /listDetectors\(\)/.test(benchText);
  it.each(listDetectors().map((m) => [m.name, m] as const))('%s: a bench/*.bench.ts names it, imports its folder or loops over the registry', async (name, module) => {
    let folder: string | undefined;
    for (const candidate of detectorFolders) {
      const index = join(root, 'detectors', candidate, 'index.ts');
      if (!existsSync(index)) continue;
      if (Object.values((await import(pathToFileURL(index).href)) as Record<string, unknown>).includes(module)) folder = candidate;
    }
    const named = benchText.includes(`${name}Detector`) || benchText.includes(`'${name}'`);
    const imported = folder !== undefined && benchText.includes(`detectors/${folder}/`);
    expect(named || imported || coversRegistry, `no bench/*.bench.ts names ${name}Detector or '${name}', or imports detectors/${folder ?? '?'}/`).toBe(true);
  });
});

describe('getDetector(name) / listDetectors()', () => {
  it('names are unique camelCase and versions semantic', () => {
    const names = listDetectors().map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of listDetectors()) {
      expect(m.name).toMatch(/^[a-z][A-Za-z0-9]*$/);
      expect(m.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(getDetector(m.name)).toBe(m);
    }
  });

  it('an unknown name is a SluiceError naming the field and the known detectors', () => {
    const error = thrown(() => getDetector('holtWinter'));
    expect(error.code).toBe('unknown_detector');
    expect(error.path).toBe('name');
    expect(error.issues[0].message).toMatch(/^unknown detector "holtWinter"; known detectors: .*staticThreshold/);
  });
});

describe('resolveDetector({ name, config })', () => {
  it('parses the config with the module schema, filling defaults', () => {
    const { module, config } = resolveDetector({ name: 'staticThreshold', config: { upper: 5 } });
    expect(module.name).toBe('staticThreshold');
    expect(config).toEqual({ upper: 5, minViolations: 3 });
    expect(resolveDetector({ name: 'trend' }).config).toEqual({ sensitivity: 3, minHistoryWindows: 8 });
  });

  it('a bad config is a SluiceError whose path is config.<field>', () => {
    const error = thrown(() => resolveDetector({ name: 'dynamicThreshold', config: { upperQuantile: 2, tolerance: -1 } }));
    expect({ code: error.code, path: error.path, issues: error.issues.map((i) => i.path) }).toEqual({
      code: 'invalid_config',
      path: 'config.upperQuantile',
      issues: ['config.upperQuantile', 'config.tolerance'],
    });
    expect(error.message).toMatch(/^config.upperQuantile: .* \(dynamicThreshold config\); also config.tolerance: /);
  });

  it('an unknown name is reported before the config is looked at', () => {
    expect(thrown(() => resolveDetector({ name: 'nope', config: { upper: 'x' } })).code).toBe('unknown_detector');
  });

  it.each(listEntries().map((e) => [e.module.name] as const))('%s: its example (or {}) is a valid config', (name) => {
    expect(() => resolveDetector({ name, config: exampleConfig(name) })).not.toThrow();
  });
});
