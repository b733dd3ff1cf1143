/**
 * The error a {@link RateLimiter} refuses calls with.
 * @module
 */
import { ErrorCode, RejectedError } from '../core/errors';

/** Why a rate limiter refused a request: one of its windows had no room left (`limitReached`). */
export type RateLimitRejectionReason = 'limitReached';

/** A rate limiter refused the call: its window (or one of its windows) has no room left. */
export class RateLimitError extends RejectedError {
  declare readonly reason: RateLimitRejectionReason;
  /** The limit of the window that refused the call. */
  readonly limit: number;
  /** What is left in that window: always 0. */
  readonly remaining: 0;

  /**
   * @param policyName - name of the rate limiter
   * @param limit - the limit of the window that refused
   * @param retryAfterMs - ms until the call would be admitted
   */
  constructor(policyName: string, limit: number, retryAfterMs: number) {
    super(
      ErrorCode.RateLimited,
      `Rate limiter "${policyName}" allows ${limit} per window: the call was not made`,
      policyName,
      'limitReached',
      retryAfterMs,
    );
    this.limit = limit;
    this.remaining = 0;
  }

  override get name(): string {
    return 'RateLimitError';
  }
}
