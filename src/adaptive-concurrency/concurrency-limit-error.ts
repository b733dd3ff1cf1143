/**
 * The error an {@link AdaptiveConcurrencyLimiter} refuses calls with.
 * @module
 */
import { ErrorCode, RejectedError } from '../core/errors';

/**
 * Why a call was refused: `atLimit` when it could not wait (no `maxWaitMs`, or no time left
 * before its deadline), `queueTimeout` when it waited `maxWaitMs` or until its deadline.
 */
export type ConcurrencyRejectionReason = 'atLimit' | 'queueTimeout';

/** An adaptive concurrency limiter was at its limit (and the call could not wait, or waited too long). */
export class ConcurrencyLimitError extends RejectedError {
  declare readonly reason: ConcurrencyRejectionReason;
  /** The limit when the call was refused. */
  readonly limit: number;

  /**
   * @param policyName - name of the limiter
   * @param reason - whether it could not wait or waited too long
   * @param limit - its current limit
   * @param retryAfterMs - hint for when to try again, in ms
   */
  constructor(policyName: string, reason: ConcurrencyRejectionReason, limit: number, retryAfterMs = 0) {
    super(ErrorCode.ConcurrencyLimit, `Concurrency limiter "${policyName}" is at its limit`, policyName, reason, retryAfterMs);
    this.limit = limit;
  }

  override get name(): string {
    return 'ConcurrencyLimitError';
  }
}
