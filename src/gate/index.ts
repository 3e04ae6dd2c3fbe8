export * from './policy.js';
export * from './aggregate.js';
export * from './cache.js';
export * from './verdict.js';
export * from './evaluate.js';
export * from './runner.js';
export * from './workers.js';
