/**
 * `bulwark/redis`: the Redis store of the RateLimiter, shared by every process that uses the same
 * Redis. Importing `bulwark` alone never loads ioredis; this entry needs it (an optional peer
 * dependency, ioredis ≥ 5).
 *
 * Guide: [redis-store.md](../../docs/redis-store.md).
 * @module bulwark/redis
 */
export { RedisStore } from './redis-store';
export { RedisStoreError } from './errors';
export { REDIS_STORE_DEFAULTS, type RedisStoreOptions, type RedisTimeSource } from './options';
export { MAX_USER_KEY_BYTES } from './keys';
export {
  guardRedis,
  guardOf,
  RedisGuard,
  GUARD_REDIS_DEFAULTS,
  isRedisUnavailable,
  UNAVAILABLE_REPLY_PREFIXES,
  READ_ONLY_COMMANDS,
  UNGUARDED_COMMANDS,
  RedisUnavailableError,
  REDIS_UNAVAILABLE,
  type RedisGuardStats,
  type GuardRedisOptions,
  type GuardTimeoutOptions,
} from './guard/index';
