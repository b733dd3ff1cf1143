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
  RedisQueue,
  QueueWorker,
  REDIS_QUEUE_DEFAULTS,
  UnrecoverableError,
  UnknownJobTypeError,
  JobPayloadError,
  JobAbortedError,
  QueueConnectionError,
  QueueErrorCode,
  type RedisQueueStats,
  type RedisQueueLocalStats,
  type CleanOptions,
  type JobHandler,
  type JobHandlers,
  type CloseOptions,
  type Job,
  type JobError,
  type JobState,
  type AddOptions,
  type BulkJob,
  type RedisQueueOptions,
  type WorkerOptions,
  type JobBackoff,
  type QueueTimeSource,
  type QueueKeys,
  type RedisQueueEvents,
  type JobAddedEvent,
  type JobActiveEvent,
  type JobCompletedEvent,
  type JobFailedEvent,
  type JobRetryingEvent,
  type JobDeadEvent,
  type JobStalledEvent,
  type WorkerPauseEvent,
  type WorkerResumeEvent,
  type JobEventFields,
} from './queue/index';
