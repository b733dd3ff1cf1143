/**
 * The one shape of the results that MemoryStore and its counters build.
 * @module
 * @internal
 */
import type { RateLimitResult } from './store';

/**
 * A {@link RateLimitResult} of these numbers. Every result of a MemoryStore is built here, so that
 * results of every algorithm share one hidden class (one V8 map) whose number fields hold any
 * number from the start, without a number box per field (see {@link widestResult}).
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
 * Builds, once, a result whose number fields hold a value that is not a number, before any
 * store's result: V8 then gives the fields of the results' shared map the representation that
 * holds anything (a small integer in the field itself, any other number as a heap number).
 * Without it they start as small integers, and the first value that is not one (a token bucket's
 * `resetMs` beyond 2^30 ms, an `Infinity`) changes the map of every later result; a process whose
 * limiters crossed that change (say, a sliding window and a token bucket) decided about 3× slower
 * on the sliding window's path ever after. Not the double representation either: a double field
 * is a number box of its own, five more allocations per result. MemoryStore calls it in a static
 * block, when its class is defined (a call that bundlers keep, unlike an unused constant).
 * @returns that result, never handed to anyone
 */
export function widestResult(): RateLimitResult {
  const notANumber = null as unknown as number;
  return rateLimitResult(false, notANumber, notANumber, notANumber, notANumber, notANumber);
}
