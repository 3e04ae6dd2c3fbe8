/**
 * An accelerated clock for the demo and end-to-end tests: virtual time starts at `start` and runs
 * `factor` times faster than the real clock, so a ten-minute observation window passes in a
 * second at 600×. Sleeping is scaled the same way. Virtual time is a pure function of real time
 * (`virtualAt`), which lets the simulated fleet turn a file's modification time into the virtual
 * minute a deployment happened.
 */
import type { Clock } from '../ports/clock.js';
import { sleep } from './sleep.js';

export interface AcceleratedClock extends Clock {
  /** Virtual ms per real ms (≥ 1). */
  readonly factor: number;
  /** The virtual time (epoch ms) at the real time `realMs` (epoch ms). */
  virtualAt(realMs: number): number;
  /** Real ms a virtual duration of `virtualMs` takes. */
  realDuration(virtualMs: number): number;
}

export interface AcceleratedClockOptions {
  /** Virtual ms per real ms, 1…100000 (60–600 suits the demo). */
  factor: number;
  /** Virtual epoch ms at creation (default: the real now). */
  start?: number;
  /** The real clock underneath (tests pass a fake one). */
  realNow?: () => number;
}

/** Creates a clock whose time runs `factor` times faster than the real one from `start` on. */
export function acceleratedClock(options: AcceleratedClockOptions): AcceleratedClock {
  const { factor } = options;
  if (!(Number.isFinite(factor) && factor >= 1 && factor <= 100_000)) throw new RangeError(`factor must be between 1 and 100000, got ${factor}`);
  const realNow = options.realNow ?? Date.now;
  const realStart = realNow();
  const virtualStart = options.start ?? realStart;
  const virtualAt = (realMs: number): number => Math.floor(virtualStart + (realMs - realStart) * factor);
  return {
    factor,
    virtualAt,
    realDuration: (virtualMs) => Math.max(0, virtualMs) / factor,
    now: () => virtualAt(realNow()),
    sleep: (ms, signal) => sleep(Math.max(0, ms) / factor, signal),
  };
}
