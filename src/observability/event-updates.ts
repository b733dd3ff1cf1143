/**
 * How bus events update bulwark's metric set: for each bus type, the counters it adds to and the
 * histograms it observes in. Plain data and functions: no metrics library.
 * @module
 */
import type { BulwarkEvent } from '../core/events';
import { METRICS, type MetricDefinition } from './metric-set';
import { COUNTED_REJECTION_EVENT_TYPES } from './rejection-events';

/**
 * How one bus event updates one metric: adds `value(event)` to a counter's series, or observes it
 * in a histogram's.
 */
export interface MetricUpdate {
  /** The metric it updates (a counter or a histogram). */
  readonly metric: MetricDefinition;
  /**
   * Which series of the metric the event updates: a string unique among the series this update
   * feeds (usually the instance name itself, so that most events build no string).
   */
  readonly seriesKey: (event: BulwarkEvent) => string;
  /** The series' labels, by label name (called once per new series). */
  readonly labels: (event: BulwarkEvent) => Readonly<Record<string, string>>;
  /** What to add (a counter) or observe (a histogram, in the metric's unit). */
  readonly value: (event: BulwarkEvent) => number;
  /**
   * Set on an update an exporter makes only when asked: `callDurations`, the circuit breaker's
   * `bulwark_call_duration_seconds` (listening to its `success` and `failure` events makes every
   * breaker call read the clock twice and build an event).
   */
  readonly optIn?: 'callDurations';
}

/** Fields the updates read, beyond the common ones. */
interface EventFields extends BulwarkEvent {
  readonly reason: string;
  readonly durationMs: number;
  readonly from: string;
  readonly to: string;
  readonly waitedMs: number;
  readonly heldMs: number;
  readonly waitMs: number;
  readonly runMs: number;
}

const byName = (event: BulwarkEvent): string => event.patternName;
const byReason = (event: BulwarkEvent): string => `${event.patternName}\u0000${(event as EventFields).reason}`;
const one = (): number => 1;
const seconds =
  (field: 'durationMs' | 'waitedMs' | 'heldMs' | 'waitMs' | 'runMs') =>
  (event: BulwarkEvent): number =>
    (event as EventFields)[field] / 1000;

/** `bulwark_calls_total` with a fixed `outcome`. */
function call(outcome: 'success' | 'failure' | 'rejected'): MetricUpdate {
  return {
    metric: METRICS.calls,
    seriesKey: byName,
    labels: (e) => ({ pattern: e.patternType, name: e.patternName, outcome }),
    value: one,
  };
}

/** A circuit breaker's `bulwark_call_duration_seconds` with a fixed `outcome`, from the event's `durationMs` (opt-in). */
function duration(outcome: 'success' | 'failure'): MetricUpdate {
  return {
    metric: METRICS.callDuration,
    seriesKey: byName,
    labels: (e) => ({ pattern: e.patternType, name: e.patternName, outcome }),
    value: seconds('durationMs'),
    optIn: 'callDurations',
  };
}

/** A count by instance name only. */
function countByName(metric: MetricDefinition): MetricUpdate {
  return { metric, seriesKey: byName, labels: (e) => ({ name: e.patternName }), value: one };
}

/** `bulwark_cache_requests_total` with a fixed `result`. */
function cacheRequest(result: 'hit' | 'miss' | 'stale'): MetricUpdate {
  return { metric: METRICS.cacheRequests, seriesKey: byName, labels: (e) => ({ name: e.patternName, result }), value: one };
}

/** `bulwark_queue_jobs_total` with a fixed `state`. */
function queueJob(state: string): MetricUpdate {
  return { metric: METRICS.queueJobs, seriesKey: byName, labels: (e) => ({ queue: e.patternName, state }), value: one };
}

/** `bulwark_queue_job_run_seconds` with a fixed `outcome`, from the event's `runMs`. */
function jobRun(outcome: 'completed' | 'failed'): MetricUpdate {
  return { metric: METRICS.queueJobRun, seriesKey: byName, labels: (e) => ({ queue: e.patternName, outcome }), value: seconds('runMs') };
}

const rejection: MetricUpdate = {
  metric: METRICS.rejections,
  seriesKey: byReason,
  labels: (e) => ({ pattern: e.patternType, name: e.patternName, reason: (e as EventFields).reason }),
  value: one,
};

/** A refusal: one call `rejected`, and one refusal by its reason. */
const rejected: readonly MetricUpdate[] = [call('rejected'), rejection];

/**
 * The updates of every bus type that feeds the metric set. A circuit breaker's calls and refusals
 * are read from its `stats()` at collection (see `instance-readers.ts`), not counted here: a
 * breaker call then costs an exporter nothing. Refusals come from {@link COUNTED_REJECTION_EVENT_TYPES}.
 */
const EVENT_UPDATES: Readonly<Record<string, readonly MetricUpdate[]>> = {
  ...Object.fromEntries(COUNTED_REJECTION_EVENT_TYPES.map((type) => [type, rejected])),
  'circuitBreaker:success': [duration('success')],
  'circuitBreaker:failure': [duration('failure')],
  'circuitBreaker:stateChange': [
    {
      metric: METRICS.circuitBreakerTransitions,
      seriesKey: (e) => `${e.patternName}\u0000${(e as EventFields).from}\u0000${(e as EventFields).to}`,
      labels: (e) => ({ name: e.patternName, from: (e as EventFields).from, to: (e as EventFields).to }),
      value: one,
    },
  ],
  'retry:success': [call('success')],
  'retry:exhausted': [call('failure')],
  'retry:retry': [countByName(METRICS.retries)],
  'timeout:timeout': [call('failure')],
  'fallback:fallback': [countByName(METRICS.fallbacks)],
  'backpressure:pause': [countByName(METRICS.backpressurePauses)],
  'rateLimiter:storeError': [countByName(METRICS.rateLimitStoreErrors)],
  'lock:acquired': [
    call('success'),
    { metric: METRICS.lockWait, seriesKey: byName, labels: (e) => ({ name: e.patternName }), value: seconds('waitedMs') },
  ],
  'lock:contended': [countByName(METRICS.lockContentions)],
  'lock:released': [
    { metric: METRICS.lockHeld, seriesKey: byName, labels: (e) => ({ name: e.patternName }), value: seconds('heldMs') },
  ],
  'lock:lost': [
    {
      metric: METRICS.locksLost,
      seriesKey: byReason,
      labels: (e) => ({ name: e.patternName, reason: (e as EventFields).reason }),
      value: one,
    },
  ],
  'cache:hit': [cacheRequest('hit')],
  'cache:miss': [cacheRequest('miss')],
  'cache:stale': [cacheRequest('stale')],
  'redisQueue:added': [queueJob('added')],
  'redisQueue:active': [
    queueJob('active'),
    { metric: METRICS.queueJobWait, seriesKey: byName, labels: (e) => ({ queue: e.patternName }), value: seconds('waitMs') },
  ],
  'redisQueue:completed': [queueJob('completed'), jobRun('completed')],
  'redisQueue:failed': [queueJob('failed'), jobRun('failed')],
  'redisQueue:retrying': [queueJob('retrying')],
  'redisQueue:dead': [queueJob('dead')],
  'redisQueue:stalled': [queueJob('stalled')],
};

const NONE: readonly MetricUpdate[] = Object.freeze([]);

/**
 * How an event of bus type `busType` (`` `${patternType}:${eventName}` ``) updates the metric set:
 * none, one or several {@link MetricUpdate}s. An exporter subscribes to {@link METRIC_EVENT_TYPES}
 * only, so that events no metric needs are never built.
 *
 * @example
 * ```ts
 * for (const type of METRIC_EVENT_TYPES) {
 *   const updates = metricUpdatesFor(type);
 *   bus.on(type as keyof BulwarkEventMap, (event) => {
 *     for (const u of updates) myStatsd.increment(u.metric.name, u.value(event), u.labels(event));
 *   });
 * }
 * ```
 */
export function metricUpdatesFor(busType: string): readonly MetricUpdate[] {
  return Object.hasOwn(EVENT_UPDATES, busType) ? (EVENT_UPDATES[busType] as readonly MetricUpdate[]) : NONE;
}

/** Every bus type that updates a metric of the set. */
export const METRIC_EVENT_TYPES: readonly string[] = Object.freeze(Object.keys(EVENT_UPDATES));
