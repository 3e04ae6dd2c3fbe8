export { stl, stlConfigSchema, parseStlOptions, resolveStlParameters, type StlOptions, type StlConfig, type StlParameters, type StlResult } from './stl.js';
export { stlDetector, stlDetect, stlDetectorConfigSchema, type StlDetectorConfig } from './detector.js';
