/**
 * Events of a {@link Retry}.
 * @module
 */
import type { BulwarkEvent } from '../core/events';

/** Why a Retry stopped retrying a call that still failed. */
export type RetryExhaustedReason = 'maxAttempts' | 'budget' | 'deadline';

/** A try failed and another will follow after `delayMs`. */
export interface RetryEvent extends BulwarkEvent<'retry'> {
  /** The try that failed, 1-based. */
  readonly attempt: number;
  /** How long the Retry waits before the next try, in ms. */
  readonly delayMs: number;
  /** The error of the failed try, or undefined when `retryOnResult` asked for the retry. */
  readonly error: unknown;
}

/** A call succeeded (possibly after retries). */
export interface RetrySuccessEvent extends BulwarkEvent<'success'> {
  /** How many tries it took, 1 when it succeeded at once. */
  readonly attempts: number;
}

/** The Retry gave up; the caller receives the last error (or the last result). */
export interface RetryExhaustedEvent extends BulwarkEvent<'exhausted'> {
  /** How many tries were made. */
  readonly attempts: number;
  /** Why no further try was made. */
  readonly reason: RetryExhaustedReason;
  /** The last try's error, or undefined when it returned a result that `retryOnResult` rejected. */
  readonly error: unknown;
}

/** Event map of {@link Retry.events}. */
export type RetryEvents = {
  /** A try failed and another follows after a delay. */
  retry: RetryEvent;
  /** A call succeeded. */
  success: RetrySuccessEvent;
  /** The Retry gave up on a call. */
  exhausted: RetryExhaustedEvent;
};
