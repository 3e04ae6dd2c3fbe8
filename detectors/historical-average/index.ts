export { segmentedHistoricalAverage, historicalAverageOptionsSchema, type HistoricalAverage, type HistoricalAverageOptions } from './average.js';
export { historicalAverageDetector, historicalAverageDetect, historicalAverageConfigSchema, type HistoricalAverageConfig } from './detector.js';
