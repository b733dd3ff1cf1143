/**
 * A bulwark {@link RateLimiter} as an express-rate-limit `Store`, so that a service already on
 * express-rate-limit can count in bulwark's stores (memory or Redis) without rewriting its
 * middleware. The type is written out here (structurally the same as express-rate-limit 7 and 8's
 * `Store`), so that nothing of this entry names express-rate-limit.
 * @module
 */
import { getLogger } from '../core/logger';
import type { RateLimiter } from '../rate-limiter/rate-limiter';

/** What the store answers express-rate-limit for one request. */
export interface ExpressRateLimitHits {
  /** Requests counted in the window, this one included; above the limit when it was refused. */
  totalHits: number;
  /** When the window frees up again. */
  resetTime: Date | undefined;
}

/** The part of express-rate-limit's `Store` contract this adapter fills. */
export interface ExpressRateLimitStore {
  /** Checks, once, that express-rate-limit's `limit` is the limiter's. */
  init(options: { limit?: unknown }): void;
  /** Decides one request: `totalHits` above the limit means refused. */
  increment(key: string): Promise<ExpressRateLimitHits>;
  /** A no-op: a bulwark limiter never takes back an admission (so `skipSuccessfulRequests` and `skipFailedRequests` do nothing). */
  decrement(key: string): void;
  /** A no-op: a bulwark limiter's windows empty by themselves. */
  resetKey(key: string): void;
  /** Keys of this store are shared with other instances only when the limiter's store is. */
  readonly localKeys: boolean;
}

/**
 * Wraps `limiter` as an express-rate-limit store. The limiter decides (its windows, its algorithm,
 * its store and `onStoreError`); express-rate-limit sends the response. Give express-rate-limit the
 * limiter's limit as its `limit`: a request the limiter refuses is reported as `limit + 1` hits.
 *
 * Differences from express-rate-limit's own stores: a refused request consumes nothing (the
 * sliding log does not count refusals), and `decrement`/`resetKey` are no-ops.
 * @param limiter - a RateLimiter with a single window, or several (the binding one is reported)
 * @example
 * ```ts
 * import { rateLimit } from 'express-rate-limit';
 * const limiter = new RateLimiter({ limit: 100, windowMs: 60_000, store: new RedisStore({ redis }) });
 * app.use(rateLimit({ limit: 100, windowMs: 60_000, store: toExpressRateLimitStore(limiter) }));
 * ```
 */
export function toExpressRateLimitStore(limiter: RateLimiter): ExpressRateLimitStore {
  return {
    init(options) {
      const limits = limiter.rule.windows.map((window) => window.limit);
      if (typeof options.limit === 'number' && !limits.includes(options.limit)) {
        getLogger().warn(
          { limit: options.limit, limiterLimits: limits },
          `bulwark: express-rate-limit's limit (${options.limit}) is not the limit of rate limiter "${limiter.name}" (${limits.join(', ')}): it decides with its own`,
        );
      }
    },
    async increment(key) {
      const result = await limiter.consume(key);
      const totalHits = result.allowed ? result.limit - result.remaining : result.limit + 1;
      return { totalHits, resetTime: new Date(Date.now() + result.resetMs) };
    },
    decrement() {},
    resetKey() {},
    localKeys: false,
  };
}
