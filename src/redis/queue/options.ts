/**
 * Options of a RedisQueue and of its workers: schemas and defaults.
 * @module
 */
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import type { AdaptiveConcurrencyLimiter } from '../../adaptive-concurrency/index';
import { CircuitBreaker } from '../../circuit-breaker/index';
import { commonOptionsShape, durationMs, objectWithMethods, positiveInt, timerDelayMs } from '../../core/config';
import type { Policy } from '../../core/policy';
import type { Registry } from '../../core/registry';
import type { BackoffKind, Jitter } from '../../retry/backoff';
import { RETRY_DEFAULTS } from '../../retry/index';
import { redisStoreOptionsSchema } from '../options';

/** The backoff of a job's retries: JSON-serialisable, because it is stored with the job. */
export interface JobBackoff {
  /** How the delay grows. @defaultValue `'exponential'` */
  type?: BackoffKind;
  /** Delay before the first retry, in ms. @defaultValue 100 */
  initialDelayMs?: number;
  /** Growth factor of `exponential`. @defaultValue 2 */
  multiplier?: number;
  /** Cap on any delay, in ms. @defaultValue 30000 */
  maxDelayMs?: number;
  /** Randomisation, as the Retry pattern's. @defaultValue `'full'` */
  jitter?: Jitter;
}

/** Where the queue's scripts read the time: see {@link RedisQueueOptions.timeSource}. */
export type QueueTimeSource = 'server' | 'client';

/** Options of a {@link RedisQueue}. */
export interface RedisQueueOptions {
  /**
   * The connection: an ioredis `Redis` or `Cluster` (ioredis 5 or 6). Workers open one more
   * connection each with `duplicate()` for their blocking waits.
   */
  redis: Redis | Cluster;
  /**
   * The queue's name: the hash tag of every key (`prefix:{name}:…`), so that a queue lives in one
   * Cluster slot; also the instance's name in events and the registry. Must not be empty or
   * contain `{` or `}`.
   */
  name: string;
  /** First part of every key. Must not contain `{` or `}`. @defaultValue `'bulwark:q'` */
  prefix?: string;
  /** Largest encoded (JSON, UTF-8) payload, in bytes. @defaultValue 524288 (512 kB) */
  maxPayloadBytes?: number;
  /** Tries per job (the first included) unless a job says otherwise. @defaultValue 3 */
  maxAttempts?: number;
  /** Backoff of retries unless a job says otherwise. @defaultValue exponential, 100 ms, ×2, ≤ 30 s, full jitter */
  backoff?: JobBackoff;
  /**
   * Producer backpressure: while the ready depth is at or above this, `add`, `addBulk` and
   * `ready()` wait (through a Backpressure) until it has fallen to `lowWaterMark`. Unset: never wait.
   */
  highWaterMark?: number;
  /** Ready depth at or below which waiting producers go on. @defaultValue `Math.floor(highWaterMark / 2)` */
  lowWaterMark?: number;
  /** Longest wait of a producer while the queue is above its high mark, in ms. @defaultValue no limit */
  maxWaitMs?: number;
  /** How often a paused producer reads the ready depth, in ms. @defaultValue 100 */
  depthPollMs?: number;
  /** Longest time of one Redis call (waiting for the connection included), in ms. @defaultValue 2000 */
  redisTimeoutMs?: number;
  /**
   * The breaker around the queue's Redis calls (producer and workers). @defaultValue a
   * CircuitBreaker opening after 3 consecutive failures, probing again after 1 s
   */
  circuitBreaker?: CircuitBreaker;
  /** Delete a job as it completes, instead of keeping it in the completed set. @defaultValue false */
  removeOnComplete?: boolean;
  /**
   * `'server'`: scripts read Redis's `TIME` (one clock for every process). `'client'`: this
   * process sends `Date.now()`, for managed Redis flavours that refuse `TIME` in scripts; delays
   * and leases then depend on the clocks of the processes agreeing. @defaultValue `'server'`
   */
  timeSource?: QueueTimeSource;
  /** Where the queue is registered for health checks, or `false`. @defaultValue the default registry */
  registry?: Registry | false;
}

/** Defaults of {@link RedisQueueOptions} and of a worker's options. */
export const REDIS_QUEUE_DEFAULTS = {
  /** First part of every key. */
  prefix: 'bulwark:q',
  /** Largest encoded payload, in bytes. */
  maxPayloadBytes: 512 * 1024,
  /** Tries per job. */
  maxAttempts: RETRY_DEFAULTS.maxAttempts,
  /** How often a paused producer reads the ready depth, in ms. */
  depthPollMs: 100,
  /** Longest time of one Redis call, in ms. */
  redisTimeoutMs: 2_000,
  /** Jobs a worker runs at once. */
  concurrency: 10,
  /** A job's time limit when neither it nor the worker gives one, in ms. */
  timeoutMs: 60_000,
  /** How long a worker holds a job without extending its lease, in ms. */
  leaseMs: 30_000,
  /** Longest blocking wait of an idle worker, in ms. */
  blockMs: 1_000,
  /** How long `close()` waits for running jobs, in ms. */
  drainMs: 5_000,
} as const;

/** The RedisStore's rules for a connection and for a key part (non-empty, no braces), shared. */
const storeShape = redisStoreOptionsSchema.shape;
const keyPart = storeShape.prefix.unwrap();

/** Schema of {@link JobBackoff}. @internal */
export const jobBackoffSchema = z.strictObject({
  type: z.enum(['constant', 'linear', 'exponential']).optional(),
  initialDelayMs: durationMs.optional(),
  multiplier: z.number().finite().min(1, { message: 'must be ≥ 1' }).optional(),
  maxDelayMs: durationMs.optional(),
  jitter: z.enum(['full', 'equal', 'decorrelated', 'none']).optional(),
});

/** Schema of {@link RedisQueueOptions}. @internal */
export const redisQueueOptionsSchema = z.strictObject({
  // A worker's blocking connection is made with duplicate().
  redis: storeShape.redis.refine((value) => typeof (value as Redis).duplicate === 'function', { message: 'expected an ioredis Redis or Cluster' }),
  name: keyPart,
  prefix: keyPart.optional(),
  maxPayloadBytes: positiveInt.optional(),
  maxAttempts: positiveInt.optional(),
  backoff: jobBackoffSchema.optional(),
  highWaterMark: positiveInt.optional(),
  lowWaterMark: z.number().int({ message: 'must be an integer ≥ 0' }).min(0, { message: 'must be an integer ≥ 0' }).optional(),
  maxWaitMs: durationMs.optional(),
  depthPollMs: timerDelayMs.optional(),
  redisTimeoutMs: timerDelayMs.optional(),
  circuitBreaker: z.instanceof(CircuitBreaker, { message: 'expected a CircuitBreaker' }).optional(),
  removeOnComplete: z.boolean().optional(),
  timeSource: z.enum(['server', 'client']).optional(),
  registry: commonOptionsShape.registry,
});

/** Options of {@link RedisQueue.process}. */
export interface WorkerOptions {
  /** Jobs run at once, through a Bulkhead of this size. @defaultValue 10 */
  concurrency?: number;
  /** Run jobs under this adaptive limit instead of a fixed `concurrency` (not both). */
  limiter?: AdaptiveConcurrencyLimiter;
  /** A job's time limit when the job gives none, in ms; `ctx.signal` aborts at it. @defaultValue 60000 */
  timeoutMs?: number;
  /** How long a job's lease lasts without renewal, in ms; renewed every `leaseMs / 3` while it runs. @defaultValue 30000 */
  leaseMs?: number;
  /** An extra policy every job runs through, inside the concurrency limit and outside its Timeout. */
  policy?: Policy;
  /** Longest blocking wait of an idle worker, in ms: also how often an idle worker sweeps stalled jobs. @defaultValue 1000 */
  blockMs?: number;
}

/** Schema of {@link WorkerOptions}. @internal */
export const workerOptionsSchema = z.strictObject({
  concurrency: positiveInt.optional(),
  limiter: z
    .custom<AdaptiveConcurrencyLimiter>(
      (value) =>
        typeof value === 'object' && value !== null && typeof (value as AdaptiveConcurrencyLimiter).execute === 'function' && 'limit' in value,
      { message: 'expected an AdaptiveConcurrencyLimiter' },
    )
    .optional(),
  timeoutMs: timerDelayMs.optional(),
  leaseMs: timerDelayMs.min(30, { message: 'must be ≥ 30' }).optional(),
  policy: objectWithMethods<Policy>(['execute'], 'expected a Policy').optional(),
  blockMs: timerDelayMs.min(10, { message: 'must be ≥ 10' }).optional(),
});

/** `concurrency` and `limiter` exclude each other. @internal */
export function workerCrossCheck(options: Readonly<Record<string, unknown>>): { path: string; message: string }[] {
  if (options['concurrency'] === undefined || options['limiter'] === undefined) return [];
  return [{ path: 'limiter', message: 'set either concurrency or limiter, not both' }];
}
