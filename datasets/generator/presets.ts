/**
 * Generator presets. `v1` made the shipped `datasets/release-cases-v1`; `unseen` is a second
 * world (other seed, apps, fleet sizes, fault magnitudes and mix) for testing on cases never seen
 * while tuning. Changing a preset changes the data: bump the dataset's name when you do.
 */

/** Faults of the release: they hit released hosts only. */
export const badKinds = [
  'level shift up',
  'level shift down',
  'spike burst',
  'gradual degradation',
  'variance increase',
  'error-rate rise',
  'latency regression on a few hosts',
  'new fatal exception',
  'surging old exception',
  'small level shift',
  'small latency regression',
] as const;

/** Healthy releases, most of them with a confounder that hits every host (or no host at all). */
export const goodKinds = ['normal', 'traffic peak', 'traffic ramp', 'upstream failure', 'low traffic', 'data gaps', 'daily ramp'] as const;

export type BadKind = (typeof badKinds)[number];
export type GoodKind = (typeof goodKinds)[number];
export type CaseKind = BadKind | GoodKind;

/** A closed range [low, high] to draw from uniformly. */
export type Range = readonly [number, number];

export interface GeneratorPreset {
  name: string;
  /** Base seed; every case draws from its own stream derived from (seed, index). */
  seed: number;
  /** Default number of cases. */
  cases: number;
  /** Case ids are `<idPrefix><index, 4 digits>`. */
  idPrefix: string;
  /** Milliseconds between points. */
  step: number;
  /** Points before the deployment (history). */
  historyPoints: number;
  /** Points from the deployment on (observation window). */
  observationPoints: number;
  /** Log events are kept for this many points before the deployment. */
  logHistoryPoints: number;
  /** Share of bad cases. */
  badShare: number;
  /** Share of each kind's cases that go to the training split. */
  trainShare: number;
  releasedHosts: Range;
  unreleasedHosts: Range;
  /** Chance that a case has no unreleased hosts (only where the kind allows it). */
  noUnreleasedChance: number;
  /** Metrics beyond one per category. */
  extraMetrics: Range;
  /** Spread of host sizes (log-normal sd). */
  hostSpread: number;
  /** Multiplies every metric's noise. */
  noiseScale: number;
  /** First deployment day (epoch ms, UTC midnight) and how many days after it deployments fall. */
  firstDay: number;
  days: number;
  /** Offset of the fleet's local time from UTC, hours (daily seasonality follows local time). */
  utcOffsetHours: number;
  apps: readonly string[];
  datacenters: readonly string[];
  /** Fault magnitudes, in multiples of the host's own noise (robust sd of the history), unless noted. */
  effects: {
    shift: Range;
    smallShift: Range;
    spike: Range;
    degradation: Range;
    /** Noise multiplier of a variance increase. */
    variance: Range;
    /** Error-rate multiplier of an error-rate rise. */
    errorRate: Range;
    fewHostsShift: Range;
    /** Per-step count of a new fatal exception on each released host (Poisson mean). */
    fatalRate: Range;
    /** Rate multiplier of a surging old exception. */
    surge: Range;
    /** Traffic multiplier at the top of a peak, and at the end of the window for a traffic ramp. */
    peak: Range;
    trafficRamp: Range;
  };
  weights: { bad: Record<BadKind, number>; good: Record<GoodKind, number> };
}

const day = 86_400_000;

export const v1Preset: GeneratorPreset = {
  name: 'v1',
  seed: 20171204,
  cases: 600,
  idPrefix: 'v1-',
  step: 300_000,
  historyPoints: 576,
  observationPoints: 12,
  logHistoryPoints: 72,
  badShare: 0.4,
  trainShare: 0.7,
  releasedHosts: [1, 3],
  unreleasedHosts: [3, 6],
  noUnreleasedChance: 0.06,
  extraMetrics: [0, 2],
  hostSpread: 0.15,
  noiseScale: 1,
  firstDay: Date.UTC(2026, 0, 5),
  days: 300,
  utcOffsetHours: 8,
  apps: ['buy2', 'cart', 'ump', 'trade-core', 'login', 'item-detail', 'pay-gateway', 'promo-engine'],
  datacenters: ['et2', 'na61', 'su18', 'eu13'],
  effects: {
    shift: [4, 10],
    smallShift: [1.5, 3],
    spike: [6, 15],
    degradation: [5, 12],
    variance: [3, 6],
    errorRate: [2, 8],
    fewHostsShift: [5, 12],
    fatalRate: [1, 12],
    surge: [8, 30],
    peak: [1.6, 2.6],
    trafficRamp: [1.4, 2],
  },
  weights: {
    bad: {
      'level shift up': 5,
      'level shift down': 4,
      'spike burst': 3,
      'gradual degradation': 4,
      'variance increase': 3,
      'error-rate rise': 4,
      'latency regression on a few hosts': 4,
      'new fatal exception': 4,
      'surging old exception': 3,
      'small level shift': 3,
      'small latency regression': 2,
    },
    good: { normal: 30, 'traffic peak': 7, 'traffic ramp': 5, 'upstream failure': 6, 'low traffic': 5, 'data gaps': 4, 'daily ramp': 3 },
  },
};

export const unseenPreset: GeneratorPreset = {
  ...v1Preset,
  name: 'unseen',
  seed: 20261127,
  cases: 300,
  idPrefix: 'unseen-',
  badShare: 0.35,
  releasedHosts: [1, 4],
  unreleasedHosts: [2, 8],
  noUnreleasedChance: 0.1,
  hostSpread: 0.25,
  noiseScale: 1.3,
  firstDay: Date.UTC(2027, 2, 1),
  days: 200,
  utcOffsetHours: 1,
  apps: ['checkout', 'search-api', 'inventory', 'account', 'notification', 'coupon'],
  datacenters: ['fra1', 'ams3', 'lon2'],
  effects: {
    shift: [2.5, 14],
    smallShift: [1, 2.5],
    spike: [4, 20],
    degradation: [3, 16],
    variance: [2, 8],
    errorRate: [2, 15],
    fewHostsShift: [3, 16],
    fatalRate: [0.5, 20],
    surge: [4, 40],
    peak: [1.3, 3.2],
    trafficRamp: [1.2, 2.5],
  },
  weights: {
    bad: { ...v1Preset.weights.bad, 'small level shift': 5, 'small latency regression': 4, 'variance increase': 4 },
    good: { normal: 20, 'traffic peak': 9, 'traffic ramp': 7, 'upstream failure': 9, 'low traffic': 6, 'data gaps': 6, 'daily ramp': 5 },
  },
};

export const presets: Readonly<Record<string, GeneratorPreset>> = { v1: v1Preset, unseen: unseenPreset };

export { day as dayMs };
