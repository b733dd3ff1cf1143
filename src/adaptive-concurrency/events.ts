/**
 * Events of an {@link AdaptiveConcurrencyLimiter}.
 * @module
 */
import type { BulwarkEvent } from '../core/events';
import type { ConcurrencyRejectionReason } from './concurrency-limit-error';

/**
 * Why the limit changed, as reported by the `limitChange` event:
 * - `success`: `'aimd'` saw `successThreshold` fast successes in a row near the limit (an increase);
 * - `drop`: calls were dropped (they failed or timed out; a decrease);
 * - `latency`: `'gradient2'` or `'vegas'` read the round-trip times (either way), or `'aimd'` saw a
 *   slow success (a decrease).
 */
export type LimitChangeReason = 'success' | 'drop' | 'latency';

/** The limit changed. */
export interface LimitChangeEvent extends BulwarkEvent<'limitChange'> {
  /** The limit before. */
  readonly from: number;
  /** The limit now. */
  readonly to: number;
  /** What moved it. */
  readonly reason: LimitChangeReason;
}

/** A call (or an `acquire`) was refused with {@link ConcurrencyLimitError}. */
export interface ConcurrencyRejectedEvent extends BulwarkEvent<'rejected'> {
  /** The limit when it was refused. */
  readonly limit: number;
  /** Calls in flight when it was refused. */
  readonly inFlight: number;
  /**
   * `atLimit` when it could not wait, `queueTimeout` when it waited `maxWaitMs` or until its
   * deadline; the same as the error's `reason`.
   */
  readonly reason: ConcurrencyRejectionReason;
}

/** Event map of {@link AdaptiveConcurrencyLimiter.events}. */
export type AdaptiveConcurrencyLimiterEvents = {
  /** The limit changed. */
  limitChange: LimitChangeEvent;
  /** A call was refused. */
  rejected: ConcurrencyRejectedEvent;
};
