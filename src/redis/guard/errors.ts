/**
 * The error a guarded client raises when its connection is not ready.
 * @module
 */
import { BulwarkError, ErrorCode } from '../../core/errors';
import { notReadyText, type ReadyOutcome } from '../readiness';

/**
 * Why a connection was not ready: a {@link ReadyOutcome} other than `'ready'`, or `'closing'` (its
 * status still said ready, but its socket was no longer writable: the server went away and
 * ioredis has not yet seen the socket close).
 */
export type NotReadyReason = Exclude<ReadyOutcome, 'ready'> | 'closing';

/**
 * Thrown (as a rejection) by a command of a guarded client (see `guardRedis`) that waited for the
 * connection to become ready and it did not: not within the call's time, or the connection was
 * closed for good. The command was never sent. It counts as a failure for the guard's
 * CircuitBreaker. Its code is `REDIS_UNAVAILABLE`.
 */
export class RedisUnavailableError extends BulwarkError {
  /** Why the connection was not ready. */
  readonly outcome: NotReadyReason;

  /**
   * @param outcome - how the wait for readiness ended
   * @param status - the connection's `status` then
   * @param waitedMs - how long the call waited, in ms
   */
  constructor(outcome: NotReadyReason, status: string, waitedMs: number) {
    const why = notReadyText(outcome, waitedMs);
    super(ErrorCode.RedisUnavailable, `Redis connection ${why} (status: ${status}); the command was not sent`);
    this.outcome = outcome;
  }

  override get name(): string {
    return 'RedisUnavailableError';
  }
}
