/**
 * The token bucket as GCRA (the generic cell rate algorithm): one number per key and bucket.
 * @module
 * @internal
 */
import { rateLimitResult } from './result';
import type { RateLimitResult, RateWindow } from './store';
import type { WindowCounter } from './window-counter';

/**
 * A bucket of `limit` tokens (the burst) that refills one token per emission interval, kept as
 * one number: its theoretical arrival time (TAT), the time at which the bucket is full again. A
 * request of `cost` at `now` moves the TAT to `max(TAT, now) + cost × interval` and is admitted
 * when that is at most `now + limit × interval` (the bucket holds `cost` tokens).
 *
 * Times are whole µs and the interval is rounded up to a whole µs (see
 * {@link emissionIntervalUs}), so that every number is an integer that a double holds exactly
 * (a TAT near 2^51 µs has no room for a fraction): the bucket is exact, at a rate at most a µs
 * per token slower than asked. Over any span of `T` ms it admits at most `limit + T / interval`
 * units, and a request refused at `now` is admitted at `now + retryAfterMs`. O(1) time and memory.
 * The Redis script does the same arithmetic.
 * @see https://brandur.org/rate-limiting (GCRA, as in redis-cell and throttled)
 */
export class TokenBucket implements WindowCounter {
  readonly #limit: number;
  readonly #intervalUs: number;
  /** The theoretical arrival time in µs; `-Infinity` while the bucket has never been used. */
  #tat = -Infinity;

  /**
   * @param limit - the bucket size (burst)
   * @param windowMs - the time to refill an empty bucket, in ms
   */
  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#intervalUs = emissionIntervalUs({ limit, windowMs });
  }

  retryAfterMs(now: number, cost: number): number {
    return waitMs(excessUs(aheadUs(this.#tat, now * 1000), cost, this.#limit, this.#intervalUs), cost, this.#limit);
  }

  add(now: number, cost: number): number {
    const nowUs = now * 1000;
    const usedUs = addedUs(aheadUs(this.#tat, nowUs), cost, this.#intervalUs);
    this.#tat = nowUs + usedUs;
    return tokensLeft(usedUs, this.#limit, this.#intervalUs);
  }

  remaining(now: number): number {
    return tokensLeft(aheadUs(this.#tat, now * 1000), this.#limit, this.#intervalUs);
  }

  resetMs(now: number): number {
    return msOf(aheadUs(this.#tat, now * 1000));
  }

  expiresAt(): number {
    return this.#tat / 1000;
  }
}

/**
 * The emission interval of a bucket (`windowMs / limit`) in whole µs, rounded up (but a quotient
 * a rounding error above a whole µs is that µs), at least 1.
 */
export function emissionIntervalUs(bucket: RateWindow): number {
  const exact = (bucket.windowMs * 1000) / bucket.limit;
  return Math.max(1, Math.ceil(exact * (1 - 1e-12)));
}

/** The state of a bucket kept outside a {@link TokenBucket}: its theoretical arrival time alone. */
export interface BucketState {
  /** The theoretical arrival time in µs; `-Infinity` while the bucket has never been used. */
  tat: number;
}

/**
 * Decides a request of `cost` at `now` (ms) against the bucket of size `limit` and emission
 * interval `intervalUs` (see {@link emissionIntervalUs}) whose TAT `state` holds, and moves the TAT
 * when admitted: a {@link TokenBucket} decision in one step, for a rule of this one bucket (no
 * counter object, one result object, nothing else allocated), on the same arithmetic as
 * {@link TokenBucket.retryAfterMs} and {@link TokenBucket.add}: the functions below.
 *
 * An admission writes those functions' formulas out (`aheadUs`, `addedUs`, `tokensLeft`, `msOf`;
 * `usedUs > limit × interval` is `excessUs > 0` in integers): it is every single-bucket decision's
 * path, and V8 inlines a whole decision into the limiter's caller only while the path's bytecode
 * is small (a call costs more bytecode than the formula it calls). The tests hold both paths to
 * one model.
 */
export function consumeBucket(state: BucketState, now: number, cost: number, limit: number, intervalUs: number): RateLimitResult {
  const nowUs = now * 1000;
  const tat = state.tat;
  const ahead = tat > nowUs ? tat - nowUs : 0;
  const usedUs = ahead + cost * intervalUs;
  if (usedUs > limit * intervalUs) return bucketRefusal(ahead, cost, limit, intervalUs);
  state.tat = nowUs + usedUs;
  const left = limit - Math.ceil(usedUs / intervalUs);
  return rateLimitResult(true, limit, 0, left > 0 ? left : 0, Math.ceil(usedUs / 1000), 0);
}

/**
 * The result of a decision on one bucket made elsewhere (RedisStore's single-bucket script) from
 * the one number it answers, with the arithmetic of {@link consumeBucket}: when admitted, µs until
 * the bucket is full again after the request (> 0); when refused, `-1 - ahead` with `ahead` the µs
 * until it was full before it (< 0). Undefined when `answer` cannot be such a number.
 */
export function bucketResultOf(answer: number, cost: number, limit: number, intervalUs: number): RateLimitResult | undefined {
  if (!Number.isInteger(answer) || answer === 0) return undefined;
  if (answer > 0) return rateLimitResult(true, limit, 0, tokensLeft(answer, limit, intervalUs), msOf(answer), 0);
  const ahead = -1 - answer;
  return excessUs(ahead, cost, limit, intervalUs) > 0 ? bucketRefusal(ahead, cost, limit, intervalUs) : undefined;
}

/**
 * The refusal of a request of `cost` by a bucket full again in `ahead` µs, which does not hold
 * `cost` tokens (kept apart from {@link consumeBucket}, so that an admission's path stays small
 * enough for V8 to inline a whole decision into its caller).
 */
function bucketRefusal(ahead: number, cost: number, limit: number, intervalUs: number): RateLimitResult {
  const excess = excessUs(ahead, cost, limit, intervalUs);
  return rateLimitResult(false, limit, 0, tokensLeft(ahead, limit, intervalUs), msOf(ahead), waitMs(excess, cost, limit));
}

// The GCRA arithmetic of both TokenBucket and consumeBucket, one formula per step (small enough for V8 to inline).

/** µs until a bucket whose TAT is `tatUs` is full at `nowUs`: `TAT - now`, at least 0. */
function aheadUs(tatUs: number, nowUs: number): number {
  const ahead = tatUs - nowUs;
  return ahead > 0 ? ahead : 0;
}

/** µs until a bucket full again in `ahead` µs holds `cost` tokens; ≤ 0 when it does now. */
function excessUs(ahead: number, cost: number, limit: number, intervalUs: number): number {
  return ahead + (cost - limit) * intervalUs;
}

/** The wait of a request whose excess is `excess` µs, in whole ms: 0 when none, `Infinity` when `cost` exceeds the bucket. */
function waitMs(excess: number, cost: number, limit: number): number {
  if (cost > limit) return Infinity;
  return excess > 0 ? Math.ceil(excess / 1000) : 0;
}

/** µs until the bucket is full again once `cost` tokens are taken from it, full again in `ahead` µs before. */
function addedUs(ahead: number, cost: number, intervalUs: number): number {
  return ahead + cost * intervalUs;
}

/** A span in µs as whole ms, rounded up. */
function msOf(us: number): number {
  return Math.ceil(us / 1000);
}

/** Whole tokens in a bucket of `limit` that is full again in `ahead` µs. */
function tokensLeft(ahead: number, limit: number, intervalUs: number): number {
  return Math.max(0, limit - Math.ceil(ahead / intervalUs));
}
