/**
 * ARIMA / SARIMA by exact maximum likelihood: fitting, forecasting with prediction intervals,
 * automatic order selection and STL + ARIMA for long seasonal periods.
 */
export { arimaOptionsSchema, fitArima, forecastArima, arimaLogLikelihood, minimumLength } from './fit.js';
export type { ArimaOptions, ArimaFit, ArimaForecast, ArimaCoefficients } from './fit.js';
export type { ArimaOrder } from './polynomial.js';
export { autoArima, autoArimaOptionsSchema, kpssStatistic, kpssPValue, ndiffs, nsdiffs, seasonalStrength } from './auto.js';
export type { AutoArimaOptions, AutoArimaResult } from './auto.js';
export { fitStlArima, forecastStlArima, stlArimaOptionsSchema } from './stl-arima.js';
export type { StlArimaOptions, StlArimaModel } from './stl-arima.js';
export { arimaDetector, stlArimaDetector, arimaDetect, stlArimaDetect, arimaDetectorConfigSchema, stlArimaDetectorConfigSchema } from './detector.js';
export type { ArimaDetectorConfig, StlArimaDetectorConfig } from './detector.js';
