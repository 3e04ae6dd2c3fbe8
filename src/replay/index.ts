export * from './config.js';
export * from './metrics.js';
export * from './replay.js';
export * from './pool.js';
export * from './record.js';
export * from './uncertainty.js';
