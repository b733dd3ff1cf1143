/**
 * The performance goals of the project, stated against cockatiel, and their evaluation: each
 * goal is the median over the runs of a same-run ratio, compared with a maximum.
 * @module
 */
import { median, type RowRun, type RowSummary } from './analysis';

/** Which ratio a goal bounds. */
export type GoalMetric = 'overheadVsCockatiel' | 'timeVsCockatiel';

/** One goal: bulwark's row in `group` must keep `metric` at or below `max`. */
export interface Goal {
  /** Group whose bulwark row is judged. */
  readonly group: string;
  /** The ratio bounded. */
  readonly metric: GoalMetric;
  /** Largest acceptable value of the ratio. */
  readonly max: number;
  /** The goal in words. */
  readonly text: string;
}

/** The verdict on one goal. */
export interface GoalResult extends Goal {
  /** Median of the per-run ratios; undefined when a row is missing or a denominator is ≤ 0. */
  readonly value: number | undefined;
  /** The ratio in each run. */
  readonly perRun: readonly (number | undefined)[];
  /** `PASS` when `value ≤ max`, `MISS` when above, `N/A` when it could not be computed. */
  readonly verdict: 'PASS' | 'MISS' | 'N/A';
}

/**
 * The goals: Retry overhead ≤ 0.5× cockatiel's overhead; Timeout and any composition containing
 * it ≤ 0.1× cockatiel's time (ns per call, bare call included).
 */
export const GOALS: readonly Goal[] = [
  { group: 'retry', metric: 'overheadVsCockatiel', max: 0.5, text: 'Retry overhead ≤ 0.5× cockatiel overhead' },
  {
    group: 'retry-1-listener',
    metric: 'overheadVsCockatiel',
    max: 0.5,
    text: 'Retry overhead ≤ 0.5× cockatiel overhead, 1 success listener each',
  },
  { group: 'timeout-aggressive', metric: 'timeVsCockatiel', max: 0.1, text: 'Timeout (aggressive) time ≤ 0.1× cockatiel time' },
  { group: 'timeout-cooperative', metric: 'timeVsCockatiel', max: 0.1, text: 'Timeout (cooperative) time ≤ 0.1× cockatiel time' },
  { group: 'compose', metric: 'timeVsCockatiel', max: 0.1, text: 'Fallback+Retry+Timeout time ≤ 0.1× cockatiel time' },
];

/**
 * Judges every goal on the summarised rows.
 * @param rows - {@link summarise}'s output
 * @param goals - the goals to judge
 */
export function evaluateGoals(rows: readonly RowSummary[], goals: readonly Goal[] = GOALS): GoalResult[] {
  return goals.map((goal) => {
    const row = rows.find((r) => r.group === goal.group && r.library === 'bulwark');
    const perRun = row === undefined ? [] : row.runs.map((run: RowRun) => run[goal.metric]);
    const value = median(perRun.filter((v): v is number => v !== undefined));
    const verdict = value === undefined ? 'N/A' : value <= goal.max ? 'PASS' : 'MISS';
    return { ...goal, value, perRun, verdict };
  });
}
