/**
 * RateLimiter: limits calls per key over one or several windows, with the in-memory
 * {@link MemoryStore}; the Redis store is in `bulwark/redis`.
 *
 * Guide: [rate-limiter.md](../../docs/rate-limiter.md).
 * @module rate-limiter
 */
export { RateLimiter } from './rate-limiter';
export { RateLimitError, type RateLimitRejectionReason } from './rate-limit-error';
export { MemoryStore, MEMORY_STORE_DEFAULTS, type MemoryStoreOptions } from './memory-store';
export {
  RATE_LIMITER_DEFAULTS,
  type RateLimiterOptions,
  type RateLimitMode,
  type StoreErrorPolicy,
  type TokenBucketLimit,
  type TokenRate,
} from './options';
export type { RateLimitAlgorithm, RateLimitResult, RateLimitRule, RateLimitStore, RateWindow, RuleWindow } from './store';
export type { RateLimiterStats } from './stats';
export type { RateLimiterEvents, RateLimitRejectedEvent, RateLimitStoreErrorEvent } from './events';
