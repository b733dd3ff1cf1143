/**
 * Metrics of many processes added up in Redis: {@link RedisMetricsSink} and
 * {@link collectFromRedis}.
 * @module
 */
export { RedisMetricsSink } from './redis-metrics-sink';
export { collectFromRedis } from './collect';
export { MetricsSink, type MetricsSinkStats, type TrackBulwarkOptions } from './sink';
export { Series } from './buffer';
export { GAUGE_MODES, type GaugeMode, type Labels, type MetricSpec, type MetricType } from './model';
export { REDIS_METRICS_PREFIX, type CollectFromRedisOptions, type RedisMetricsSinkOptions } from './options';
export { METRICS_SINK_DEFAULTS, type MetricsSinkOptions } from './sink-options';
export type { PromRegistryLike, TrackOptions } from './track';
