/**
 * bulwark's metric set: every metric's name, type, help and label names, in Prometheus conventions
 * and in the spirit of resilience4j's names. Every exporter uses it (`bulwark/prometheus`,
 * `bulwark/otel`, the Redis and SQLite sinks), so that one dashboard reads them all.
 *
 * A metric is fed one of three ways, its {@link MetricDefinition.source}:
 * - `events`: updated by bus events, as `metricUpdatesFor` says (counters and histograms);
 * - `instances`: read from the live instances of a `Registry` when the metrics are collected
 *   (gauges, and counters that a pattern keeps in its `stats()`), as `readInstanceMetrics` does;
 * - `both`: some series from events, others from instances (`bulwark_calls_total`: a circuit
 *   breaker's from its `stats()`, so that its calls pay nothing per call; the other patterns'
 *   from their events);
 * - `store`: read at collection from what live instances keep in Redis (`bulwark_queue_depth`),
 *   as `readStoredMetrics` does.
 *
 * Label values are bounded: a pattern type, an instance name, a state or reason from a fixed set.
 * A caller's key (a rate-limit key, a lock key) is never a label.
 *
 * This module is plain data and functions: it imports no metrics library.
 * @module
 */

/** The Prometheus metric types bulwark uses. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/** One metric of the set. */
export interface MetricDefinition {
  /** The Prometheus name, e.g. `bulwark_calls_total` (counters end in `_total`, durations in `_seconds`). */
  readonly name: string;
  /** Counter, gauge or histogram. */
  readonly type: MetricType;
  /** One sentence: what a sample counts or measures. */
  readonly help: string;
  /** Its label names, in the order of every sample's labels. */
  readonly labelNames: readonly string[];
  /**
   * `events`: fed by bus events; `instances`: read from live instances at collection; `both`: some
   * series each way; `store`: read from the instances' store (Redis) at collection.
   */
  readonly source: 'events' | 'instances' | 'both' | 'store';
  /** A histogram's bucket upper bounds, ascending (`+Inf` is implied). */
  readonly buckets?: readonly number[];
  /** The unit, for exporters that carry one (OpenTelemetry's `s`); `1` for counts and states. */
  readonly unit: 's' | '1';
  /**
   * A gauge's multiprocess mode: how a metrics sink's collector combines the values the processes
   * report (see `GaugeMode` in `bulwark/redis`). `live`: the sum over the processes alive now;
   * `liveall`: one series per live process; `mostrecent`: the last value written, for a value
   * every process reads from the same place (a queue's depth in Redis).
   */
  readonly multiprocessMode?: 'live' | 'liveall' | 'mostrecent';
}

/**
 * Bucket upper bounds of the duration histograms, in seconds: prom-client's defaults, from 5 ms
 * to 10 s.
 */
export const DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Bucket upper bounds of the queue's job wait and run time histograms, in seconds: from 10 ms to
 * an hour, since jobs wait and run far longer than calls.
 */
export const JOB_BUCKETS: readonly number[] = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

const counter = (name: string, help: string, labelNames: readonly string[], source: MetricDefinition['source'] = 'events'): MetricDefinition =>
  Object.freeze({ name, type: 'counter', help, labelNames, source, unit: '1' });
const gauge = (
  name: string,
  help: string,
  labelNames: readonly string[],
  multiprocessMode: NonNullable<MetricDefinition['multiprocessMode']> = 'live',
  source: 'instances' | 'store' = 'instances',
): MetricDefinition => Object.freeze({ name, type: 'gauge', help, labelNames, source, unit: '1', multiprocessMode });
const histogram = (name: string, help: string, labelNames: readonly string[], buckets = DURATION_BUCKETS): MetricDefinition =>
  Object.freeze({ name, type: 'histogram', help, labelNames, source: 'events', buckets, unit: 's' });

/** Every metric of the set, by a short key. */
export const METRICS = {
  /** `bulwark_calls_total`. */
  calls: counter(
    'bulwark_calls_total',
    'Calls through a bulwark instance, by outcome (success, failure, rejected).',
    ['pattern', 'name', 'outcome'],
    'both',
  ),
  /** `bulwark_rejections_total`. */
  rejections: counter('bulwark_rejections_total', 'Calls a bulwark instance refused, by reason.', ['pattern', 'name', 'reason'], 'both'),
  /** `bulwark_call_duration_seconds`. */
  callDuration: histogram(
    'bulwark_call_duration_seconds',
    'Duration of calls through a circuit breaker, by outcome (success, failure).',
    ['pattern', 'name', 'outcome'],
  ),
  /** `bulwark_retries_total`. */
  retries: counter('bulwark_retries_total', 'Retries a Retry scheduled (a failed try followed by another).', ['name']),
  /** `bulwark_circuit_breaker_transitions_total`. */
  circuitBreakerTransitions: counter('bulwark_circuit_breaker_transitions_total', 'Circuit breaker state changes.', [
    'name',
    'from',
    'to',
  ]),
  /** `bulwark_fallbacks_total`. */
  fallbacks: counter('bulwark_fallbacks_total', 'Calls a Fallback answered with its fallback.', ['name']),
  /** `bulwark_rate_limit_store_errors_total`. */
  rateLimitStoreErrors: counter('bulwark_rate_limit_store_errors_total', "Rate limiter store failures (answered by its onStoreError).", ['name']),
  /** `bulwark_backpressure_pauses_total`. */
  backpressurePauses: counter('bulwark_backpressure_pauses_total', 'Times a Backpressure paused its producers.', ['name']),
  /** `bulwark_lock_contentions_total`. */
  lockContentions: counter('bulwark_lock_contentions_total', 'Lock acquire attempts that found the lock held.', ['name']),
  /** `bulwark_lock_lost_total`. */
  locksLost: counter('bulwark_lock_lost_total', 'Locks found lost (expired or taken) on extend or release.', ['name', 'reason']),
  /** `bulwark_lock_wait_seconds`. */
  lockWait: histogram('bulwark_lock_wait_seconds', 'Time an acquired lock was waited for.', ['name']),
  /** `bulwark_lock_held_seconds`. */
  lockHeld: histogram('bulwark_lock_held_seconds', 'Time a released lock was held.', ['name']),
  /** `bulwark_circuit_breaker_state`. */
  circuitBreakerState: gauge('bulwark_circuit_breaker_state', 'Circuit breaker state: 1 for the current state, 0 for the others.', [
    'name',
    'state',
  ]),
  /** `bulwark_cache_requests_total`. */
  cacheRequests: counter('bulwark_cache_requests_total', 'Cache reads, by result (hit, miss, stale).', ['name', 'result']),
  /** `bulwark_queue_jobs_total`. */
  queueJobs: counter(
    'bulwark_queue_jobs_total',
    'RedisQueue job events, by state (added, active, completed, failed, retrying, dead, stalled).',
    ['queue', 'state'],
  ),
  /** `bulwark_queue_job_wait_seconds`. */
  queueJobWait: histogram('bulwark_queue_job_wait_seconds', "Time from a job's add to the start of a try.", ['queue'], JOB_BUCKETS),
  /** `bulwark_queue_job_run_seconds`. */
  queueJobRun: histogram('bulwark_queue_job_run_seconds', "Time a job's handler ran, by outcome (completed, failed).", ['queue', 'outcome'], JOB_BUCKETS),
  /** `bulwark_queue_depth`. */
  queueDepth: gauge(
    'bulwark_queue_depth',
    "Jobs of a RedisQueue by state (ready, delayed, active, dead, completed), read from Redis at collection.",
    ['queue', 'state'],
    'mostrecent',
    'store',
  ),
  /** `bulwark_queue_workers`. */
  queueWorkers: gauge('bulwark_queue_workers', 'Workers of a RedisQueue running in this process.', ['queue']),
  /** `bulwark_bulkhead_active`. */
  bulkheadActive: gauge('bulwark_bulkhead_active', 'Calls running in a Bulkhead.', ['name']),
  /** `bulwark_bulkhead_queued`. */
  bulkheadQueued: gauge('bulwark_bulkhead_queued', 'Calls waiting for a Bulkhead slot.', ['name']),
  /** `bulwark_load_level`. */
  loadLevel: gauge('bulwark_load_level', 'Load shedder level: 0 normal, 1 elevated, 2 high, 3 critical.', ['name'], 'liveall'),
  /** `bulwark_load_shedder_active`. */
  loadShedderActive: gauge('bulwark_load_shedder_active', 'Calls running in a LoadShedder.', ['name']),
  /** `bulwark_load_shedder_queued`. */
  loadShedderQueued: gauge('bulwark_load_shedder_queued', 'Calls waiting in a LoadShedder queue.', ['name']),
  /** `bulwark_adaptive_limit`. */
  adaptiveLimit: gauge('bulwark_adaptive_limit', "An AdaptiveConcurrencyLimiter's current limit of calls in flight.", ['name']),
  /** `bulwark_adaptive_active`. */
  adaptiveActive: gauge('bulwark_adaptive_active', 'Calls running in an AdaptiveConcurrencyLimiter.', ['name']),
  /** `bulwark_backpressure_pending`. */
  backpressurePending: gauge('bulwark_backpressure_pending', "Units a Backpressure holds (taken and not yet released).", ['name']),
  /** `bulwark_backpressure_paused`. */
  backpressurePaused: gauge('bulwark_backpressure_paused', 'Whether a Backpressure is paused (1) or not (0).', ['name']),
  /** `bulwark_rate_limit_decisions_total`. */
  rateLimitDecisions: counter(
    'bulwark_rate_limit_decisions_total',
    'Rate limiter decisions, by whether the request was allowed.',
    ['name', 'allowed'],
    'instances',
  ),
} as const satisfies Record<string, MetricDefinition>;

/**
 * Every metric of the set, in exposition order.
 *
 * Extension point: a part that lands later adds its metrics to
 * {@link METRICS}, its event updates to the table in `event-updates.ts`, and its live readings to
 * `instance-readers.ts`; every exporter then exports them with no change.
 */
export const METRIC_SET: readonly MetricDefinition[] = Object.freeze(Object.values(METRICS));
