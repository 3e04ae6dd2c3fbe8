/**
 * The threshold family of the seed's basic strategies (趋势 同比 环比 静态阈值 分段静态阈值
 * 动态阈值), one `DetectorModule` per strategy so each declares its own needs (a static
 * threshold needs no history; same-time needs a day or a week of it).
 */
export { staticThreshold, staticThresholdConfig, staticThresholdDetector, defaultMargin, type StaticThresholdConfig } from './static.js';
export { segmentedThreshold, segmentedThresholdConfig, segmentedThresholdDetector, localMinuteOfDay, type SegmentedThresholdConfig } from './segmented.js';
export { dynamicThreshold, dynamicThresholdConfig, dynamicThresholdDetector, type DynamicThresholdConfig } from './dynamic.js';
export { trend, trendConfig, trendDetector, leastSquaresSlope, type TrendConfig } from './trend.js';
export { sameTime, sameTimeConfig, sameTimeDetector, lagMilliseconds, type SameTimeConfig } from './same-time.js';
export { previousWindow, previousWindowConfig, previousWindowDetector, type PreviousWindowConfig } from './previous-window.js';

import { staticThresholdDetector } from './static.js';
import { segmentedThresholdDetector } from './segmented.js';
import { dynamicThresholdDetector } from './dynamic.js';
import { trendDetector } from './trend.js';
import { sameTimeDetector } from './same-time.js';
import { previousWindowDetector } from './previous-window.js';

/** Every threshold detector, in the seed's order of strategies. */
export const thresholdsDetectors = [trendDetector, sameTimeDetector, previousWindowDetector, staticThresholdDetector, segmentedThresholdDetector, dynamicThresholdDetector] as const;
