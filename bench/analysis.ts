/**
 * Turns raw measurements into the numbers the table and the goals use.
 *
 * Every derived number (overhead, ratios) is computed within ONE run, against rows measured in
 * that same run; the summary then takes the median of each number over the runs. So a ratio in
 * the summary is the median of same-run ratios, not a ratio of medians (the two can differ
 * slightly).
 * @module
 */
import { BARE_GROUP, caseId, type BenchCase, type Library } from './cases';
import type { Measurement } from './measure';

/** The library the goals are stated against. */
export const REFERENCE_LIBRARY: Library = 'cockatiel';

/** The row without any policy: the bare call, or a group's own baseline. */
const BASELINE: Library = 'baseline';

/** A group's least possible work (no library's), shown for reference and never counted as a peer. */
const FLOOR: Library = 'floor';

/** One row's numbers in one run. */
export interface RowRun {
  /** Mean ns per call. */
  readonly meanNs: number;
  /** Median of the batch means, ns per call. */
  readonly p50Ns: number;
  /** Relative margin of error of the mean, percent. */
  readonly rmePct: number;
  /**
   * `meanNs` minus the baseline's `meanNs`: what the policy adds to a call. The baseline is the
   * group's own `baseline` row when it has one (e.g. a request through a middleware that does
   * nothing), else the bare call.
   */
  readonly overheadNs: number;
  /** `meanNs` divided by the bare call's `meanNs`. */
  readonly xBare: number;
  /** Overhead divided by the smallest overhead among the OTHER libraries of the group (its baseline row left out). */
  readonly overheadVsBestPeer: number | undefined;
  /** Overhead divided by cockatiel's overhead in the group. */
  readonly overheadVsCockatiel: number | undefined;
  /** `meanNs` divided by cockatiel's `meanNs` in the group. */
  readonly timeVsCockatiel: number | undefined;
}

/** One row summarised over every run: each field is the median of the per-run values. */
export interface RowSummary extends RowRun {
  /** `group/library`. */
  readonly id: string;
  readonly group: string;
  readonly library: Library;
  /** (max − min) / median of the per-run `meanNs`, percent: how much the runs disagree. */
  readonly runSpreadPct: number;
  /** The row's numbers in each run, in run order. */
  readonly runs: readonly RowRun[];
}

/**
 * Derives overheads and ratios for every row of one run.
 * @param cases - the rows, as measured
 * @param measurements - one run's measurements, in the order of `cases`
 * @returns per-row numbers keyed by {@link caseId}
 * @throws when the bare-call row is missing
 */
export function deriveRun(cases: readonly BenchCase[], measurements: readonly Measurement[]): Map<string, RowRun> {
  const byId = new Map(measurements.map((m) => [m.id, m]));
  const bare = cases.find((c) => c.group === BARE_GROUP);
  const bareMean = bare === undefined ? undefined : byId.get(caseId(bare))?.meanNs;
  if (bareMean === undefined) throw new Error(`no measurement for the '${BARE_GROUP}' row`);

  /** What a row's overhead is measured against: its group's own baseline row, else the bare call. */
  const baseOf = (group: string): number => {
    const own = cases.find((c) => c.group === group && c.library === BASELINE);
    return (own === undefined ? undefined : byId.get(caseId(own))?.meanNs) ?? bareMean;
  };
  const overheadOf = (c: BenchCase): number | undefined => {
    const m = byId.get(caseId(c));
    return m === undefined ? undefined : m.meanNs - baseOf(c.group);
  };

  const rows = new Map<string, RowRun>();
  for (const c of cases) {
    const m = byId.get(caseId(c));
    if (m === undefined) continue;
    const base = baseOf(c.group);
    const overheadNs = m.meanNs - base;
    const peers = cases.filter((p) => p.group === c.group && p.library !== c.library && p.library !== BASELINE && p.library !== FLOOR);
    const peerOverheads = peers.map(overheadOf).filter((o): o is number => o !== undefined);
    const bestPeer = peerOverheads.length === 0 ? undefined : Math.min(...peerOverheads);
    const reference = peers.find((p) => p.library === REFERENCE_LIBRARY);
    const referenceMean = reference === undefined ? undefined : byId.get(caseId(reference))?.meanNs;
    rows.set(caseId(c), {
      meanNs: m.meanNs,
      p50Ns: m.p50Ns,
      rmePct: m.rmePct,
      overheadNs,
      xBare: m.meanNs / bareMean,
      overheadVsBestPeer: ratio(overheadNs, bestPeer),
      overheadVsCockatiel: ratio(overheadNs, referenceMean === undefined ? undefined : referenceMean - base),
      timeVsCockatiel: ratio(m.meanNs, referenceMean),
    });
  }
  return rows;
}

/**
 * Summarises several runs: the median of each per-run number.
 * @param cases - the rows
 * @param runs - {@link deriveRun}'s output for each run
 */
export function summarise(cases: readonly BenchCase[], runs: readonly Map<string, RowRun>[]): RowSummary[] {
  const summaries: RowSummary[] = [];
  for (const c of cases) {
    const id = caseId(c);
    const perRun = runs.map((run) => run.get(id)).filter((r): r is RowRun => r !== undefined);
    if (perRun.length === 0) continue;
    const pick = (f: (r: RowRun) => number): number => median(perRun.map(f)) as number;
    const pickOptional = (f: (r: RowRun) => number | undefined): number | undefined =>
      median(perRun.map(f).filter((v): v is number => v !== undefined));
    const means = perRun.map((r) => r.meanNs);
    const meanNs = pick((r) => r.meanNs);
    summaries.push({
      id,
      group: c.group,
      library: c.library,
      meanNs,
      p50Ns: pick((r) => r.p50Ns),
      rmePct: pick((r) => r.rmePct),
      overheadNs: pick((r) => r.overheadNs),
      xBare: pick((r) => r.xBare),
      overheadVsBestPeer: pickOptional((r) => r.overheadVsBestPeer),
      overheadVsCockatiel: pickOptional((r) => r.overheadVsCockatiel),
      timeVsCockatiel: pickOptional((r) => r.timeVsCockatiel),
      runSpreadPct: ((Math.max(...means) - Math.min(...means)) / meanNs) * 100,
      runs: perRun,
    });
  }
  return summaries;
}

/**
 * Median of `values` (the mean of the two middle values for an even count).
 * @returns undefined for an empty list
 */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** `a / b`, or undefined when `b` is missing or not positive (a ratio to ~0 means nothing). */
function ratio(a: number, b: number | undefined): number | undefined {
  return b === undefined || b <= 0 ? undefined : a / b;
}
