export * from './metric-source.js';
export * from './retrying.js';
export * from './log-source.js';
export * from './history-cache.js';
