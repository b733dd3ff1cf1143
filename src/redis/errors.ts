/**
 * The error a RedisStore throws when it cannot decide.
 * @module
 */

/**
 * Thrown (as a rejection) by {@link RedisStore.consume} when Redis is not ready, does not answer
 * within `timeoutMs`, or answers something that is not a decision. A RateLimiter handles it with
 * its `onStoreError` policy; `cause` holds the underlying error, if any.
 */
export class RedisStoreError extends Error {
  /** Explicit name, as for every bulwark error. */
  override readonly name = 'RedisStoreError';

  /**
   * @param message - what went wrong
   * @param cause - the underlying error, if any
   */
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
