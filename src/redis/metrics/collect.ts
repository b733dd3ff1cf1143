/**
 * {@link collectFromRedis}: the Prometheus text of every process's metrics kept by
 * {@link RedisMetricsSink}s under one prefix.
 * @module
 */
import type { Cluster, Redis } from 'ioredis';
import { parseOptions } from '../../core/config';
import { exposition, type StoredMetric } from './exposition';
import { metricNameOf, metricPattern } from './keys';
import { collectFromRedisOptionsSchema, REDIS_METRICS_PREFIX, type CollectFromRedisOptions } from './options';
import { METRICS_SINK_DEFAULTS } from './sink-options';

const SCAN_COUNT = 1_000;

/**
 * Reads every metric that {@link RedisMetricsSink}s keep under `prefix` and prints them in the
 * Prometheus text exposition format (0.0.4): counters, histograms and summaries summed over all
 * processes, gauges combined by the mode each declares. Keys are found with SCAN (never KEYS),
 * on every master of a Cluster, and read with HGETALL in pipelines of up to 1,000.
 *
 * @example
 * ```ts
 * app.get('/metrics', async (_req, res) => {
 *   res.type('text/plain; version=0.0.4').send(await collectFromRedis({ redis, prefix: 'myapp:metrics' }));
 * });
 * ```
 * @throws ConfigError (from `bulwark`) naming every bad option
 */
export async function collectFromRedis(options: CollectFromRedisOptions): Promise<string> {
  const parsed = parseOptions(collectFromRedisOptionsSchema, options, 'collectFromRedis options');
  const { redis } = parsed;
  const prefix = parsed.prefix ?? REDIS_METRICS_PREFIX;
  const metrics: StoredMetric[] = [];
  for (const node of nodesOf(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', metricPattern(prefix), 'COUNT', SCAN_COUNT);
      cursor = next;
      if (keys.length > 0) metrics.push(...(await readHashes(node, prefix, keys)));
    } while (cursor !== '0');
  }
  const [seconds, micros] = await redis.time();
  const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  return exposition(metrics, { nowMs, livenessMs: parsed.livenessMs ?? METRICS_SINK_DEFAULTS.livenessMs });
}

/** The connections to scan: a Cluster's masters, or the one server. */
function nodesOf(redis: Redis | Cluster): Redis[] {
  return (redis as { isCluster?: boolean }).isCluster === true ? (redis as Cluster).nodes('master') : [redis as Redis];
}

async function readHashes(node: Redis, prefix: string, keys: readonly string[]): Promise<StoredMetric[]> {
  const pipeline = node.pipeline();
  for (const key of keys) pipeline.hgetall(key);
  const replies = (await pipeline.exec()) ?? [];
  const metrics: StoredMetric[] = [];
  keys.forEach((key, i) => {
    const [error, fields] = replies[i] ?? [null, {}];
    if (error) throw error;
    // A hash that expired between SCAN and HGETALL reads as empty: it is simply gone.
    if (fields !== null && Object.keys(fields as object).length > 0) {
      metrics.push({ name: metricNameOf(prefix, key), fields: fields as Record<string, string> });
    }
  });
  return metrics;
}
