/**
 * The NAB scoreboard as text: our detectors' normalised scores beside the published ones,
 * one row per detector, sorted by the standard profile.
 */
import type { DetectorScores } from './runner.js';

/** Profile columns in NAB's order of publication. */
const COLUMNS: [string, string][] = [
  ['standard', 'standard'],
  ['reward_low_FP_rate', 'low FP'],
  ['reward_low_FN_rate', 'low FN'],
];

export interface ScoreboardRow {
  detector: string;
  /** `ours` for scores computed now, `published` for NAB's final_results.json. */
  source: 'ours' | 'published';
  scores: Record<string, number>;
}

/** Rows for our scored detectors followed by the published ones, sorted by standard score. */
export function scoreboardRows(ours: Record<string, DetectorScores>, published: Record<string, Record<string, number>>): ScoreboardRow[] {
  const rows: ScoreboardRow[] = [];
  for (const [detector, scores] of Object.entries(ours)) {
    const flat: Record<string, number> = {};
    for (const [profile, result] of Object.entries(scores)) flat[profile] = result.normalizedScore;
    rows.push({ detector, source: 'ours', scores: flat });
  }
  for (const [detector, scores] of Object.entries(published)) rows.push({ detector, source: 'published', scores });
  return rows.sort((a, b) => (b.scores.standard ?? -Infinity) - (a.scores.standard ?? -Infinity));
}

/** Fixed-width table; our rows are marked with `*`. */
export function formatScoreboard(rows: readonly ScoreboardRow[]): string {
  const width = Math.max(8, ...rows.map((r) => r.detector.length + 2));
  const header = 'detector'.padEnd(width) + COLUMNS.map(([, label]) => label.padStart(10)).join('');
  const lines = [header, '-'.repeat(header.length)];
  for (const row of rows) {
    const mark = row.source === 'ours' ? '* ' : '  ';
    const cells = COLUMNS.map(([key]) => {
      const v = row.scores[key];
      return (v === undefined ? '' : v.toFixed(2)).padStart(10);
    });
    lines.push((mark + row.detector).padEnd(width) + cells.join(''));
  }
  return lines.join('\n');
}
