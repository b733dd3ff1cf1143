/**
 * `bulwark/redis`: Redis, guarded, and what bulwark keeps in it: `guardRedis` (every command of
 * an ioredis client behind a policy), the RateLimiter's store, a Lock with fencing tokens and a
 * cache-aside Cache.
 * Importing `bulwark` alone never loads ioredis; this entry needs it (an optional peer
 * dependency, ioredis ≥ 5).
 *
 * Guides: [guard-redis.md](../../docs/guard-redis.md), [redis-store.md](../../docs/redis-store.md),
 * [lock.md](../../docs/lock.md), [cache.md](../../docs/cache.md).
 * @module bulwark/redis
 */
export { RedisStore } from './redis-store';
export { RedisStoreError } from './errors';
export { REDIS_STORE_DEFAULTS, type RedisStoreOptions, type RedisTimeSource } from './options';
export { MAX_USER_KEY_BYTES } from './keys';
export type { ReadyOutcome } from './readiness';
export {
  Lease,
  Lock,
  LOCK_DEFAULTS,
  LockLostError,
  LockTimeoutError,
  LockUnavailableError,
  type AcquireOptions,
  type LockAcquiredEvent,
  type LockContendedEvent,
  type LockContext,
  type LockEvents,
  type LockKey,
  type LockKeys,
  type LockLostEvent,
  type LockLostReason,
  type LockOptions,
  type LockRejectedEvent,
  type LockRejectionReason,
  type LockReleasedEvent,
  type LockStats,
  type WithLockOptions,
} from './lock/index';
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
  type NotReadyReason,
  type GuardOwnedOption,
  type RedisGuardStats,
  type GuardRedisOptions,
  type GuardTimeoutOptions,
} from './guard/index';
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
export {
  collectFromRedis,
  GAUGE_MODES,
  METRICS_SINK_DEFAULTS,
  MetricsSink,
  REDIS_METRICS_PREFIX,
  RedisMetricsSink,
  Series,
  type CollectFromRedisOptions,
  type GaugeMode,
  type Labels,
  type MetricSpec,
  type MetricsSinkOptions,
  type MetricsSinkStats,
  type MetricType,
  type PromRegistryLike,
  type RedisMetricsSinkOptions,
  type TrackOptions,
} from './metrics/index';
