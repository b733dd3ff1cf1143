/**
 * Events of a {@link Bulkhead}.
 * @module
 */
import type { BulkheadRejectionReason } from '../core/errors';
import type { BulwarkEvent } from '../core/events';

/** A call was refused with {@link BulkheadRejectedError}; its function never ran. */
export interface BulkheadRejectedEvent extends BulwarkEvent<'rejected'> {
  /** `queue-full`: every slot busy and the queue full; `queue-timeout`: it waited too long in the queue. */
  readonly reason: BulkheadRejectionReason;
  /** Calls running when it was refused. */
  readonly active: number;
  /** Calls still waiting, not counting the refused one. */
  readonly queued: number;
  /**
   * How long it waited in the queue, in ms: `queueTimeoutMs`, or less when its deadline budget
   * ended the wait first; 0 for `queue-full`.
   */
  readonly waitedMs: number;
}

/** Event map of {@link Bulkhead.events}. */
export type BulkheadEvents = {
  /** A call was refused. */
  rejected: BulkheadRejectedEvent;
};
