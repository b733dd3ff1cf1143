/**
 * `bulwark/redis`: what bulwark keeps in Redis, shared by every process that uses the same Redis:
 * the RateLimiter's store and a Lock with fencing tokens. Importing `bulwark` alone never loads
 * ioredis; this entry needs it (an optional peer dependency, ioredis ≥ 5).
 *
 * Guides: [redis-store.md](../../docs/redis-store.md), [lock.md](../../docs/lock.md).
 * @module bulwark/redis
 */
export { RedisStore } from './redis-store';
export { RedisStoreError } from './errors';
export { REDIS_STORE_DEFAULTS, type RedisStoreOptions, type RedisTimeSource } from './options';
export { MAX_USER_KEY_BYTES } from './keys';
export {
  Lease,
  Lock,
  LOCK_DEFAULTS,
  LockErrorCode,
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
