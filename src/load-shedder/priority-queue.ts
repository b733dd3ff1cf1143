/**
 * The waiting room of a load shedder: one {@link WaitQueue} per priority, granted from
 * `critical` down to `low`, FIFO within a priority. Enqueue, removal and grant are O(1) (grant
 * looks at four queues at most). A queued `low` call can wait behind a steady stream of higher
 * priorities: its wait is bounded by its deadline, its caller's abort or `maxWaitMs`.
 * @module
 * @internal
 */
import type { Clock } from '../core/clock';
import type { CancelScope } from '../core/context';
import { WaitQueue } from '../core/wait-queue';

/** See the module comment. */
export class PriorityQueue {
  /** Indexed by rank: `low` 0 … `critical` 3. */
  readonly #queues: readonly WaitQueue[];

  constructor(clock: Clock) {
    this.#queues = [new WaitQueue(clock), new WaitQueue(clock), new WaitQueue(clock), new WaitQueue(clock)];
  }

  /** Callers waiting, all priorities together. */
  get length(): number {
    const queues = this.#queues;
    return (
      (queues[0] as WaitQueue).length +
      (queues[1] as WaitQueue).length +
      (queues[2] as WaitQueue).length +
      (queues[3] as WaitQueue).length
    );
  }

  /**
   * Waits behind the callers of the same or a higher rank; see {@link WaitQueue.wait}.
   * @param rank - the caller's priority rank, `low` 0 … `critical` 3
   */
  wait(
    rank: number,
    scope: CancelScope | undefined,
    timeoutMs: number | undefined,
    onTimeout: () => unknown,
  ): Promise<void> {
    return (this.#queues[rank] as WaitQueue).wait(scope, timeoutMs, onTimeout);
  }

  /** Lets the oldest caller of the highest waiting rank go; false when nobody waits. */
  grantNext(): boolean {
    const queues = this.#queues;
    for (let rank = 3; rank >= 0; rank--) if ((queues[rank] as WaitQueue).grantNext()) return true;
    return false;
  }
}
