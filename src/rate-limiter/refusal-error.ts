/**
 * A RateLimiter's error for a refused decision, for a caller that decides through `consume` and
 * refuses the request itself (the HTTP guard): the same error, with the refusing rule's own limit
 * and rate, that `execute` would have rejected with.
 * @module
 * @internal
 */
import type { RateLimitError } from './rate-limit-error';
import type { RateLimitResult } from './store';

/** Key of a RateLimiter's {@link RefusalErrors.[refusalError]}. @internal */
export const refusalError: unique symbol = Symbol('bulwark.rateLimiter.refusalError');

/** What a caller that refuses requests itself asks a RateLimiter. @internal */
export interface RefusalErrors {
  /** The error of `result`, a refusal that the limiter decided in this synchronous run or whose promise just settled. */
  [refusalError](result: RateLimitResult): RateLimitError;
}
