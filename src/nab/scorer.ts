/**
 * NAB scoring: the Numenta Anomaly Benchmark's window-based score, reproduced to the float.
 *
 * Reference: Lavin & Ahmad, "Evaluating Real-time Anomaly Detection Algorithms — the Numenta
 * Anomaly Benchmark" (2015), and the benchmark's own sweeper / optimiser / normaliser, whose
 * semantics this module follows exactly:
 *
 * - each row gets a "sweep score": inside a label window, the scaled sigmoid of its relative
 *   position (earliest point = +tpWeight, right edge ≈ 0); outside, the scaled sigmoid of its
 *   distance past the previous window's right edge (−fpWeight before any window and far after);
 * - the first `min(floor(0.15·n), 0.15·5000)` rows of each file are probationary: not scored;
 * - for a threshold, a window contributes the best sweep score among its detected rows, or
 *   −fnWeight when none is detected; every detected row outside windows adds its own sweep score;
 * - the corpus threshold is optimised per profile over every distinct anomaly score at once
 *   (one sort, one pass);
 * - normalisation: 100·(raw − null)/(perfect − null), null = nothing detected, perfect =
 *   every window detected at its first row.
 *
 * Pure: no I/O. `corpus.ts` reads the files.
 */

/** Weights of one scoring profile (NAB's `config/profiles.json` cost matrix). */
export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

/** NAB's three published profiles. */
export const NAB_PROFILES = {
  standard: { tpWeight: 1.0, fpWeight: 0.11, fnWeight: 1.0 },
  reward_low_FP_rate: { tpWeight: 1.0, fpWeight: 0.22, fnWeight: 1.0 },
  reward_low_FN_rate: { tpWeight: 1.0, fpWeight: 0.11, fnWeight: 2.0 },
} as const satisfies Record<string, CostMatrix>;

export type ProfileName = keyof typeof NAB_PROFILES;
export const PROFILE_NAMES = Object.keys(NAB_PROFILES) as ProfileName[];

/** Fraction of every file excluded from scoring at its start. */
export const PROBATION_PERCENT = 0.15;

/** Window index of a probationary row (not scored). */
export const PROBATION = -2;
/** Window index of a scored row outside every label window. */
export const OUTSIDE = -1;

/** The logistic function 1/(1 + e^(−x)). */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * NAB's scaled sigmoid of a relative position: 2·sigmoid(−5x) − 1, and −1 beyond x > 3.
 * x = −1 is a window's left edge (0.98661), x = 0 its right edge (0), x = 1 one window width past
 * it (−0.98661). Range (−1, 1). O(1).
 */
export function scaledSigmoid(relativePosition: number): number {
  if (relativePosition > 3.0) return -1.0;
  return 2 * sigmoid(-5 * relativePosition) - 1.0;
}

/** Rows at the start of a file of `rowCount` rows that are not scored: min(floor(p·n), p·5000). */
export function probationaryLength(rowCount: number, probationPercent = PROBATION_PERCENT): number {
  return Math.min(Math.floor(probationPercent * rowCount), probationPercent * 5000);
}

/** One file's rows as the scorer sees them: which window each row is in and its sweep score. */
export interface FileSweep {
  /** Per row: window index within the file (≥ 0), `OUTSIDE`, or `PROBATION`. */
  window: Int32Array;
  /** Per row: the score the row adds when detected (TP candidate inside a window, FP outside). */
  sweepScore: Float64Array;
  /** Windows of the file that have at least one scored row (these can be missed). */
  scorableWindows: number;
  /** Total windows of the file (the perfect score counts all of them). */
  windowCount: number;
}

/**
 * Locates label windows (inclusive [start, end] in the same unit as `timestamps`) as row index
 * ranges. A window starts at the first row at or after its start and ends at the last row at or
 * before its end (NAB's labels always hit rows exactly, where this is the same thing); windows
 * with no row are dropped. O(n + windows).
 */
export function windowRows(timestamps: ArrayLike<number>, windows: readonly (readonly [number, number])[]): [number, number][] {
  const out: [number, number][] = [];
  const n = timestamps.length;
  let i = 0;
  const sorted = [...windows].sort((a, b) => a[0] - b[0]);
  for (const [start, end] of sorted) {
    while (i < n && timestamps[i] < start) i++;
    let j = i;
    while (j < n && timestamps[j] <= end) j++;
    if (j > i) out.push([i, j - 1]);
    i = j;
  }
  return out;
}

/**
 * Sweep scores of one file for one profile (NAB's `Sweeper.calcSweepScore`). `timestamps` are
 * ascending numbers (epoch ms); `windows` inclusive limits in the same unit. O(n).
 */
export function sweepFile(
  timestamps: ArrayLike<number>,
  windows: readonly (readonly [number, number])[],
  cost: CostMatrix,
  probationPercent = PROBATION_PERCENT,
): FileSweep {
  const n = timestamps.length;
  const ranges = windowRows(timestamps, windows);
  const window = new Int32Array(n);
  const sweepScore = new Float64Array(n);
  const probation = probationaryLength(n, probationPercent);
  const maxTP = scaledSigmoid(-1.0);
  let next = 0;
  let current = -1;
  let currentRight = -1;
  let currentWidth = 0;
  let previousRight = -1;
  let previousWidth = 0;
  const scorable = new Uint8Array(ranges.length);
  for (let i = 0; i < n; i++) {
    if (current < 0 && next < ranges.length && i === ranges[next][0]) {
      current = next++;
      currentRight = ranges[current][1];
      currentWidth = currentRight - ranges[current][0] + 1;
    }
    let score: number;
    if (current >= 0) {
      const position = -(currentRight - i + 1) / currentWidth;
      score = (scaledSigmoid(position) * cost.tpWeight) / maxTP;
    } else if (previousRight < 0) {
      score = -1.0 * cost.fpWeight;
    } else {
      // A one-row window divides by zero here in NAB too (giving ±Infinity → −1); keep that.
      const position = Math.abs(previousRight - i) / (previousWidth - 1);
      score = scaledSigmoid(position) * cost.fpWeight;
    }
    sweepScore[i] = score;
    if (i >= probation) {
      window[i] = current >= 0 ? current : OUTSIDE;
      if (current >= 0) scorable[current] = 1;
    } else {
      window[i] = PROBATION;
    }
    if (current >= 0 && i === currentRight) {
      previousRight = currentRight;
      previousWidth = currentWidth;
      current = -1;
    }
  }
  let scorableWindows = 0;
  for (const s of scorable) scorableWindows += s;
  return { window, sweepScore, scorableWindows, windowCount: ranges.length };
}

/** Score and confusion counts (over scored rows) at one threshold. */
export interface ThresholdScore {
  /** Rows with anomaly score ≥ threshold are detections. */
  threshold: number;
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
  total: number;
}

/**
 * Score of one file at `threshold`: rows with `anomalyScores[i] >= threshold` are detections
 * (NAB's `Sweeper.scoreDataSet`). NaN scores never detect. O(n).
 */
export function scoreFileAtThreshold(sweep: FileSweep, anomalyScores: ArrayLike<number>, threshold: number, cost: CostMatrix): ThresholdScore {
  const best = new Float64Array(sweep.windowCount).fill(-Infinity);
  const counted = new Uint8Array(sweep.windowCount);
  let tp = 0;
  let tn = 0;
  let fp = 0;
  let fn = 0;
  let fpScore = 0;
  const n = sweep.window.length;
  for (let i = 0; i < n; i++) {
    const w = sweep.window[i];
    if (w === PROBATION) continue;
    const detected = anomalyScores[i] >= threshold;
    if (w >= 0) {
      counted[w] = 1;
      if (detected) {
        tp++;
        if (sweep.sweepScore[i] > best[w]) best[w] = sweep.sweepScore[i];
      } else fn++;
    } else if (detected) {
      fp++;
      fpScore += sweep.sweepScore[i];
    } else tn++;
  }
  let score = fpScore;
  for (let w = 0; w < sweep.windowCount; w++) {
    if (!counted[w]) continue;
    score += Math.max(-cost.fnWeight, best[w]);
  }
  return { threshold, score, tp, tn, fp, fn, total: tp + tn + fp + fn };
}

/** One file's detector output ready for corpus-wide threshold sweeping. */
export interface SweepInput {
  sweep: FileSweep;
  anomalyScores: ArrayLike<number>;
}

/**
 * Score at every threshold over a whole corpus in one pass (NAB's `calcScoreByThreshold` over the
 * concatenated rows): the first row is threshold 1.1 (nothing detected), then one row per
 * distinct anomaly score, descending, each counting every row with score ≥ it.
 * O(N log N) for N scored rows (one typed-array sort).
 */
export function scoresByThreshold(files: readonly SweepInput[], cost: CostMatrix): ThresholdScore[] {
  const out: ThresholdScore[] = [];
  sweepThresholds(files, cost, (threshold, score, tp, tn, fp, fn, total) => out.push({ threshold, score, tp, tn, fp, fn, total }));
  return out;
}

/** Calls `visit` once per threshold row of `scoresByThreshold`, without building the rows. */
function sweepThresholds(
  files: readonly SweepInput[],
  cost: CostMatrix,
  visit: (threshold: number, score: number, tp: number, tn: number, fp: number, fn: number, total: number) => void,
): void {
  let total = 0;
  let windows = 0;
  for (const f of files) {
    for (let i = 0; i < f.sweep.window.length; i++) if (f.sweep.window[i] !== PROBATION) total++;
    windows += f.sweep.windowCount;
  }
  const scores = new Float64Array(total);
  const sweep = new Float64Array(total);
  const window = new Int32Array(total);
  const parts = new Float64Array(windows).fill(NaN);
  let k = 0;
  let offset = 0;
  let tn = 0;
  let fn = 0;
  for (const f of files) {
    const w = f.sweep.window;
    for (let i = 0; i < w.length; i++) {
      if (w[i] === PROBATION) continue;
      const a = f.anomalyScores[i];
      // NaN never detects: sort it below every real score.
      scores[k] = Number.isNaN(a) ? -Infinity : a;
      sweep[k] = f.sweep.sweepScore[i];
      if (w[i] >= 0) {
        window[k] = offset + w[i];
        parts[offset + w[i]] = -cost.fnWeight;
        fn++;
      } else {
        window[k] = OUTSIDE;
        tn++;
      }
      k++;
    }
    offset += f.sweep.windowCount;
  }
  let windowSum = 0;
  for (const p of parts) if (!Number.isNaN(p)) windowSum += p;
  const order = descendingOrder(scores);
  let threshold = 1.1;
  let fpSum = 0;
  let tp = 0;
  let fp = 0;
  for (let r = 0; r < total; r++) {
    const i = order[r];
    const s = scores[i];
    if (s === -Infinity) break;
    if (s !== threshold) {
      visit(threshold, fpSum + windowSum, tp, tn, fp, fn, total);
      threshold = s;
    }
    const w = window[i];
    if (w >= 0) {
      tp++;
      fn--;
      if (sweep[i] > parts[w]) {
        windowSum += sweep[i] - parts[w];
        parts[w] = sweep[i];
      }
    } else {
      fp++;
      tn--;
      fpSum += sweep[i];
    }
  }
  visit(threshold, fpSum + windowSum, tp, tn, fp, fn, total);
}

/**
 * Row indices by descending score, ties in row order (a stable sort, as NAB's). A native sort of
 * the distinct values and a counting sort of the rows avoid a comparator call per comparison.
 * O(N log N).
 */
function descendingOrder(scores: Float64Array): Uint32Array {
  const n = scores.length;
  const sorted = Float64Array.from(scores).sort();
  let distinct = 0;
  for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[distinct++] = sorted[i];
  const levels = sorted.subarray(0, distinct);
  const rank = new Uint32Array(n);
  const counts = new Uint32Array(distinct + 1);
  for (let i = 0; i < n; i++) {
    // Binary search in the ascending distinct levels; rank 0 = highest score.
    let lo = 0;
    let hi = distinct - 1;
    const v = scores[i];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (levels[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    rank[i] = distinct - 1 - lo;
    counts[rank[i] + 1]++;
  }
  for (let r = 1; r <= distinct; r++) counts[r] += counts[r - 1];
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[counts[rank[i]]++] = i;
  return order;
}

/**
 * The corpus threshold with the highest score (NAB's optimiser: the first best in descending
 * threshold order).
 */
export function optimizeThreshold(files: readonly SweepInput[], cost: CostMatrix): ThresholdScore {
  let best: ThresholdScore | undefined;
  sweepThresholds(files, cost, (threshold, score, tp, tn, fp, fn, total) => {
    if (best === undefined || score > best.score) best = { threshold, score, tp, tn, fp, fn, total };
  });
  return best as ThresholdScore;
}

/** NAB's normalised score: 100·(raw − null)/(perfect − null). Null scores 0, perfect 100. */
export function normalizeScore(raw: number, nullScore: number, perfectScore: number): number {
  return (100 * (raw - nullScore)) / (perfectScore - nullScore);
}

/** Raw null (nothing detected) and perfect scores of a corpus for a profile. */
export function corpusBounds(files: readonly { sweep: FileSweep }[], cost: CostMatrix): { nullScore: number; perfectScore: number } {
  let scorable = 0;
  let windows = 0;
  for (const f of files) {
    scorable += f.sweep.scorableWindows;
    windows += f.sweep.windowCount;
  }
  return { nullScore: -cost.fnWeight * scorable, perfectScore: windows * cost.tpWeight };
}

/** One file of detector output with its timestamps and label windows. */
export interface ScoredFile {
  /** Corpus-relative path, e.g. `realKnownCause/nyc_taxi.csv`. */
  name: string;
  timestamps: ArrayLike<number>;
  windows: readonly (readonly [number, number])[];
  /** Anomaly score per row in [0, 1]. */
  anomalyScores: ArrayLike<number>;
}

/** A file's figures at the corpus threshold. */
export interface FileResult extends ThresholdScore {
  name: string;
}

/** A corpus scored for one profile. */
export interface ProfileResult {
  profile: string;
  threshold: number;
  /** Sum of the per-file raw scores at `threshold`. */
  rawScore: number;
  /** 0 = null detector, 100 = perfect. */
  normalizedScore: number;
  nullScore: number;
  perfectScore: number;
  files: FileResult[];
  tp: number;
  tn: number;
  fp: number;
  fn: number;
}

/**
 * Scores a corpus for one profile: optimises the threshold over the whole corpus unless one is
 * given (e.g. from NAB's `config/thresholds.json`), then reports per-file figures and the
 * normalised total. O(N log N) for N rows.
 */
export function scoreCorpus(files: readonly ScoredFile[], profile: string, cost: CostMatrix, threshold?: number, probationPercent = PROBATION_PERCENT): ProfileResult {
  const inputs = files.map((f) => ({ sweep: sweepFile(f.timestamps, f.windows, cost, probationPercent), anomalyScores: f.anomalyScores }));
  const chosen = threshold ?? optimizeThreshold(inputs, cost).threshold;
  const perFile = inputs.map((input, i) => ({ name: files[i].name, ...scoreFileAtThreshold(input.sweep, input.anomalyScores, chosen, cost) }));
  const totals = { rawScore: 0, tp: 0, tn: 0, fp: 0, fn: 0 };
  for (const r of perFile) {
    totals.rawScore += r.score;
    totals.tp += r.tp;
    totals.tn += r.tn;
    totals.fp += r.fp;
    totals.fn += r.fn;
  }
  const { nullScore, perfectScore } = corpusBounds(inputs, cost);
  return {
    profile,
    threshold: chosen,
    ...totals,
    normalizedScore: normalizeScore(totals.rawScore, nullScore, perfectScore),
    nullScore,
    perfectScore,
    files: perFile,
  };
}
