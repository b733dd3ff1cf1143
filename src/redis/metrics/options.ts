/**
 * Options of the metrics sinks and collectors: types, defaults and schemas.
 * @module
 */
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import { redisStoreOptionsSchema } from '../options';
import { timerDelayMs } from '../../core/config';
import { metricsSinkShape, type MetricsSinkOptions } from './sink-options';

/** Options of a {@link RedisMetricsSink}. */
export interface RedisMetricsSinkOptions extends MetricsSinkOptions {
  /**
   * The connection: an ioredis `Redis` or `Cluster` (ioredis 5 or 6). A connection created with
   * `enableOfflineQueue: false` fails a flush at once while Redis is away, instead of queueing it
   * until the flush's timeout.
   */
  redis: Redis | Cluster;
  /**
   * The key namespace, also the Cluster hash tag of every key (`{prefix}:…`). Must not be empty
   * or contain `{` or `}`.
   * @defaultValue `'bulwark:metrics'`
   */
  prefix?: string;
}

/** Options of {@link collectFromRedis}. */
export interface CollectFromRedisOptions {
  /** The connection the sinks write through (or another one to the same server or cluster). */
  redis: Redis | Cluster;
  /** The sinks' `prefix`. @defaultValue `'bulwark:metrics'` */
  prefix?: string;
  /**
   * How recently an instance must have written a gauge series for the `live` and `liveall` modes
   * to count it, in ms (by Redis's clock).
   * @defaultValue 10_000
   */
  livenessMs?: number;
}

/** The Redis sink's default key namespace. */
export const REDIS_METRICS_PREFIX = 'bulwark:metrics';

/** Schema of {@link RedisMetricsSinkOptions}. */
export const redisMetricsSinkOptionsSchema = z.strictObject({
  ...metricsSinkShape,
  redis: redisStoreOptionsSchema.shape.redis,
  prefix: redisStoreOptionsSchema.shape.prefix,
});

/** Schema of {@link CollectFromRedisOptions}. */
export const collectFromRedisOptionsSchema = z.strictObject({
  redis: redisStoreOptionsSchema.shape.redis,
  prefix: redisStoreOptionsSchema.shape.prefix,
  livenessMs: timerDelayMs.optional(),
});
