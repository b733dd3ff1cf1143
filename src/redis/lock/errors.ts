/**
 * The errors a {@link Lock} rejects with, and their codes.
 * @module
 */
import { BulwarkError, ErrorCode, RejectedError } from '../../core/errors';

/** Why an `acquire` was refused: the lock stayed held by another holder for the whole wait. */
export type LockRejectionReason = 'lockHeld';

/**
 * `acquire` (or `withLock`) gave up: another holder had the lock on every attempt until `waitMs`
 * ran out (at once when `waitMs` is 0). A refusal, like every {@link RejectedError}: the function
 * of a `withLock` never ran, and it says nothing about the health of Redis.
 */
export class LockTimeoutError extends RejectedError {
  declare readonly reason: LockRejectionReason;
  /** The lock's key, as passed to `acquire`. */
  readonly key: string;
  /** How long the call waited, in ms. */
  readonly waitedMs: number;

  /**
   * @param lockName - name of the Lock instance
   * @param key - the lock's key
   * @param waitedMs - how long the call waited, in ms
   * @param retryAfterMs - the holder's remaining time to live at the last attempt (0 when unknown)
   */
  constructor(lockName: string, key: string, waitedMs: number, retryAfterMs: number) {
    super(
      ErrorCode.LockTimeout,
      `Lock "${lockName}": key "${key}" stayed held by another holder for ${Math.round(waitedMs)} ms`,
      lockName,
      'lockHeld',
      retryAfterMs,
    );
    this.key = key;
    this.waitedMs = waitedMs;
  }

  override get name(): string {
    return 'LockTimeoutError';
  }
}

/**
 * How a lease was lost: `notHeld` when Redis said the key no longer carries its token (it expired
 * or another holder took it), `expired` when its expiry (as this process estimates it) passed
 * without a successful extend, `released` when the Lock was disposed while it was held.
 */
export type LockLostReason = 'notHeld' | 'expired' | 'released';

/**
 * The reason a `withLock` function's `ctx.signal` aborts with when its lease is lost: from then
 * on another holder may have the lock, so the function should stop, and a write it still makes
 * downstream should carry the lease's `fence` so that the downstream can refuse it.
 */
export class LockLostError extends BulwarkError {
  /** The lock's key. */
  readonly key: string;
  /** The fencing token of the lost lease. */
  readonly fence: number;
  /** How it was lost. */
  readonly reason: LockLostReason;

  /**
   * @param key - the lock's key
   * @param fence - the lost lease's fencing token
   * @param reason - how it was lost
   * @param cause - the last Redis error, when extends failed
   */
  constructor(key: string, fence: number, reason: LockLostReason, cause?: unknown) {
    super(ErrorCode.LockLost, `Lock lease on key "${key}" (fence ${fence}) was lost (${reason})`, { cause });
    this.key = key;
    this.fence = fence;
    this.reason = reason;
  }

  override get name(): string {
    return 'LockLostError';
  }
}

/**
 * A Lock could not ask Redis: the connection was not ready, no answer came within `timeoutMs`, or
 * Redis answered with an error (in `cause`); or the Lock was disposed. Not a refusal: whether the
 * lock is free is unknown. An acquire attempt that timed out but succeeded later on the server is
 * released as soon as its reply arrives.
 */
export class LockUnavailableError extends BulwarkError {
  /**
   * @param message - what went wrong
   * @param cause - the underlying error, if any
   */
  constructor(message: string, cause?: unknown) {
    super(ErrorCode.LockUnavailable, message, cause === undefined ? undefined : { cause });
  }

  override get name(): string {
    return 'LockUnavailableError';
  }
}
