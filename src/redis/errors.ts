/**
 * The error a RedisStore throws when it cannot decide.
 * @module
 */
import { BulwarkError, ErrorCode } from '../core/errors';

/**
 * Thrown (as a rejection) by {@link RedisStore.consume} when Redis is not ready in time, does not
 * answer within `timeoutMs`, has `maxPending` decisions outstanding already, or answers something
 * that is not a decision. A RateLimiter handles it with its `onStoreError` policy; `cause` holds
 * the underlying error, if any. Its code is `REDIS_STORE_FAILED`.
 */
export class RedisStoreError extends BulwarkError {
  /**
   * @param message - what went wrong
   * @param cause - the underlying error, if any
   */
  constructor(message: string, cause?: unknown) {
    super(ErrorCode.RedisStoreFailed, message, cause === undefined ? undefined : { cause });
  }

  override get name(): string {
    return 'RedisStoreError';
  }
}
