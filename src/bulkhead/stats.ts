/**
 * What {@link Bulkhead.stats} returns.
 * @module
 */

/** Occupancy and counters of a {@link Bulkhead}; plain data, safe to serialise. */
export interface BulkheadStats {
  /** Calls running now. */
  readonly active: number;
  /** Calls waiting for a slot now. */
  readonly queued: number;
  /** The configured limit of calls running at once. */
  readonly maxConcurrent: number;
  /** The configured limit of calls waiting. */
  readonly maxQueue: number;
  /** Calls refused because every slot was busy and the queue full, since creation. */
  readonly rejectedQueueFull: number;
  /** Calls refused because they waited past `queueTimeoutMs` or their deadline, since creation. */
  readonly rejectedQueueTimeout: number;
  /** Queued calls whose caller aborted before they got to run, since creation. */
  readonly cancelledWhileQueued: number;
}
