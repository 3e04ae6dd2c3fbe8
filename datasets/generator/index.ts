export * from './catalog.js';
export * from './presets.js';
export { planKinds, generateCase, generateCases, splitCases } from './generate.js';
export { withoutReleasedHistory } from './variants.js';
