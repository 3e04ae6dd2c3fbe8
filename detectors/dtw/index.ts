export { dtw, dtwDistance, dtwPath, effectiveWindow, keoghEnvelope, lbKeogh, lbKim, zNormalize } from './dtw.js';
export type { DtwCost, DtwOptions, DtwPath, DtwResult } from './dtw.js';
export { dtwConfigSchema, dtwDetect, dtwDetector } from './detector.js';
export type { DtwConfig } from './detector.js';
