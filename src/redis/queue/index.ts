/**
 * RedisQueue: the queue part of `bulwark/redis`.
 * @module
 */
export { RedisQueue, type RedisQueueStats, type CleanOptions, type RedisQueueLocalStats } from './redis-queue';
export { QueueWorker, type CloseOptions } from './worker';
export type { JobHandler, JobHandlers } from './running';
export type { Job, JobError, JobState, AddOptions, BulkJob } from './job';
export { REDIS_QUEUE_DEFAULTS, type RedisQueueOptions, type WorkerOptions, type JobBackoff, type QueueTimeSource } from './options';
export { UnrecoverableError, UnknownJobTypeError, JobPayloadError, JobAbortedError, QueueConnectionError } from './errors';
export type * from './events';
export type { QueueKeys } from './keys';
