/**
 * Contextual anomaly detector for streams, after M. Smirnov's "Contextual Anomaly Detector, Open
 * Source Edition" (CAD OSE, 2016; the `contextOSE` entry of NAB's scoreboard).
 *
 * Each value is quantised into `2^valueBits` bins and written as facts, one per bit (position and
 * bit value). A context joins a left semi-context (the facts of the previous step: its sensor
 * facts and the contexts that fired then, as "neuron" facts) with a right semi-context (the
 * current sensor facts). Contexts are learned online: every step stores the context "previous
 * facts → current facts" and the intersections of it with stored contexts it partly overlaps.
 * The anomaly score of a step is high when few of the contexts whose left side matched also
 * matched on the right, and when most contexts this step could have formed were new:
 * score = (1 − share of selected contexts that fired + share of potential contexts that were new)/2.
 * A value whose every fact the matched contexts predicted scores 0, and after a score of at least
 * `alarmLevel` the detector stays silent for `restPoints` points.
 *
 * Streaming: NAB's run of the algorithm quantised with the whole file's minimum and maximum, which
 * a stream cannot know. Here the range is that of the first `warmup` points (or given), and a value
 * beyond it by more than `relearnGrowth` of its width widens it to the value; the contexts are then
 * learned again from the remembered values (up to the last `relearnPoints`) under the new range, as if
 * that range had been used from the start. Past scores never change; a value just outside the
 * range falls in a bin of its own below or above it. With the file's range given instead
 * (`range`) and NAB's rest period, this implementation scores 69.6 standard against the published
 * 69.9 (contexts that tie are ordered differently).
 *
 * Cost: per point, O(contexts of the left semi-contexts the previous step matched); memory grows
 * with the contexts learned (bounded by the distinct quantised transitions and their
 * intersections), so noisy series cost most. A relearn costs O(relearnPoints) steps; it happens a
 * few times per series, as each widens the range by at least `relearnGrowth`.
 */
import { z } from 'zod';
import { parseConfig } from '../core/config.js';
import type { StreamingDetector, StreamingDetectorFactory } from './streaming.js';

export const contextualConfig = z.object({
  /** Bits of the quantised value: 2^valueBits bins across the learned range. */
  valueBits: z.number().int().min(1).max(8).default(3),
  /**
   * Points before any score: their minimum and maximum set the first quantisation range (when
   * `range` is not given), then they are learned, unscored.
   */
  warmup: z.number().int().min(2).default(150),
  /** A value further outside the learned range than this share of its width widens the range. */
  relearnGrowth: z.number().min(0).default(0.1),
  /** The widened range reaches past the value by this share of the old width. */
  rangeMargin: z.number().min(0).default(0),
  /** The most recent values learned again after the range is widened. */
  relearnPoints: z.number().int().min(1).default(5000),
  /** Known value range [min, max] (e.g. [0, 100] for a percentage); overrides `warmup`. */
  range: z
    .tuple([z.number().finite(), z.number().finite()])
    .refine(([min, max]) => min < max, 'the minimum must be below the maximum')
    .optional(),
  /** Left semi-contexts with more matched facts than this do not form new contexts. */
  maxLeftFacts: z.number().int().min(1).default(7),
  /** The most contexts that fire as neuron facts into the next step. */
  maxActiveNeurons: z.number().int().min(0).default(15),
  /** A raw score at or above this silences the output for `restPoints` points. */
  alarmLevel: z.number().gt(0).max(1).default(0.75),
  /** Points of silence after an alarm (counted from the first point, so also a minimum warm-up). */
  restPoints: z.number().int().min(1).default(25),
});

export type ContextualConfig = z.output<typeof contextualConfig>;

/** Neuron facts (fired contexts) are numbered above every sensor fact. */
const NEURON_BASE = 1 << 12;

interface LeftSemiContext {
  readonly id: number;
  readonly size: number;
  /** Facts of the current left facts that belong to it (reset at each crossing). */
  crossed: number[];
  /** Contexts that have this left side: right semi-context id → context id. */
  readonly contexts: Map<number, number>;
  /** The same pairs in creation order, as arrays for the hot loop. */
  readonly rightIds: number[];
  readonly contextIds: number[];
}

interface RightSemiContext {
  readonly id: number;
  readonly size: number;
  crossed: number[];
}

interface Context {
  readonly id: number;
  readonly left: number;
  readonly right: number;
  /** Facts its right side predicts, and how often they came: hits/predicted is its reliability. */
  readonly rightFacts: readonly number[];
  predicted: number;
  hits: number;
  activations: number;
  /** Formed directly from two consecutive steps (or met as such later), not by intersection. */
  zeroLevel: boolean;
}

type SemiContext = LeftSemiContext | RightSemiContext;

/** The contexts memory: semi-contexts of both sides, indexed by their facts. */
class ContextMemory {
  readonly lefts: LeftSemiContext[] = [];
  readonly rights: RightSemiContext[] = [];
  readonly contexts: Context[] = [];
  private readonly leftIds = new Map<string, number>();
  private readonly rightIds = new Map<string, number>();
  private readonly leftIndex = new Map<number, LeftSemiContext[]>();
  private readonly rightIndex = new Map<number, RightSemiContext[]>();
  crossedLefts: LeftSemiContext[] = [];
  crossedRights: RightSemiContext[] = [];
  /** The zero-level context created at this step, left out of this step's matching. */
  freshContext = -1;

  private leftFor(facts: readonly number[]): LeftSemiContext {
    const key = facts.join(',');
    const known = this.leftIds.get(key);
    if (known !== undefined) return this.lefts[known];
    const semi: LeftSemiContext = { id: this.lefts.length, size: facts.length, crossed: [], contexts: new Map(), rightIds: [], contextIds: [] };
    this.lefts.push(semi);
    this.leftIds.set(key, semi.id);
    for (const fact of facts) pushTo(this.leftIndex, fact, semi);
    return semi;
  }

  private rightFor(facts: readonly number[]): RightSemiContext {
    const key = facts.join(',');
    const known = this.rightIds.get(key);
    if (known !== undefined) return this.rights[known];
    const semi: RightSemiContext = { id: this.rights.length, size: facts.length, crossed: [] };
    this.rights.push(semi);
    this.rightIds.set(key, semi.id);
    for (const fact of facts) pushTo(this.rightIndex, fact, semi);
    return semi;
  }

  /**
   * Finds or stores the context left → right. A zero-level lookup of a stored context marks it
   * zero-level. Returns true when the context is new.
   */
  store(left: readonly number[], right: readonly number[], zeroLevel: boolean): boolean {
    const leftSemi = this.leftFor(left);
    const rightSemi = this.rightFor(right);
    const known = leftSemi.contexts.get(rightSemi.id);
    if (known !== undefined) {
      if (zeroLevel) this.contexts[known].zeroLevel = true;
      return false;
    }
    const id = this.contexts.length;
    this.contexts.push({ id, left: leftSemi.id, right: rightSemi.id, rightFacts: right, predicted: 0, hits: 0, activations: 0, zeroLevel });
    leftSemi.contexts.set(rightSemi.id, id);
    leftSemi.rightIds.push(rightSemi.id);
    leftSemi.contextIds.push(id);
    if (zeroLevel) this.freshContext = id;
    return true;
  }

  /** Marks which facts of `facts` each right semi-context holds. */
  crossRight(facts: readonly number[]): void {
    this.crossedRights = cross(this.crossedRights, this.rightIndex, facts);
  }

  /** Marks which facts of `facts` each left semi-context holds. */
  crossLeft(facts: readonly number[]): void {
    this.crossedLefts = cross(this.crossedLefts, this.leftIndex, facts);
  }
}

function pushTo<T>(index: Map<number, T[]>, fact: number, item: T): void {
  const list = index.get(fact);
  if (list === undefined) index.set(fact, [item]);
  else list.push(item);
}

/** Resets the previous crossing and returns the semi-contexts sharing a fact with `facts`, by id. */
function cross<T extends SemiContext>(previous: readonly T[], index: Map<number, T[]>, facts: readonly number[]): T[] {
  for (const semi of previous) semi.crossed = [];
  const touched: T[] = [];
  for (const fact of facts) {
    const holders = index.get(fact);
    if (holders === undefined) continue;
    for (const semi of holders) {
      if (semi.crossed.length === 0) touched.push(semi);
      semi.crossed.push(fact);
    }
  }
  // Creation order, so that the contexts learned from a step do not depend on map iteration.
  touched.sort((a, b) => a.id - b.id);
  return touched;
}

/**
 * Sensor facts of a bin in [−1, 2^valueBits]: one fact per bit (2·position + bit); the bin above
 * the range has one bit more and the bin below a sign fact, so both form facts of their own.
 */
function sensorFacts(bin: number, valueBits: number): number[] {
  const facts: number[] = [];
  let magnitude = Math.abs(bin);
  for (let position = 0; position < valueBits || magnitude > 0; position++) {
    facts.push(2 * position + (magnitude & 1));
    magnitude = Math.floor(magnitude / 2);
  }
  if (bin < 0) facts.push(NEURON_BASE - 1);
  return facts.sort((a, b) => a - b);
}

/** One step of learning and scoring on the facts of the current value. */
class ContextLearner {
  private readonly memory = new ContextMemory();
  private leftFacts: number[] = [];
  private predictedFacts = new Set<number>();

  constructor(private readonly config: ContextualConfig) {}

  /** Raw anomaly score in [0, 1] of the step with these sorted sensor facts. */
  step(facts: number[]): number {
    const memory = this.memory;
    const unpredicted = facts.some((fact) => !this.predictedFacts.has(fact));
    const candidates = new Set<string>();
    let freshZeroLevel = false;
    if (this.leftFacts.length > 0) {
      candidates.add(`${this.leftFacts.join(',')}|${facts.join(',')}`);
      freshZeroLevel = memory.store(this.leftFacts, facts, true);
    }
    memory.crossRight(facts);

    // Match the contexts whose left side met the previous step's facts.
    const active: Context[] = [];
    const potential: [number[], number[]][] = [];
    let selected = 0;
    const maxLeftFacts = this.config.maxLeftFacts;
    for (const left of memory.crossedLefts) {
      const leftFull = left.crossed.length === left.size;
      // A partly matched left side only serves to form new contexts.
      if (!leftFull && (!freshZeroLevel || left.crossed.length > maxLeftFacts)) continue;
      const { rightIds, contextIds } = left;
      for (let k = 0; k < contextIds.length; k++) {
        const contextId = contextIds[k];
        if (contextId === memory.freshContext) continue;
        const context = memory.contexts[contextId];
        const right = memory.rights[rightIds[k]];
        const rightMatched = right.crossed.length;
        if (leftFull) {
          selected++;
          context.predicted += right.size;
          if (rightMatched === 0) continue;
          context.hits += rightMatched;
          if (rightMatched === right.size) {
            context.activations++;
            active.push(context);
            continue;
          }
        } else if (rightMatched === 0) {
          continue;
        }
        if (context.zeroLevel && freshZeroLevel && left.crossed.length <= maxLeftFacts) {
          potential.push([left.crossed.slice(), right.crossed.slice()]);
        }
      }
    }
    memory.freshContext = -1;
    for (const [l, r] of potential) candidates.add(`${l.join(',')}|${r.join(',')}`);
    const shareActive = selected > 0 ? active.length / selected : 0;

    // The most used fired contexts become facts of the next step's left side.
    active.sort((a, b) => a.activations - b.activations || a.left - b.left || a.right - b.right);
    const neurons = active.slice(Math.max(0, active.length - this.config.maxActiveNeurons));
    const nextLeft = new Set<number>(facts);
    for (const neuron of neurons) nextLeft.add(NEURON_BASE + neuron.id);
    this.leftFacts = [...nextLeft].sort((a, b) => a - b);

    let added = 0;
    for (const [l, r] of potential) if (memory.store(l, r, false)) added++;
    memory.crossLeft(this.leftFacts);
    this.predictedFacts = this.predict();
    if (freshZeroLevel) added++;
    const shareNew = freshZeroLevel && candidates.size > 0 ? added / candidates.size : 0;
    return unpredicted ? (1 - shareActive + shareNew) / 2 : 0;
  }

  /** Right facts of the most reliable contexts whose left side fully matches the current facts. */
  private predict(): Set<number> {
    const memory = this.memory;
    let best = 0;
    let chosen: Context[] = [];
    for (const left of memory.crossedLefts) {
      if (left.crossed.length !== left.size) continue;
      for (const id of left.contextIds) {
        const context = memory.contexts[id];
        const weight = context.predicted > 0 ? context.hits / context.predicted : 0;
        if (weight > best) {
          best = weight;
          chosen = [context];
        } else if (weight === best) {
          chosen.push(context);
        }
      }
    }
    const out = new Set<number>();
    for (const context of chosen) for (const fact of context.rightFacts) out.add(fact);
    return out;
  }
}

/**
 * The contextual anomaly detector as a streaming detector. Missing values score 0 and are not
 * learned. Scores in [0, 1]: 0 until `restPoints` points are seen (and during the range's
 * learning), and for `restPoints` points after each alarm.
 */
export const contextualStream: StreamingDetectorFactory<typeof contextualConfig> = {
  name: 'contextual',
  version: '1.0.0',
  description: 'Contextual anomaly detector (CAD OSE): online contexts of quantised values; score = share of unmatched and new contexts.',
  configSchema: contextualConfig,
  create(input?: z.input<typeof contextualConfig>): StreamingDetector {
    const config = parseConfig(contextualConfig, input ?? {}, 'contextual config');
    return contextualDetector(config);
  },
};

function contextualDetector(config: ContextualConfig): StreamingDetector {
  const maxBin = 2 ** config.valueBits - 1;
  let learner = new ContextLearner(config);
  // Values since the start (at most relearnPoints of them), replayed when the range is widened.
  let history: number[] = [];
  let low = config.range ? config.range[0] : Infinity;
  let high = config.range ? config.range[1] : -Infinity;
  let seen = 0;
  // Steps learned so far, and the step after the last alarm (0: as if one came just before the first).
  let steps = 0;
  let lastAlarm = 0;

  function facts(value: number): number[] {
    // Dividing by the width first keeps the maximum exactly in the top bin at any scale.
    const bin = high > low ? Math.trunc(((value - low) / (high - low)) * maxBin) : 0;
    return sensorFacts(Number.isFinite(bin) ? Math.max(-1, Math.min(maxBin + 1, bin)) : 0, config.valueBits);
  }

  function learn(value: number): number {
    const raw = learner.step(facts(value));
    const quiet = steps >= lastAlarm + config.restPoints;
    steps++;
    if (raw >= config.alarmLevel) lastAlarm = steps;
    return quiet ? raw : 0;
  }

  /** Widens the range to take `value` and learns the remembered values again under it. */
  function relearn(value: number): void {
    const width = high - low;
    if (value < low) low = value - config.rangeMargin * width;
    if (value > high) high = value + config.rangeMargin * width;
    learner = new ContextLearner(config);
    for (const held of history) learner.step(facts(held));
  }

  function remember(value: number): void {
    history.push(value);
    if (history.length > config.relearnPoints) history = history.slice(history.length >> 1);
  }

  return {
    reset() {
      learner = new ContextLearner(config);
      history = [];
      low = config.range ? config.range[0] : Infinity;
      high = config.range ? config.range[1] : -Infinity;
      seen = 0;
      steps = 0;
      lastAlarm = 0;
    },
    update(_t: number, value: number) {
      if (!Number.isFinite(value)) return 0;
      if (config.range === undefined) {
        if (seen < config.warmup) {
          // The range is learned first; the held values are then learned in order, unscored.
          seen++;
          history.push(value);
          if (value < low) low = value;
          if (value > high) high = value;
          if (seen === config.warmup) for (const held of history) learn(held);
          return 0;
        }
        const width = high - low;
        if (value < low - config.relearnGrowth * width || value > high + config.relearnGrowth * width) relearn(value);
        remember(value);
      }
      return learn(value);
    },
  };
}
