export { areaBetween } from './auc.js';
export type { AreaBetween, AreaOptions } from './auc.js';
export { aucConfigSchema, aucDetect, aucDetector } from './detector.js';
export type { AucConfig } from './detector.js';
