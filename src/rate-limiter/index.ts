export { RateLimiter } from './rate-limiter';
export { RateLimitError, type RateLimitRejectionReason } from './rate-limit-error';
export { MemoryStore, MEMORY_STORE_DEFAULTS, type MemoryStoreOptions } from './memory-store';
export {
  RATE_LIMITER_DEFAULTS,
  type RateLimiterOptions,
  type RateLimitMode,
  type StoreErrorPolicy,
} from './options';
export type { RateLimitAlgorithm, RateLimitResult, RateLimitRule, RateLimitStore, RateWindow } from './store';
export type { RateLimiterStats } from './stats';
export type { RateLimiterEvents, RateLimitRejectedEvent, RateLimitStoreErrorEvent } from './events';
