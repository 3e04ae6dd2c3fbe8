/**
 * The seeded generator of labeled release cases.
 *
 * One case is one release batch of one application: a shared traffic curve (daily and weekly
 * seasonality, a slow trend, a random walk), hosts of different sizes and noise, one to three
 * metrics per category of the seed deck, background exceptions in the logs, gaps (断图), and then
 * either a fault of the release on the released hosts only (bad) or nothing / a confounder that
 * hits every host (good). Every case draws from its own stream, seeded by (preset seed, index),
 * so any case can be regenerated alone and the same seed gives the same bytes.
 */
import type { LogEvent } from '../../src/core/detector.js';
import { type Random, createRandom, seedFrom } from '../../src/core/random.js';
import { nanMad, nanMean, nanStd } from '../../src/core/stats.js';
import type { CaseLabel, HostSeries, ParsedCase, ParsedMetric } from '../../src/datasets/case.js';
import type { DatasetSplit } from '../../src/datasets/dataset.js';
import { type MetricSpec, backgroundExceptions, fatalExceptions, metricCatalog, upstreamExceptions } from './catalog.js';
import { type BadKind, type CaseKind, type GeneratorPreset, type GoodKind, type Range, badKinds, goodKinds } from './presets.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * Exact counts per kind for `count` cases: `round(count · badShare)` bad ones and the rest good,
 * each shared out over the kinds by their weights (largest remainder), then put in a seeded
 * random order. Case `i` gets kind `i` of the result. Cost: O(count).
 */
export function planKinds(preset: GeneratorPreset, count: number, seed: number = preset.seed): CaseKind[] {
  const badCount = Math.round(count * preset.badShare);
  const kinds: CaseKind[] = [...apportion(badKinds, preset.weights.bad, badCount), ...apportion(goodKinds, preset.weights.good, count - badCount)];
  return createRandom(seedFrom(seed, 'plan', count)).shuffled(kinds);
}

function apportion<K extends string>(kinds: readonly K[], weights: Record<K, number>, total: number): K[] {
  const sum = kinds.reduce((s, k) => s + weights[k], 0);
  const exact = kinds.map((k) => (weights[k] / sum) * total);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((s, n) => s + n, 0);
  const order = kinds.map((_, i) => i).sort((a, b) => (exact[b] as number) - (counts[b] as number) - ((exact[a] as number) - (counts[a] as number)) || a - b);
  for (const i of order) {
    if (left <= 0) break;
    counts[i] = (counts[i] as number) + 1;
    left--;
  }
  return kinds.flatMap((k, i) => new Array<K>(counts[i] as number).fill(k));
}

const draw = (random: Random, [low, high]: Range): number => random.uniform(low, high);
const isBad = (kind: CaseKind): kind is BadKind => (badKinds as readonly string[]).includes(kind);

/** Which kinds allow a case without unreleased hosts (a confounder needs control hosts to be told apart). */
const needsControl: ReadonlySet<CaseKind> = new Set<CaseKind>(['traffic peak', 'traffic ramp', 'upstream failure', 'daily ramp', 'data gaps']);

const latencyNames = metricCatalog.filter((m) => m.signal === 'latency').map((m) => m.name);

function chooseMetrics(random: Random, kind: CaseKind, preset: GeneratorPreset): MetricSpec[] {
  const chosen = new Set<string>();
  if (kind === 'error-rate rise' || kind === 'upstream failure') chosen.add('application.error.rate');
  if (kind === 'latency regression on a few hosts' || kind === 'small latency regression' || kind === 'upstream failure') chosen.add(random.pick(latencyNames));
  if ((kind === 'new fatal exception' || kind === 'surging old exception') && random.chance(0.6)) chosen.add('application.exception.count');
  for (const category of ['system', 'container', 'middleware', 'application', 'business'] as const) {
    if (metricCatalog.some((m) => m.category === category && chosen.has(m.name))) continue;
    chosen.add(random.pick(metricCatalog.filter((m) => m.category === category)).name);
  }
  const extra = random.integer(preset.extraMetrics[0], preset.extraMetrics[1]);
  const rest = random.shuffled(metricCatalog.filter((m) => !chosen.has(m.name)));
  for (let i = 0; i < extra && i < rest.length; i++) chosen.add((rest[i] as MetricSpec).name);
  return metricCatalog.filter((m) => chosen.has(m.name));
}

interface Host {
  name: string;
  released: boolean;
  /** Relative size (share of traffic). */
  size: number;
  /** Relative noise. */
  noise: number;
  /** Relative latency and error proneness. */
  latency: number;
  errors: number;
}

interface World {
  preset: GeneratorPreset;
  kind: CaseKind;
  start: number;
  step: number;
  length: number;
  deployIndex: number;
  /** Shared traffic multiplier per point (about 1 on average over a day). */
  traffic: Float64Array;
  /** Requests per second of an average host at traffic 1. */
  qps: number;
  hosts: Host[];
}

function makeHosts(random: Random, preset: GeneratorPreset, kind: CaseKind, app: string): Host[] {
  let released = random.integer(preset.releasedHosts[0], preset.releasedHosts[1]);
  if (kind === 'latency regression on a few hosts') released = Math.max(released, 2);
  let unreleased = random.integer(preset.unreleasedHosts[0], preset.unreleasedHosts[1]);
  if (!needsControl.has(kind) && random.chance(preset.noUnreleasedChance)) {
    unreleased = 0;
    released = Math.max(released, 2);
  }
  const datacenter = random.pick(preset.datacenters);
  const numbers = random.shuffled(Array.from({ length: 60 }, (_, i) => i + 1)).slice(0, released + unreleased);
  return numbers.map((n, i) => ({
    name: `${app}-${i < released ? datacenter : random.pick(preset.datacenters)}-${String(n).padStart(3, '0')}`,
    released: i < released,
    size: random.logNormal(0, preset.hostSpread),
    noise: random.logNormal(0, 0.25),
    latency: random.logNormal(0, 0.1),
    errors: random.logNormal(0, 0.3),
  }));
}

function makeTraffic(random: Random, world: Omit<World, 'traffic' | 'hosts' | 'qps'>, offsetMs: number): Float64Array {
  const { length, start, step, deployIndex, kind, preset } = world;
  const main = random.uniform(0.35, 0.6);
  const mainPeak = random.uniform(14.5, 16.5);
  const second = random.uniform(0.05, 0.15);
  const secondPeak = random.uniform(20, 22);
  const weekend = random.uniform(0.75, 1.2);
  const slope = random.uniform(-0.03, 0.03);
  const dayFactor = (localDay: number): number => {
    const weekday = (((localDay + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
    return weekday === 0 || weekday === 6 ? weekend : 1;
  };
  const traffic = new Float64Array(length);
  let walk = 0;
  const pointsPerDay = DAY / step;
  for (let i = 0; i < length; i++) {
    const local = start + i * step + offsetMs;
    const localDay = Math.floor(local / DAY);
    const hour = (local - localDay * DAY) / HOUR;
    const shape = Math.max(0.1, 1 + main * Math.cos((2 * Math.PI * (hour - mainPeak)) / 24) + second * Math.cos((4 * Math.PI * (hour - secondPeak)) / 24));
    // Day types change level over the first two hours after midnight, not in one step.
    const blend = Math.min(1, hour / 2);
    const week = dayFactor(localDay - 1) + (dayFactor(localDay) - dayFactor(localDay - 1)) * blend;
    walk = 0.97 * walk + random.normal(0, 0.01);
    traffic[i] = shape * week * (1 + (slope * (i - length)) / pointsPerDay) * Math.exp(walk);
  }
  if (kind === 'traffic peak') {
    const top = draw(random, preset.effects.peak);
    const begin = deployIndex + random.integer(-2, 4);
    const rise = random.integer(1, 3);
    const hold = random.integer(3, 9);
    const fall = random.integer(2, 5);
    for (let i = Math.max(0, begin); i < length; i++) {
      const k = i - begin;
      const f = k < rise ? (k + 1) / rise : k < rise + hold ? 1 : Math.max(0, 1 - (k - rise - hold + 1) / fall);
      traffic[i] = (traffic[i] as number) * (1 + (top - 1) * f);
    }
  } else if (kind === 'traffic ramp') {
    const top = draw(random, preset.effects.trafficRamp);
    const begin = deployIndex - random.integer(0, 6);
    const span = length - begin;
    for (let i = Math.max(0, begin); i < length; i++) traffic[i] = (traffic[i] as number) * (1 + ((top - 1) * (i - begin + 1)) / span);
  }
  return traffic;
}

/** Per-metric parameters drawn once per case. */
interface SignalParameters {
  scale: number;
  base: number;
  coupling: number;
  sawPeriod: number;
  sawAmplitude: number;
}

function signalParameters(random: Random, spec: MetricSpec): SignalParameters {
  const p: SignalParameters = { scale: 1, base: 0, coupling: 0, sawPeriod: 0, sawAmplitude: 0 };
  switch (spec.signal) {
    case 'volume':
      p.scale = random.uniform(0.2, 1.2);
      break;
    case 'count':
      p.scale = spec.name.includes('exception') ? random.uniform(2e-5, 2e-4) : random.uniform(0.003, 0.02);
      break;
    case 'latency':
      p.base = random.uniform(3, 40);
      p.coupling = random.uniform(0.05, 0.25);
      break;
    case 'utilization':
      p.base = random.uniform(3, 10);
      p.scale = random.uniform(20, 45);
      break;
    case 'load':
      p.base = random.uniform(0.2, 0.6);
      p.scale = random.uniform(1, 4);
      break;
    case 'memory':
      p.base = random.uniform(40, 70);
      p.coupling = random.uniform(0, 3);
      if (spec.name.includes('heap')) {
        p.sawPeriod = random.integer(6, 30);
        p.sawAmplitude = random.uniform(4, 15);
      }
      break;
    case 'gc':
      p.base = random.uniform(50, 400);
      break;
    case 'threads':
      p.base = random.uniform(2, 6);
      break;
    case 'errorRate':
      p.base = random.uniform(0.0005, 0.005);
      break;
    case 'successRate':
      p.base = random.uniform(0.001, 0.02);
      break;
  }
  return p;
}

/** One host's values of one metric before any fault, gap or rounding. */
function signal(random: Random, world: World, spec: MetricSpec, p: SignalParameters, host: Host): Float64Array {
  const { traffic, length, qps, step, preset } = world;
  const noise = preset.noiseScale * host.noise;
  const stepSeconds = step / 1000;
  const low = world.kind === 'low traffic';
  const out = new Float64Array(length);
  const phase = random.integer(0, Math.max(0, p.sawPeriod - 1));
  for (let i = 0; i < length; i++) {
    const t = traffic[i] as number;
    const requests = qps * host.size * t * stepSeconds;
    let v: number;
    switch (spec.signal) {
      case 'volume': {
        const mean = Math.max(0, p.scale * qps * host.size * t * (1 + 0.03 * noise * random.normal()));
        v = random.poisson(mean * stepSeconds) / stepSeconds;
        break;
      }
      case 'count':
        v = random.poisson(p.scale * requests * (1 + 0.05 * noise * random.normal()));
        break;
      case 'latency': {
        const spread = (low ? 0.15 : 0.05) * noise;
        v = p.base * host.latency * (1 + p.coupling * (t - 1)) * (1 + spread * random.normal());
        if (random.chance(0.005)) v *= random.uniform(1.5, 3);
        break;
      }
      case 'utilization':
        v = p.base + p.scale * (low ? 0.05 : 1) * host.size * t + 1.5 * noise * random.normal();
        break;
      case 'load':
        v = (p.base + p.scale * (low ? 0.05 : 1) * host.size * t) * (1 + 0.08 * noise * random.normal());
        break;
      case 'memory': {
        const saw = p.sawPeriod > 0 ? p.sawAmplitude * (((i + phase) % p.sawPeriod) / p.sawPeriod) : 0;
        v = p.base + (host.size - 1) * 5 + p.coupling * (t - 1) + saw + 0.4 * noise * random.normal();
        break;
      }
      case 'gc':
        v = p.base * (low ? 0.05 : 1) * host.size * t * random.logNormal(0, 0.25 * noise);
        break;
      case 'threads':
        v = p.base + random.poisson(qps * host.size * t * 0.02);
        break;
      case 'errorRate':
        v = requests < 0.5 ? NaN : (100 * random.poisson(p.base * host.errors * requests)) / requests;
        break;
      case 'successRate':
        v = requests < 0.5 ? NaN : 100 * (1 - Math.min(requests, random.poisson(p.base * host.errors * requests)) / requests);
        break;
    }
    out[i] = v;
  }
  return out;
}

/** Robust noise of `values` over points [from, to): MAD of first differences / √2, falling back to their sd. */
function noiseLevel(values: Float64Array, from: number, to: number, floor: number): number {
  const diffs: number[] = [];
  for (let i = Math.max(1, from); i < to; i++) {
    const d = (values[i] as number) - (values[i - 1] as number);
    if (Number.isFinite(d)) diffs.push(d);
  }
  let level = nanMad(diffs) / Math.SQRT2;
  if (!(level > 0)) level = nanStd(diffs) / Math.SQRT2;
  return level > floor ? level : floor;
}

function levelOf(values: Float64Array, from: number, to: number): number {
  return nanMean(values.subarray(Math.max(0, from), to));
}

interface Effect {
  /** Metric names the fault or confounder showed in (label), plus `logs`. */
  labelMetrics: Set<string>;
  /** Extra log rate per (host, signature) from a point on. */
  logBursts: { hosts: Set<string>; signature: string; from: number; to: number; rate: number; base?: number }[];
}

/**
 * Generates case `index` of `kind` under `preset`. Pure: the same arguments give the same case.
 * Cost: O(hosts · metrics · points).
 */
export function generateCase(preset: GeneratorPreset, index: number, kind: CaseKind, seed: number = preset.seed): ParsedCase {
  const random = createRandom(seedFrom(seed, 'case', index));
  const setup = random.fork('setup');
  const app = setup.pick(preset.apps);
  const step = preset.step;
  const length = preset.historyPoints + preset.observationPoints;
  const offsetMs = preset.utcOffsetHours * HOUR;
  const localHour = kind === 'daily ramp' ? setup.uniform(7, 9) : setup.uniform(10, 21);
  const dayStart = preset.firstDay + setup.integer(0, preset.days - 1) * DAY;
  const deployedAt = Math.round((dayStart + localHour * HOUR - offsetMs) / step) * step;
  const start = deployedAt - preset.historyPoints * step;
  const deployIndex = preset.historyPoints;
  const hosts = makeHosts(random.fork('hosts'), preset, kind, app);
  const specs = chooseMetrics(random.fork('metrics'), kind, preset);
  const base = { preset, kind, start, step, length, deployIndex };
  const traffic = makeTraffic(random.fork('traffic'), base, offsetMs);
  const qps = kind === 'low traffic' ? setup.uniform(0.02, 0.2) : setup.logNormal(Math.log(300), 0.8);
  const world: World = { ...base, traffic, qps, hosts };

  const values = new Map<string, Float64Array[]>();
  for (const spec of specs) {
    const parameters = signalParameters(random.fork(`parameters:${spec.name}`), spec);
    values.set(
      spec.name,
      hosts.map((host) => signal(random.fork(`signal:${spec.name}:${host.name}`), world, spec, parameters, host)),
    );
  }

  const signatures = random.fork('logs').shuffled(backgroundExceptions).slice(0, random.fork('log-count').integer(1, 3));
  const effect = applyKind(random.fork('effect'), world, specs, values, signatures);
  applyGaps(random.fork('gaps'), world, specs, values);

  const metrics: ParsedMetric[] = specs.map((spec) => {
    const perHost = values.get(spec.name) as Float64Array[];
    const scale = 10 ** spec.decimals;
    const clampHigh = spec.signal === 'utilization' || spec.signal === 'memory' || spec.signal === 'errorRate' || spec.signal === 'successRate' ? 100 : Infinity;
    const series = (host: Host, h: number): HostSeries => {
      const v = perHost[h] as Float64Array;
      const out = new Float64Array(v.length);
      for (let i = 0; i < v.length; i++) {
        const x = v[i] as number;
        // + 0 turns a −0 from rounding into 0.
        out[i] = x === x ? Math.round(Math.min(clampHigh, Math.max(0, x)) * scale) / scale + 0 : NaN;
      }
      return { host: host.name, values: out };
    };
    return {
      name: spec.name,
      category: spec.category,
      direction: spec.direction,
      critical: spec.critical,
      released: hosts.flatMap((host, h) => (host.released ? [series(host, h)] : [])),
      unreleased: hosts.flatMap((host, h) => (host.released ? [] : [series(host, h)])),
    };
  });

  const logs = makeLogs(random.fork('log-events'), world, signatures, effect);
  const labelMetrics = [...specs.map((s) => s.name).filter((name) => effect.labelMetrics.has(name)), ...(effect.labelMetrics.has('logs') ? ['logs'] : [])];
  const label: CaseLabel = { bad: isBad(kind), metrics: isBad(kind) ? labelMetrics : [], kind };
  const version = `${setup.integer(1, 4)}.${setup.integer(0, 12)}.${setup.integer(0, 30)}`;
  return {
    id: `${preset.idPrefix}${String(index).padStart(4, '0')}`,
    app,
    release: { id: `rel-${setup.integer(100000, 999999)}`, version, batch: setup.chance(0.6) ? 1 : setup.integer(2, 5), deployedAt },
    step,
    start,
    metrics,
    logs,
    label,
  };
}

/** Applies the case's fault (released hosts only) or confounder (every host). */
function applyKind(random: Random, world: World, specs: MetricSpec[], values: Map<string, Float64Array[]>, signatures: readonly string[]): Effect {
  const { kind, preset, hosts, deployIndex, length } = world;
  const effects = preset.effects;
  const effect: Effect = { labelMetrics: new Set(), logBursts: [] };
  const onset = deployIndex + (random.chance(0.7) ? 0 : 1);
  const tail = deployIndex - 72;
  const released = hosts.map((h, i) => (h.released ? i : -1)).filter((i) => i >= 0);
  const everyHost = hosts.map((_, i) => i);
  const floorOf = (spec: MetricSpec): number => (spec.signal === 'count' || spec.signal === 'threads' ? 1 : 10 ** -spec.decimals);
  const sign = (spec: MetricSpec, wanted: 'up' | 'down' | 'bad'): number => (wanted === 'up' ? 1 : wanted === 'down' ? -1 : spec.direction === 'down' ? -1 : 1);
  const targets = (filter: (s: MetricSpec) => boolean, most: number): MetricSpec[] => {
    const eligible = specs.filter(filter);
    return random.shuffled(eligible).slice(0, Math.max(1, random.integer(1, most)));
  };
  /** Adds `amount(point, noise, level)` to every chosen host from `from` on. */
  const add = (spec: MetricSpec, hostIndices: number[], from: number, amount: (i: number, noise: number, level: number) => number): void => {
    const perHost = values.get(spec.name) as Float64Array[];
    for (const h of hostIndices) {
      const v = perHost[h] as Float64Array;
      const noise = noiseLevel(v, tail, deployIndex, floorOf(spec));
      const level = Math.max(levelOf(v, tail, deployIndex) || 0, noise);
      for (let i = from; i < length; i++) v[i] = (v[i] as number) + amount(i, noise, level);
    }
  };
  const shift = (spec: MetricSpec, hostIndices: number[], size: number, direction: number): void => add(spec, hostIndices, onset, (_, noise) => direction * size * noise);
  const latencySpec = (): MetricSpec | undefined => random.shuffled(specs.filter((s) => s.signal === 'latency'))[0];
  const exceptionSpec = specs.find((s) => s.name === 'application.exception.count');
  const label = (spec: MetricSpec): void => void effect.labelMetrics.add(spec.name);
  const countBurst = (signature: string, rate: number, hostIndices: number[], baseRate?: number): void => {
    const set = new Set(hostIndices.map((h) => (hosts[h] as Host).name));
    effect.logBursts.push({ hosts: set, signature, from: onset, to: length, rate, base: baseRate });
    effect.labelMetrics.add('logs');
  };
  const upOrBoth = (s: MetricSpec): boolean => s.direction !== 'down';
  const downOrBoth = (s: MetricSpec): boolean => s.direction !== 'up';

  switch (kind) {
    case 'level shift up':
    case 'level shift down':
    case 'small level shift': {
      const up = kind === 'level shift up' || (kind === 'small level shift' && random.chance(0.5));
      const range = kind === 'small level shift' ? effects.smallShift : effects.shift;
      for (const spec of targets(up ? upOrBoth : downOrBoth, 2)) {
        shift(spec, released, draw(random, range), up ? 1 : -1);
        label(spec);
      }
      break;
    }
    case 'spike burst': {
      const [spec] = targets(() => true, 1) as [MetricSpec];
      const size = draw(random, effects.spike);
      const points = new Set(random.shuffled(Array.from({ length: length - onset }, (_, k) => onset + k)).slice(0, random.integer(2, 4)));
      add(spec, released, onset, (i, noise) => (points.has(i) ? sign(spec, 'bad') * size * noise * random.uniform(0.7, 1.3) : 0));
      label(spec);
      break;
    }
    case 'gradual degradation': {
      const size = draw(random, effects.degradation);
      for (const spec of targets((s) => ['latency', 'memory', 'gc', 'utilization', 'load'].includes(s.signal), 2)) {
        add(spec, released, onset, (i, noise) => ((i - onset + 1) / (length - onset)) * size * noise);
        label(spec);
      }
      break;
    }
    case 'variance increase': {
      const [spec] = targets(() => true, 1) as [MetricSpec];
      const factor = draw(random, effects.variance);
      add(spec, released, onset, (_, noise) => noise * Math.sqrt(factor * factor - 1) * random.normal());
      label(spec);
      break;
    }
    case 'error-rate rise': {
      const factor = draw(random, effects.errorRate);
      const rate = specs.find((s) => s.name === 'application.error.rate') as MetricSpec;
      add(rate, released, onset, (_, noise, level) => (factor - 1) * level * (1 + 0.2 * random.normal()));
      label(rate);
      if (exceptionSpec) {
        add(exceptionSpec, released, onset, (_, noise, level) => random.poisson((factor - 1) * level));
        label(exceptionSpec);
      }
      countBurst(random.pick(signatures), 0, released, factor);
      break;
    }
    case 'latency regression on a few hosts': {
      const spec = latencySpec() as MetricSpec;
      const few = random.shuffled(released).slice(0, released.length >= 4 ? random.integer(1, 2) : 1);
      shift(spec, few, draw(random, effects.fewHostsShift), 1);
      label(spec);
      break;
    }
    case 'small latency regression': {
      const spec = latencySpec() as MetricSpec;
      shift(spec, released, draw(random, effects.smallShift), 1);
      label(spec);
      break;
    }
    case 'new fatal exception': {
      const rate = draw(random, effects.fatalRate);
      countBurst(random.pick(fatalExceptions), rate, released);
      if (exceptionSpec) {
        add(exceptionSpec, released, onset, () => random.poisson(rate));
        label(exceptionSpec);
      }
      break;
    }
    case 'surging old exception': {
      const factor = draw(random, effects.surge);
      countBurst(signatures[0] as string, 0, released, factor);
      if (exceptionSpec) {
        add(exceptionSpec, released, onset, (_, noise, level) => random.poisson(0.3 * (factor - 1) * Math.max(1, level)));
        label(exceptionSpec);
      }
      break;
    }
    case 'upstream failure': {
      const begin = deployIndex + random.integer(0, 4);
      const end = Math.min(length, begin + random.integer(3, 10));
      const during = (i: number): boolean => i >= begin && i < end;
      const factor = draw(random, effects.errorRate);
      const size = draw(random, effects.shift);
      for (const spec of specs) {
        if (spec.signal === 'errorRate') add(spec, everyHost, begin, (i, _, level) => (during(i) ? (factor - 1) * level * (1 + 0.2 * random.normal()) : 0));
        else if (spec.signal === 'latency') add(spec, everyHost, begin, (i, noise) => (during(i) ? size * noise * random.uniform(0.8, 1.2) : 0));
        else if (spec.signal === 'successRate') add(spec, everyHost, begin, (i, noise) => (during(i) ? -size * noise * random.uniform(0.8, 1.2) : 0));
      }
      const rate = random.uniform(2, 10);
      if (exceptionSpec) add(exceptionSpec, everyHost, begin, (i) => (during(i) ? random.poisson(rate) : 0));
      effect.logBursts.push({ hosts: new Set(hosts.map((h) => h.name)), signature: random.pick(upstreamExceptions), from: begin, to: end, rate });
      break;
    }
    default:
      break;
  }
  return effect;
}

/** Gaps (断图): a host losing every metric for a while, one series losing a stretch, and stray missing points. */
function applyGaps(random: Random, world: World, specs: MetricSpec[], values: Map<string, Float64Array[]>): void {
  const { hosts, length, deployIndex, kind } = world;
  const blank = (v: Float64Array, from: number, to: number): void => {
    for (let i = Math.max(0, from); i < Math.min(length, to); i++) v[i] = NaN;
  };
  if (random.chance(0.25)) {
    const h = random.integer(0, hosts.length - 1);
    const from = random.integer(0, deployIndex - 1);
    const run = random.integer(1, 24);
    for (const spec of specs) blank((values.get(spec.name) as Float64Array[])[h] as Float64Array, from, from + run);
  }
  if (random.chance(0.15)) {
    const spec = random.pick(specs);
    const h = random.integer(0, hosts.length - 1);
    const from = random.integer(0, length - 1);
    blank((values.get(spec.name) as Float64Array[])[h] as Float64Array, from, from + random.integer(1, 6));
  }
  if (kind === 'data gaps') {
    const victims = random.shuffled(hosts.map((_, i) => i)).slice(0, random.integer(1, 2));
    for (const h of victims) {
      const lost = Math.round((length - deployIndex) * random.uniform(0.5, 1));
      const from = length - lost - random.integer(0, length - deployIndex - lost);
      for (const spec of specs) blank((values.get(spec.name) as Float64Array[])[h] as Float64Array, from, from + lost);
    }
    for (let k = random.integer(1, 3); k > 0; k--) {
      const h = random.integer(0, hosts.length - 1);
      const run = random.integer(12, 72);
      const from = random.integer(0, deployIndex - run);
      for (const spec of specs) blank((values.get(spec.name) as Float64Array[])[h] as Float64Array, from, from + run);
    }
  }
  for (const spec of specs) {
    for (const v of values.get(spec.name) as Float64Array[]) {
      for (let k = random.poisson(0.5); k > 0; k--) v[random.integer(0, length - 1)] = NaN;
    }
  }
}

/** Log events from `logHistoryPoints` before the deployment to the end: background exceptions plus the kind's bursts. */
function makeLogs(random: Random, world: World, signatures: readonly string[], effect: Effect): LogEvent[] {
  const { hosts, length, deployIndex, traffic, start, step, preset } = world;
  const rates = signatures.map(() => random.uniform(0.02, 0.4));
  const low = world.kind === 'low traffic' ? 0.05 : 1;
  const events: LogEvent[] = [];
  for (let i = Math.max(0, deployIndex - preset.logHistoryPoints); i < length; i++) {
    const t = start + i * step;
    const load = (traffic[i] as number) * low;
    for (const host of hosts) {
      const emit = (signature: string, mean: number): void => {
        const count = random.poisson(mean);
        if (count > 0) events.push({ host: host.name, t, signature, count });
      };
      signatures.forEach((signature, s) => {
        let mean = (rates[s] as number) * load * host.size;
        for (const burst of effect.logBursts) {
          if (burst.signature === signature && burst.base !== undefined && burst.hosts.has(host.name) && i >= burst.from && i < burst.to) mean *= burst.base;
        }
        emit(signature, mean);
      });
      for (const burst of effect.logBursts) {
        if (burst.base === undefined && !signatures.includes(burst.signature) && burst.hosts.has(host.name) && i >= burst.from && i < burst.to) emit(burst.signature, burst.rate);
      }
    }
  }
  return events;
}

/** The cases of a preset in index order, generated lazily. */
export function* generateCases(preset: GeneratorPreset, options: { count?: number; seed?: number; from?: number } = {}): Generator<ParsedCase> {
  const count = options.count ?? preset.cases;
  const seed = options.seed ?? preset.seed;
  const kinds = planKinds(preset, count, seed);
  for (let i = options.from ?? 0; i < count; i++) yield generateCase(preset, i, kinds[i] as CaseKind, seed);
}

/**
 * The fixed train/test split: within each kind, a seeded shuffle puts `trainShare` of the cases in
 * train, so both halves have every kind in the same proportion.
 */
export function splitCases(preset: GeneratorPreset, cases: readonly { id: string; kind: string }[], seed: number = preset.seed): DatasetSplit {
  const byKind = new Map<string, string[]>();
  for (const c of cases) byKind.set(c.kind, [...(byKind.get(c.kind) ?? []), c.id]);
  const random = createRandom(seedFrom(seed, 'split'));
  const train = new Set<string>();
  for (const kind of [...byKind.keys()].sort()) {
    const ids = random.shuffled(byKind.get(kind) as string[]);
    ids.slice(0, Math.round(ids.length * preset.trainShare)).forEach((id) => train.add(id));
  }
  return { train: cases.filter((c) => train.has(c.id)).map((c) => c.id), test: cases.filter((c) => !train.has(c.id)).map((c) => c.id) };
}


