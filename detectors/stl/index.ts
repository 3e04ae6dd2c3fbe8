export { stl, stlConfigSchema, parseStlOptions, resolveStlParameters, type StlOptions, type StlConfig, type StlParameters, type StlResult } from './stl.js';
