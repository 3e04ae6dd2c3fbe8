export {
  fitHoltWinters,
  forecast,
  smooth,
  sseGradient,
  decomposeStart,
  simpleStart,
  specOf,
  minimumPoints,
  dampedSum,
  type Seasonality,
  type InitialMethod,
  type HoltWintersSpec,
  type SmoothingParameters,
  type InitialState,
  type Start,
  type RecursionOutput,
  type SmoothWorkspace,
  type OutlierScreen,
  type HoltWintersOptions,
  type HoltWintersFit,
  type Forecast,
  type ForecastSource,
  type ForecastOptions,
} from './model.js';
export { streamFrom, update, cloneStream, type StreamState, type StreamStep } from './stream.js';
export { holtWintersDetector, holtWintersDetect, holtWintersConfigSchema, type HoltWintersConfig } from './detector.js';
export { topQuarterMean } from '../../src/core/score.js';
