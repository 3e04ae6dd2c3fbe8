export * from './case.js';
export * from './arrow.js';
export * from './dataset.js';
export * from './nab.js';
