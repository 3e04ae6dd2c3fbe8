export * from './metric-source.js';
export * from './retrying.js';
