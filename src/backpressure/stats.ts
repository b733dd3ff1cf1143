/**
 * What {@link Backpressure.stats} returns.
 * @module
 */
import type { BackpressureRejectionReason } from './backpressure-timeout-error';

/** State and counters of a {@link Backpressure}; plain data, safe to serialise. */
export interface BackpressureStats {
  /** Units counted and not yet released: running `execute` calls plus what producers acquired. */
  readonly pending: number;
  /** Whether it is paused. */
  readonly paused: boolean;
  /** Callers waiting for the pause to end now: `execute` callers and `ready()` callers together. */
  readonly queued: number;
  /** Highest `pending` since creation; above `highWaterMark` only when producers overshot it. */
  readonly peakPending: number;
  /** Times it paused since creation. */
  readonly pauses: number;
  /** Waits that ended in a {@link BackpressureTimeoutError} since creation. */
  readonly rejected: number;
  /**
   * `rejected` by reason: `queueTimeout` (the wait outlasted `maxWaitMs`) and `deadline` (the
   * call's deadline came first).
   */
  readonly rejectedByReason: Readonly<Record<BackpressureRejectionReason, number>>;
}
