/**
 * The error a {@link RateLimiter} refuses calls with.
 * @module
 */
import { ErrorCode, RejectedError } from '../core/errors';
import type { TokenRate } from './options';

/** Why a rate limiter refused a request: one of its windows had no room left (`limitReached`). */
export type RateLimitRejectionReason = 'limitReached';

/** A rate limiter refused the call: its window (or one of its windows) has no room left. */
export class RateLimitError extends RejectedError {
  declare readonly reason: RateLimitRejectionReason;
  /** The limit of the window that refused the call; for a token bucket, its size (the burst). */
  readonly limit: number;
  /** What is left in that window: always 0. */
  readonly remaining: 0;

  /**
   * @param policyName - name of the rate limiter
   * @param limit - the limit of the window that refused (for a token bucket, its size: the burst)
   * @param retryAfterMs - ms until the call would be admitted
   * @param rate - the refill rate, when the rule that refused is a token bucket
   */
  constructor(policyName: string, limit: number, retryAfterMs: number, rate?: TokenRate) {
    const allows =
      rate === undefined ? `${limit} per window` : `bursts of up to ${limit}, refilled at ${rate.tokens} per ${rate.perMs} ms`;
    super(
      ErrorCode.RateLimited,
      `Rate limiter "${policyName}" allows ${allows}: the call was not made`,
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
