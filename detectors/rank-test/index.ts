export { averageRanks, brentRoot, hodgesLehmann, mannWhitney, pairwiseDifferences, pwilcox, qwilcox, wilcoxonCounts } from './mann-whitney.js';
export type { Alternative, MannWhitneyOptions, MannWhitneyResult } from './mann-whitney.js';
export { classifyShift, rankTestConfigSchema, rankTestDetect, rankTestDetector } from './detector.js';
export type { RankTestConfig, ShiftClassification, ShiftJudgement } from './detector.js';
