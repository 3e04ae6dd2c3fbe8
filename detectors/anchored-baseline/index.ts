export * from './anchored-baseline.js';
