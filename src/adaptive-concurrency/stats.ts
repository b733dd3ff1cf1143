/**
 * What {@link AdaptiveConcurrencyLimiter.stats} returns.
 * @module
 */
import type { ConcurrencyRejectionReason } from './concurrency-limit-error';
import type { LimitAlgorithmName } from './options';

/** State and counters of an {@link AdaptiveConcurrencyLimiter}; plain data, safe to serialise. */
export interface AdaptiveConcurrencyLimiterStats {
  /** The algorithm that sets the limit. */
  readonly algorithm: LimitAlgorithmName;
  /** The current limit. */
  readonly limit: number;
  /** Calls holding a permit now. */
  readonly inFlight: number;
  /** Calls waiting for a permit now. */
  readonly queued: number;
  /** Permits granted since creation (by `execute` and by `acquire`). */
  readonly admitted: number;
  /** Calls refused since creation (by `execute` and by `acquire`). */
  readonly rejected: number;
  /**
   * `rejected` by reason: `atLimit` (could not wait) and `queueTimeout` (waited `maxWaitMs` or
   * until its deadline).
   */
  readonly rejectedByReason: Readonly<Record<ConcurrencyRejectionReason, number>>;
  /** Permits released as successes. */
  readonly successes: number;
  /** Permits released as drops (failures and timeouts). */
  readonly drops: number;
  /** Permits released as ignored (caller aborts, ignored errors, disposed without a release). */
  readonly ignored: number;
}
