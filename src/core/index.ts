export * from './series.js';
export * from './errors.js';
export * from './config.js';
export * from './stats.js';
export * from './optimize.js';
export * from './detector.js';
export * from './score.js';
