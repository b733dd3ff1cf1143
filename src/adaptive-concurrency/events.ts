/**
 * Events of an {@link AdaptiveConcurrencyLimiter}.
 * @module
 */
import type { BulwarkEvent } from '../core/events';

/**
 * Why the limit changed, as reported by the `limitChange` event:
 * - `success`: `'aimd'` saw `successThreshold` successes in a row near the limit (an increase);
 * - `drop`: calls were dropped (they failed or timed out; a decrease);
 * - `latency`: `'gradient2'` or `'vegas'` read the round-trip times (either way).
 */
export type LimitChangeReason = 'success' | 'drop' | 'latency';

/**
 * Why a call was refused: `atLimit` when it could not wait (no `maxWaitMs`, or no time left
 * before its deadline), `waitTimeout` when it waited `maxWaitMs` or until its deadline.
 */
export type ConcurrencyRejectionReason = 'atLimit' | 'waitTimeout';

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
  /** Whether it could not wait or waited too long. */
  readonly reason: ConcurrencyRejectionReason;
}

/** Event map of {@link AdaptiveConcurrencyLimiter.events}. */
export type AdaptiveConcurrencyLimiterEvents = {
  /** The limit changed. */
  limitChange: LimitChangeEvent;
  /** A call was refused. */
  rejected: ConcurrencyRejectedEvent;
};
