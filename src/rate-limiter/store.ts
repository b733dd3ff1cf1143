/**
 * The storage seam of a {@link RateLimiter}: where admissions are counted. {@link MemoryStore}
 * counts in this process; a shared store (RedisStore, planned in `bulwark/redis`) counts across
 * processes.
 * @module
 */

/** How a store counts admissions: see docs/rate-limiter.md for exactness and memory. */
export type RateLimitAlgorithm = 'sliding-log' | 'sliding-window' | 'token-bucket';

/**
 * One window of a rule: at most `limit` units admitted per `windowMs`. With `'token-bucket'` a
 * window is a bucket: `limit` is its size (the burst) and `windowMs` the time it takes to refill
 * from empty (`burst × perMs / tokens`), so that it refills `limit` tokens per `windowMs`.
 */
export interface RateWindow {
  /** Units admitted per window (an integer ≥ 1); with `'token-bucket'`, the bucket size. */
  readonly limit: number;
  /** Length of the window, in ms; with `'token-bucket'`, the time to refill an empty bucket. */
  readonly windowMs: number;
}

/**
 * One window of a {@link RateLimitRule}: a {@link RateWindow}, marked as a token bucket when it is
 * one among windows of another algorithm (a `limits` that mixes buckets with sliding windows).
 */
export interface RuleWindow extends RateWindow {
  /**
   * `'token-bucket'` for a bucket in a rule whose `algorithm` is a window algorithm; absent when
   * the window counts as the rule's `algorithm` says. Only a bucket ever differs from its rule.
   */
  readonly algorithm?: 'token-bucket';
}

/**
 * What a store enforces for a key: every window must admit a request, or it is refused and
 * consumes from none. A limiter builds its rule once and passes the same frozen object on every
 * call, so a store may cache anything it derives from it (a prepared script, sorted windows).
 */
export interface RateLimitRule {
  /**
   * The limiter's name. A store shared between processes puts it in its keys, so that two
   * limiters count the same user key apart (RedisStore does, unless its `namespace` is set).
   */
  readonly name?: string;
  /**
   * How to count every window that names no algorithm of its own. A limiter whose `limits` mix
   * token buckets with windows sets the windows' algorithm here and `'token-bucket'` on each
   * bucket.
   */
  readonly algorithm: RateLimitAlgorithm;
  /** The windows, at least one; all must admit. */
  readonly windows: readonly RuleWindow[];
}

/** The outcome of one decision, as {@link RateLimiter.consume} returns it. */
export interface RateLimitResult {
  /** Whether the request was admitted (and its cost consumed from every window). */
  readonly allowed: boolean;
  /**
   * The limit of the window the result describes: when admitted, the window with the fewest
   * units left; when refused, the refusing window that frees up last.
   */
  readonly limit: number;
  /**
   * The index of that window in the rule's `windows` (the order of the limiter's `limits`; 0 for
   * a single window), so that two windows or buckets of one limit are told apart. MemoryStore and
   * RedisStore always report it; a store that does not leaves the limiter to find the window by
   * its `limit` (the first window of that limit).
   */
  readonly windowIndex?: number;
  /** Units left in that window after this decision (a refused request consumed nothing). */
  readonly remaining: number;
  /** Ms until that window is back to its full limit; 0 when it is already. */
  readonly resetMs: number;
  /**
   * Ms until a request of the same cost would be admitted; 0 when admitted; `Infinity` when its
   * cost exceeds a window's limit, so it never will be.
   */
  readonly retryAfterMs: number;
}

/**
 * Counts admissions for a {@link RateLimiter}. One call decides one request atomically: it checks
 * every window of `rule` for `cost` units and consumes from all of them or from none.
 *
 * The store owns time (MemoryStore reads its clock; a Redis store reads the server's time inside
 * its script, so that processes with skewed clocks agree), so that one call is one round trip.
 * It may answer synchronously (MemoryStore: no promise per decision) or with a promise. A store
 * that throws or rejects is failing: the limiter applies its `onStoreError` policy; stores
 * should not swallow their own errors.
 *
 * One store may serve several limiters when their keys differ; a key's state belongs to the rule
 * it was last used with.
 */
export interface RateLimitStore {
  /**
   * Decides one request.
   * @param key - the partition key, e.g. a user id
   * @param cost - units to consume, an integer ≥ 1
   * @param rule - the windows and algorithm, the same object on every call of one limiter
   */
  consume(key: string, cost: number, rule: RateLimitRule): RateLimitResult | PromiseLike<RateLimitResult>;
}
