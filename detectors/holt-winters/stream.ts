/**
 * Streaming Holt-Winters: carry a fitted model forward one observation at a time in O(1), for
 * scoring points as they arrive without refitting.
 */
import type { Direction } from '../../src/core/detector.js';
import { deviationScore } from '../../src/core/score.js';
import type { HoltWintersFit, HoltWintersSpec, SmoothingParameters } from './model.js';

/**
 * Everything needed to forecast and score the next point. `season` is a ring buffer and
 * `position` the slot that applies to the next point. `update` advances the state in place.
 */
export interface StreamState {
  readonly spec: HoltWintersSpec;
  readonly parameters: SmoothingParameters;
  level: number;
  trend: number;
  season: Float64Array;
  position: number;
  /** One-step residual standard deviation of the fit; kept fixed while streaming. */
  readonly sigma: number;
  /** Band half-width δ = bandWidth · σ used for the score. */
  readonly delta: number;
  /** Observations consumed since the state was made (missing ones included). */
  seen: number;
}

/** One step of the stream: the forecast made before seeing y, and how far y was from it. */
export interface StreamStep {
  /** One-step forecast for this point. */
  forecast: number;
  /** y − forecast; `NaN` when y is missing. */
  residual: number;
  /** deviationScore(residual, δ, direction) in [0, 100]; 0 when y is missing. */
  score: number;
  /** |residual| > δ in the scored direction. */
  outside: boolean;
}

/**
 * A stream positioned just after the fitted data: the fit's final state, σ and δ = bandWidth·σ
 * (bandWidth in σ units, default 3). O(period).
 */
export function streamFrom(fit: Pick<HoltWintersFit, 'spec' | 'parameters' | 'final' | 'sigma'>, bandWidth = 3): StreamState {
  const sigma = Number.isFinite(fit.sigma) ? fit.sigma : 0;
  return {
    spec: fit.spec,
    parameters: { ...fit.parameters },
    level: fit.final.level,
    trend: fit.final.trend,
    season: Float64Array.from(fit.final.season),
    position: 0,
    sigma,
    delta: bandWidth * sigma,
    seen: 0,
  };
}

/** An independent copy of a stream state (the season ring is copied). O(period). */
export function cloneStream(state: StreamState): StreamState {
  return { ...state, season: Float64Array.from(state.season) };
}

/**
 * Consumes one observation (`NaN` = missing: the forecast stands in for it and the state moves
 * on unchanged in shape). Mutates `state` in place and returns the forecast, residual and score.
 * O(1), no allocation besides the returned step (pass `into` to reuse one).
 */
export function update(state: StreamState, y: number, direction: Direction = 'both', into?: StreamStep): StreamStep {
  const { spec, parameters } = state;
  const additive = spec.seasonal !== 'multiplicative';
  const hasSeason = spec.seasonal !== 'none';
  const phi = spec.trend && spec.damped ? parameters.phi : 1;
  const damped = spec.trend ? phi * state.trend : 0;
  const base = state.level + damped;
  const s = hasSeason ? state.season[state.position] : additive ? 0 : 1;
  const predicted = additive ? base + s : base * s;
  const missing = !Number.isFinite(y);
  const observed = missing ? predicted : y;
  const alpha = parameters.alpha;
  const newLevel = additive ? alpha * (observed - s) + (1 - alpha) * base : alpha * (observed / s) + (1 - alpha) * base;
  if (spec.trend) state.trend = parameters.beta * (newLevel - state.level) + (1 - parameters.beta) * damped;
  if (hasSeason) {
    const gamma = parameters.gamma;
    state.season[state.position] = additive ? gamma * (observed - newLevel) + (1 - gamma) * s : gamma * (observed / newLevel) + (1 - gamma) * s;
    state.position = state.position + 1 === state.season.length ? 0 : state.position + 1;
  }
  state.level = newLevel;
  state.seen++;
  const residual = missing ? NaN : y - predicted;
  const score = missing ? 0 : deviationScore(residual, state.delta, direction);
  const step = into ?? { forecast: 0, residual: 0, score: 0, outside: false };
  step.forecast = predicted;
  step.residual = residual;
  step.score = score;
  step.outside = score > 50;
  return step;
}
