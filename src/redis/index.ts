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
  Cache,
  CACHE_DEFAULTS,
  jsonSerializer,
  type BatchLoader,
  type CacheDegradedEvent,
  type CacheEvents,
  type CacheHitEvent,
  type CacheLoadErrorEvent,
  type CacheLoadEvent,
  type CacheLoader,
  type CacheMissEvent,
  type CacheOptions,
  type CacheRedisErrorMode,
  type CacheSerializer,
  type CacheSetOptions,
  type CacheStaleEvent,
  type CacheStaleReason,
  type CacheStats,
  type GetManyOrLoadOptions,
  type GetOrLoadOptions,
} from './cache/index';
