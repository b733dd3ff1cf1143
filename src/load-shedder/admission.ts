/**
 * The decision half of a load shedder: from the occupancy and the signal pressure, which
 * priorities are shed and what the load level is. The shedder (load-shedder.ts) keeps the counts
 * and asks.
 *
 * Priorities are ranked in the order they are shed: `low` 0, `normal` 1, `high` 2, `critical` 3.
 * Because thresholds never decrease with rank, the shed priorities are always the lowest few: the
 * whole decision is one number, `shedRanks` (0–4), and a call is admitted iff its rank is at
 * least that. Occupancy thresholds are turned into slot counts once, so that deciding costs at
 * most four integer comparisons and no division.
 * @module
 * @internal
 */
import type { Priority } from '../core/context';
import type { LoadLevel } from './load-level';

/**
 * The rank of `priority`, the order in which priorities are shed: `low` 0, `normal` 1, `high` 2,
 * `critical` 3. `execute` rejects a value that is not a {@link Priority}; one that still arrives (in
 * the context of a policy that is not bulwark's) ranks as `normal`.
 */
export function rankOf(priority: string): number {
  switch (priority) {
    case 'low':
      return 0;
    case 'high':
      return 2;
    case 'critical':
      return 3;
    default:
      return 1;
  }
}

/** The priorities by rank. */
export const PRIORITIES: readonly Priority[] = ['low', 'normal', 'high', 'critical'];

/** The load level for each value of `shedRanks`: what a call arriving now would be shed for. */
const LEVELS: readonly LoadLevel[] = ['normal', 'elevated', 'high', 'critical', 'critical'];

/** Which priorities are shed at a given occupancy and signal pressure. */
export class Admission {
  /** Total places: `maxInFlight + maxQueue`. */
  readonly capacity: number;
  /** Threshold of each rank, a fraction of the load. */
  readonly #thresholds: readonly number[];
  /** For each rank, the fewest occupied places at which it is shed. */
  readonly #limits: readonly number[];

  /**
   * @param thresholds - threshold of each rank (`low` first), non-decreasing, each in (0, 1]
   * @param capacity - `maxInFlight + maxQueue`
   */
  constructor(thresholds: readonly number[], capacity: number) {
    this.capacity = capacity;
    this.#thresholds = thresholds;
    this.#limits = thresholds.map((threshold) => fewestShedding(threshold, capacity));
  }

  /**
   * How many ranks (from `low`) are shed when `occupied` places are taken and the signals
   * already shed `signalRanks`: the larger of the two.
   */
  shedRanks(occupied: number, signalRanks: number): number {
    const limits = this.#limits;
    let ranks = signalRanks;
    while (ranks < 4 && occupied >= (limits[ranks] as number)) ranks++;
    return ranks;
  }

  /** How many ranks a signal pressure (the highest signal over its maximum) sheds. */
  signalRanks(pressure: number): number {
    let ranks = 0;
    while (ranks < 4 && pressure >= (this.#thresholds[ranks] as number)) ranks++;
    return ranks;
  }

  /** The load level at which `shedRanks` ranks are shed. */
  static levelOf(shedRanks: number): LoadLevel {
    return LEVELS[shedRanks] as LoadLevel;
  }
}

/**
 * The fewest occupied places `count` with `count / capacity >= threshold`: the occupancy at which
 * a priority with that threshold is shed. Computed from the division itself, so that it agrees
 * with the documented rule where floating point does not (`0.3 × 10` is `3.0000000000000004`).
 */
function fewestShedding(threshold: number, capacity: number): number {
  let count = Math.ceil(threshold * capacity);
  while (count > 0 && (count - 1) / capacity >= threshold) count--;
  while (count / capacity < threshold) count++;
  return count;
}
