export * from './metric-source.js';
