/**
 * Events of a {@link Bulkhead}.
 * @module
 */
import type { BulwarkEvent } from '../core/events';
import type { BulkheadRejectionReason } from './bulkhead-rejected-error';

/** A call was refused with {@link BulkheadRejectedError}; its function never ran. */
export interface BulkheadRejectedEvent extends BulwarkEvent<'rejected'> {
  /**
   * Why, the same value as the error's `reason`: `queueFull` (every slot busy and the queue
   * full) or `queueTimeout` (it waited too long in the queue).
   */
  readonly reason: BulkheadRejectionReason;
  /** Calls running when it was refused. */
  readonly inFlight: number;
  /** Calls still waiting, not counting the refused one. */
  readonly queued: number;
  /**
   * How long it waited in the queue, in ms: `maxWaitMs`, or less when its deadline budget ended
   * the wait first; 0 for `queueFull`.
   */
  readonly waitedMs: number;
}

/** Event map of {@link Bulkhead.events}. */
export type BulkheadEvents = {
  /** A call was refused. */
  rejected: BulkheadRejectedEvent;
};
