/**
 * Sluice: time-series anomaly detection and release gating. The package root exports the library:
 * the series model and numeric core, every detector, the registry, the gate, datasets and replay,
 * the metric-source port, and the NAB tools.
 */
export * from './core/index.js';
export * from './registry.js';
export * from './gate/index.js';
export * from './datasets/index.js';
export * from './replay/index.js';
export * from './sources/index.js';
export * as nab from './nab/index.js';
export * from '../detectors/holt-winters/index.js';
export * from '../detectors/stl/index.js';
export * from '../detectors/historical-average/index.js';
export * from '../detectors/arima/index.js';
export * from '../detectors/anchored-baseline/index.js';
export * from '../detectors/did/index.js';
export * from '../detectors/dtw/index.js';
export * from '../detectors/auc/index.js';
export * from '../detectors/rank-test/index.js';
export * from '../detectors/thresholds/index.js';
export * from '../detectors/log-exceptions/index.js';
