/**
 * The one shape of the results that MemoryStore and its counters build.
 * @module
 * @internal
 */
import type { RateLimitResult } from './store';

/**
 * A {@link RateLimitResult} of these numbers. Every result of a MemoryStore is built here, so that
 * results of every algorithm share one hidden class (one V8 map) whose number fields hold any
 * number from the start (see {@link widestResult}).
 */
export function rateLimitResult(
  allowed: boolean,
  limit: number,
  windowIndex: number,
  remaining: number,
  resetMs: number,
  retryAfterMs: number,
): RateLimitResult {
  return { allowed, limit, windowIndex, remaining, resetMs, retryAfterMs };
}

/**
 * Builds, once, a result whose number fields are not small integers, before any store's result:
 * V8 then gives the fields of the results' shared map a representation that holds every number.
 * Without it they start as small integers, and the first value that is not one (a token
 * bucket's `resetMs` beyond 2^30 ms, an `Infinity`) changes the map of every later result; a
 * process whose limiters crossed that change (say, a sliding window and a token bucket) decided
 * about 3× slower on the sliding window's path ever after. MemoryStore calls it in a static block,
 * when its class is defined (a call that bundlers keep, unlike an unused constant).
 * @returns that result
 */
export function widestResult(): RateLimitResult {
  return rateLimitResult(false, 0.5, 0.5, 0.5, 0.5, 0.5);
}
