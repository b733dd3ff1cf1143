/**
 * What {@link Retry.stats} returns.
 * @module
 */

/** Counters of a {@link Retry} since it was created. */
export interface RetryStats {
  /** Calls that succeeded at the first try. */
  readonly succeededWithoutRetry: number;
  /** Calls that succeeded after one or more retries. */
  readonly succeededAfterRetry: number;
  /**
   * Calls that failed at the first try without being retried: the error was not handled or was
   * an inner policy's refusal, the caller aborted, or no retry was allowed. Failed calls include those whose last result
   * `retryOnResult` still rejected.
   */
  readonly failedWithoutRetry: number;
  /** Calls that failed after one or more retries (including a last result `retryOnResult` rejected). */
  readonly failedAfterRetry: number;
  /** Retries made, over all calls. */
  readonly retries: number;
  /** Retries refused because the budget had no token left. */
  readonly retriesDeniedByBudget: number;
}
