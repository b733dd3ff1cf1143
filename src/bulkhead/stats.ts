/**
 * What {@link Bulkhead.stats} returns.
 * @module
 */
import type { BulkheadRejectionReason } from './bulkhead-rejected-error';

/** Occupancy and counters of a {@link Bulkhead}; plain data, safe to serialise. */
export interface BulkheadStats {
  /** Calls running now. */
  readonly inFlight: number;
  /** Calls waiting for a slot now. */
  readonly queued: number;
  /** The configured limit of calls running at once. */
  readonly maxInFlight: number;
  /** The configured limit of calls waiting. */
  readonly maxQueue: number;
  /** Calls refused with {@link BulkheadRejectedError} since creation, whatever the reason. */
  readonly rejected: number;
  /**
   * Calls refused since creation, by reason: `queueFull` (every slot busy and the queue full),
   * `queueTimeout` (waited past `maxWaitMs` or their deadline). They add up to `rejected`.
   */
  readonly rejectedByReason: Readonly<Record<BulkheadRejectionReason, number>>;
  /** Queued calls whose caller (or an enclosing policy) aborted before they got to run, since creation. */
  readonly abandoned: number;
}
