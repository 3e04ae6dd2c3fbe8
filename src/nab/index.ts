/**
 * NAB (Numenta Anomaly Benchmark) support: the scorer, the corpus reader, streaming detectors
 * and the runner that writes NAB's result layout.
 */
export * from './scorer.js';
export * from './corpus.js';
export * from './streaming.js';
export * from './runner.js';
export * from './report.js';
