/**
 * Inputs for the shared detector contract suite, built from a detector's declared capabilities
 * only. One synthetic metric: a daily cycle around 100 at a one-minute step plus per-host noise,
 * on several released and unreleased hosts, with exception logs on every host. Deterministic
 * for a given scenario (a Park–Miller generator seeded from it), so failures reproduce.
 */
import { series, type Series } from '../src/core/series.js';
import type { DetectorCapabilities, DetectorInput, Direction, LogEvent } from '../src/core/detector.js';

export const MINUTE = 60_000;
export const DAY_POINTS = 1440;
/** A Monday, so day-type-aware detectors see an ordinary week. */
export const EPOCH = Date.UTC(2026, 0, 5);

export const ORDINARY_SIGNATURE = 'java.net.SocketTimeoutException at com.acme.cart.PriceClient.fetch';
export const FATAL_SIGNATURE = 'java.lang.NoClassDefFoundError at com.acme.cart.Cart.applyDiscounts';

export interface Scenario {
  seed: number;
  /** Daily-cycle amplitude, in [0, 10]. */
  amplitude: number;
  /** Per-host noise half-width, in [0, 2]. */
  noise: number;
  /** Minute of the day the history starts at (moves the window around the daily cycle). */
  phaseMinute: number;
  /** Treated window length before applying `minTreatedPoints`. */
  windowLength: number;
  /** Hosts per group. */
  hosts: number;
}

export interface Change {
  /** Level change reached a quarter into the window and held; its sign is the direction. */
  shift: number;
}

function generator(seed: number): () => number {
  let state = (Math.abs(Math.floor(seed)) % 2147483646) + 1;
  return () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647 - 0.5;
  };
}

/** History length for a detector: three days when it models seasons (two full seasons and spare), else one. */
export function historyPoints(capabilities: DetectorCapabilities): number {
  return (capabilities.seasonal ? 3 : 1) * DAY_POINTS;
}

/** Window length for a detector: the scenario's, at least `minTreatedPoints`. */
export function windowPoints(capabilities: DetectorCapabilities, scenario: Scenario): number {
  return Math.max(capabilities.minTreatedPoints, scenario.windowLength);
}

function mean(rows: Float64Array[], length: number): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    let sum = 0;
    let n = 0;
    for (const row of rows) {
      const v = row[i];
      if (v === v) {
        sum += v;
        n++;
      }
    }
    out[i] = n === 0 ? NaN : sum / n;
  }
  return out;
}

/**
 * A complete input: history (the released hosts' aggregate before the window) and the control's
 * own history, treated and control aggregates over the window, per-host series, logs, and the
 * season length the data implies (one day of minutes). Without a change, the control
 * hosts are exact copies of the released ones and the history continues the same pattern; with
 * one, only the released hosts move (metric shift plus a new fatal exception and a surge).
 */
export function buildInput(capabilities: DetectorCapabilities, scenario: Scenario, direction: Direction, change?: Change): DetectorInput {
  const h = historyPoints(capabilities);
  const n = windowPoints(capabilities, scenario);
  const total = h + n;
  const start = EPOCH + scenario.phaseMinute * MINUTE;
  const deployedAt = start + h * MINUTE;
  const random = generator(scenario.seed);
  const hosts: Float64Array[] = [];
  for (let k = 0; k < scenario.hosts; k++) {
    const values = new Float64Array(total);
    for (let i = 0; i < total; i++) {
      values[i] = 100 + scenario.amplitude * Math.sin((2 * Math.PI * (i + scenario.phaseMinute)) / DAY_POINTS) + 2 * scenario.noise * random();
    }
    hosts.push(values);
  }
  const released = hosts.map((values) => {
    const copy = values.slice();
    if (change) {
      const ramp = Math.max(1, Math.ceil(n / 4));
      for (let j = 0; j < n; j++) copy[h + j] += change.shift * Math.min(1, (j + 1) / ramp);
    }
    return copy;
  });
  const window = (values: Float64Array): Series => series(deployedAt, MINUTE, values.subarray(h));
  const treatedHosts = released.map(window);
  const controlHosts = hosts.map(window);
  const aggregateReleased = mean(released, total);
  const aggregateControl = mean(hosts, total);

  const treatedNames = released.map((_, k) => `released-${k}`);
  const controlNames = hosts.map((_, k) => `unreleased-${k}`);
  const events: LogEvent[] = [];
  // The same steady trickle on every host: one timeout every ten minutes, staggered by host.
  [...treatedNames, ...controlNames].forEach((host, k) => {
    for (let minute = k % 10; minute < total; minute += 10) events.push({ host, t: start + minute * MINUTE, signature: ORDINARY_SIGNATURE, count: 1 });
  });
  if (change) {
    for (const host of treatedNames) {
      for (let minute = h; minute < total; minute += 5) {
        events.push({ host, t: start + minute * MINUTE, signature: FATAL_SIGNATURE, count: 3 });
        events.push({ host, t: start + minute * MINUTE, signature: ORDINARY_SIGNATURE, count: 20 });
      }
    }
  }
  return {
    treated: series(deployedAt, MINUTE, aggregateReleased.subarray(h)),
    control: series(deployedAt, MINUTE, aggregateControl.subarray(h)),
    history: series(start, MINUTE, aggregateReleased.subarray(0, h)),
    controlHistory: series(start, MINUTE, aggregateControl.subarray(0, h)),
    treatedHosts,
    controlHosts,
    logs: { events, treatedHosts: treatedNames, controlHosts: controlNames, deployedAt },
    direction,
    period: DAY_POINTS,
  };
}

/** Damage an input: missing points at rate `gapRate` everywhere, some parts cut short or absent. */
export interface Damage {
  seed: number;
  gapRate: number;
  /** Multiplies every value (1e-6 … 1e6, or negative): detectors must not assume a scale. */
  scale: number;
  /** Replace the metric by a constant (zero variance everywhere). */
  constant: boolean;
  treatedLength: number | null;
  historyLength: number | null;
  dropHistory: boolean;
  dropControl: boolean;
  dropHosts: boolean;
  dropLogs: boolean;
  /** Log events with odd fields: NaN times, zero or fractional counts, unknown hosts. */
  oddEvents: number;
}

function damageSeries(s: Series, damage: Damage, random: () => number, length: number | null): Series {
  const keep = length === null ? s.values.length : Math.min(length, s.values.length);
  const values = new Float64Array(keep);
  for (let i = 0; i < keep; i++) {
    const v = damage.constant ? 100 : s.values[i];
    values[i] = random() + 0.5 < damage.gapRate ? NaN : v * damage.scale;
  }
  return series(s.start, s.step, values);
}

export function damageInput(input: DetectorInput, damage: Damage): DetectorInput {
  const random = generator(damage.seed);
  const out: DetectorInput = {
    treated: damageSeries(input.treated, damage, random, damage.treatedLength),
    direction: input.direction,
    period: input.period,
  };
  // Keep the end of a history (it must meet treated); cut from the front.
  const past = (s: Series): Series => {
    const damaged = damageSeries(s, damage, random, null);
    const keep = damage.historyLength === null ? damaged.values.length : Math.min(damage.historyLength, damaged.values.length);
    const from = damaged.values.length - keep;
    return series(damaged.start + from * damaged.step, damaged.step, damaged.values.subarray(from));
  };
  if (input.history && !damage.dropHistory) out.history = past(input.history);
  if (input.controlHistory && !damage.dropHistory && !damage.dropControl) out.controlHistory = past(input.controlHistory);
  if (input.control && !damage.dropControl) out.control = damageSeries(input.control, damage, random, damage.treatedLength);
  if (!damage.dropHosts) {
    out.treatedHosts = input.treatedHosts?.map((s) => damageSeries(s, damage, random, damage.treatedLength));
    out.controlHosts = input.controlHosts?.map((s) => damageSeries(s, damage, random, damage.treatedLength));
  }
  if (input.logs && !damage.dropLogs) {
    const events = input.logs.events.filter(() => random() + 0.5 >= damage.gapRate);
    for (let k = 0; k < damage.oddEvents; k++) {
      const r = random();
      events.push({
        host: r < 0 ? input.logs.treatedHosts[0] ?? 'nobody' : 'stranger',
        t: r < -0.3 ? NaN : input.logs.deployedAt + Math.round(r * 600) * MINUTE,
        signature: k % 2 === 0 ? FATAL_SIGNATURE : `odd ${k}`,
        count: k % 3 === 0 ? 0 : k % 3 === 1 ? 0.5 : 1e6,
      });
    }
    out.logs = { ...input.logs, events };
  }
  return out;
}
