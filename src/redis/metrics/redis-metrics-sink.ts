/**
 * {@link RedisMetricsSink}: metrics of many processes added up in Redis.
 * @module
 */
import type { Cluster, Redis } from 'ioredis';
import { parseOptions } from '../../core/config';
import { commandName } from '../scripts/script-command';
import type { Batch } from './buffer';
import { metricKey, sequenceKey } from './keys';
import { REDIS_METRICS_PREFIX, redisMetricsSinkOptionsSchema, type RedisMetricsSinkOptions } from './options';
import { FLUSH_LUA } from './scripts';
import { MetricsSink } from './sink';

/**
 * The flush script as ioredis's `defineCommand` adds it: the number of keys, then the keys and
 * arguments as arrays (ioredis flattens them; no spread of a large batch onto the call stack).
 */
type FlushCommand = (numberOfKeys: number, keys: string[], args: string[]) => Promise<unknown>;

const FLUSH_COMMAND = commandName('bulwarkMetricsFlush', FLUSH_LUA);

/**
 * Keeps prom-client-style metrics of many processes in Redis, so that they add up: every
 * `flushIntervalMs` the increments recorded in this process (and the values of the prom-client
 * registries it {@link MetricsSink.track | tracks}) are written in one script call, off the
 * callers' path, through a CircuitBreaker and a Timeout. Read them all back with
 * {@link collectFromRedis}.
 *
 * - Counters never go backwards: a flush only adds what this process counted since its last
 *   flush, and a flush sent again after a lost reply is recognised by its sequence number.
 * - Gauges are kept per instance (`instanceId`, pid) with the time Redis wrote them; the
 *   collector combines them by the gauge's mode.
 * - While Redis is away, increments wait in process (up to `maxBuffered` series) and are added
 *   later; the failure is logged once per outage.
 *
 * @example
 * ```ts
 * const sink = new RedisMetricsSink({ redis, prefix: 'myapp:metrics' }).track(promRegistry);
 * // … a short-lived program ends with:
 * await sink.dispose();
 * ```
 */
export class RedisMetricsSink extends MetricsSink {
  /** The key namespace (every key is `{prefix}:…`). */
  readonly prefix: string;
  readonly #redis: Redis | Cluster;

  /** @throws ConfigError (from `bulwark`) naming every bad option */
  constructor(options: RedisMetricsSinkOptions) {
    const parsed = parseOptions(redisMetricsSinkOptionsSchema, options, 'RedisMetricsSink options');
    super('RedisMetricsSink', parsed);
    this.prefix = parsed.prefix ?? REDIS_METRICS_PREFIX;
    this.#redis = parsed.redis;
    if (typeof (this.#redis as unknown as Record<string, unknown>)[FLUSH_COMMAND] !== 'function') {
      this.#redis.defineCommand(FLUSH_COMMAND, { lua: FLUSH_LUA });
    }
  }

  protected override async write(batch: Batch, seq: number): Promise<void> {
    const keys = [sequenceKey(this.prefix)];
    const args = [this.sinkId, String(seq), String(Math.ceil(this.ttlMs))];
    for (const metric of batch) {
      keys.push(metricKey(this.prefix, metric.name));
      args.push(metric.meta, String(metric.ops.length / 3));
      for (const op of metric.ops) args.push(op);
    }
    const flush = (this.#redis as unknown as Record<string, FlushCommand>)[FLUSH_COMMAND] as FlushCommand;
    const reply = await flush.call(this.#redis, keys.length, keys, args);
    if (reply !== 0 && reply !== 1) throw new TypeError(`RedisMetricsSink: unexpected flush reply ${String(reply)}`);
  }
}
