/**
 * Reads the metrics whose source is `instances` (gauges, and counters a pattern keeps in its
 * `stats()`) from live instances, when an exporter collects. Plain data and functions: no metrics
 * library.
 * @module
 */
import type { AdaptiveConcurrencyLimiterStats } from '../adaptive-concurrency/stats';
import type { BackpressureStats } from '../backpressure/stats';
import type { BulkheadStats } from '../bulkhead/stats';
import { CircuitState } from '../circuit-breaker/state';
import type { CircuitBreakerStats } from '../circuit-breaker/stats';
import { LoadLevel } from '../load-shedder/load-level';
import type { LoadShedderStats } from '../load-shedder/stats';
import type { RateLimiterStats } from '../rate-limiter/stats';
import type { RedisQueueLocalStats, RedisQueueStats } from '../redis/queue/redis-queue';
import { METRICS, type MetricDefinition } from './metric-set';
import { ignore } from '../core/ignore';

/** The numeric value of each load level in `bulwark_load_level`. */
export const LOAD_LEVEL_VALUES: Readonly<Record<LoadLevel, number>> = Object.freeze({
  [LoadLevel.Normal]: 0,
  [LoadLevel.Elevated]: 1,
  [LoadLevel.High]: 2,
  [LoadLevel.Critical]: 3,
});

/** Every circuit state: the values of the `state` label of `bulwark_circuit_breaker_state`. */
export const CIRCUIT_STATES: readonly CircuitState[] = Object.freeze(Object.values(CircuitState));

/** Receives one sample read from a live instance; see {@link readInstanceMetrics}. */
export type SampleVisitor = (metric: MetricDefinition, labels: Readonly<Record<string, string>>, value: number) => void;

/** What {@link readInstanceMetrics} reads: anything with a name, a pattern type and `stats()`. */
export interface MetricInstance {
  /** The instance's name: the `name` label. */
  readonly name: string;
  /** Its pattern type, which says how to read its stats. */
  readonly patternType: string;
  /** Its counters and state. */
  stats?(): object;
  /**
   * Numbers the instance reads from its store, at collection (a RedisQueue's job counts in
   * Redis); see {@link readStoredMetrics}.
   */
  storedStats?(): Promise<object>;
}

/** The states of `bulwark_queue_depth`. */
const QUEUE_DEPTH_STATES = ['ready', 'delayed', 'active', 'dead', 'completed'] as const;

/** Reads one pattern type's samples from an instance's `stats()`. */
type InstanceReader = (name: string, stats: object, visit: SampleVisitor) => void;

/** The readers, by pattern type: a part with live metrics adds its reader here. */
const READERS: Readonly<Record<string, InstanceReader>> = {
  circuitBreaker(name, stats, visit) {
    const { state, totals, rejected, rejectedByReason } = stats as CircuitBreakerStats;
    for (const each of CIRCUIT_STATES) visit(METRICS.circuitBreakerState, { name, state: each }, each === state ? 1 : 0);
    const pattern = 'circuitBreaker';
    visit(METRICS.calls, { pattern, name, outcome: 'success' }, totals.successes);
    visit(METRICS.calls, { pattern, name, outcome: 'failure' }, totals.failures);
    visit(METRICS.calls, { pattern, name, outcome: 'rejected' }, rejected);
    for (const [reason, count] of Object.entries(rejectedByReason)) visit(METRICS.rejections, { pattern, name, reason }, count);
  },
  bulkhead(name, stats, visit) {
    const { inFlight, queued } = stats as BulkheadStats;
    visit(METRICS.bulkheadActive, { name }, inFlight);
    visit(METRICS.bulkheadQueued, { name }, queued);
  },
  loadShedder(name, stats, visit) {
    const { loadLevel, inFlight, queued } = stats as LoadShedderStats;
    visit(METRICS.loadLevel, { name }, LOAD_LEVEL_VALUES[loadLevel]);
    visit(METRICS.loadShedderActive, { name }, inFlight);
    visit(METRICS.loadShedderQueued, { name }, queued);
  },
  adaptiveConcurrency(name, stats, visit) {
    const { limit, inFlight } = stats as AdaptiveConcurrencyLimiterStats;
    visit(METRICS.adaptiveLimit, { name }, limit);
    visit(METRICS.adaptiveActive, { name }, inFlight);
  },
  backpressure(name, stats, visit) {
    const { pending, paused } = stats as BackpressureStats;
    visit(METRICS.backpressurePending, { name }, pending);
    visit(METRICS.backpressurePaused, { name }, paused ? 1 : 0);
  },
  rateLimiter(name, stats, visit) {
    const { admitted, rejected } = stats as RateLimiterStats;
    visit(METRICS.rateLimitDecisions, { name, allowed: 'true' }, admitted);
    visit(METRICS.rateLimitDecisions, { name, allowed: 'false' }, rejected);
  },
  redisQueue(name, stats, visit) {
    visit(METRICS.queueWorkers, { queue: name }, (stats as RedisQueueLocalStats).workers);
  },
};

/**
 * Reads the metrics whose source is `instances` from `instances` (e.g. a `Registry`'s `list()`),
 * calling `visit` once per sample. Instances of pattern types without live metrics are skipped.
 * @param instances - the live instances
 * @param visit - receives each sample
 */
export function readInstanceMetrics(instances: Iterable<MetricInstance>, visit: SampleVisitor): void {
  for (const instance of instances) {
    const read = Object.hasOwn(READERS, instance.patternType) ? READERS[instance.patternType] : undefined;
    if (read === undefined) continue;
    const stats = instance.stats?.();
    if (stats !== undefined) read(instance.name, stats, visit);
  }
}

/**
 * Reads the metrics an instance keeps in its store (`bulwark_queue_depth`: a RedisQueue's job
 * counts, one round trip to Redis per queue), calling `visit` once per sample. An instance whose
 * store fails is skipped: a scrape never fails because Redis does.
 * @param instances - the live instances
 * @param visit - receives each sample
 */
export async function readStoredMetrics(instances: Iterable<MetricInstance>, visit: SampleVisitor): Promise<void> {
  const reads: Array<Promise<void>> = [];
  for (const instance of instances) {
    if (instance.patternType !== 'redisQueue' || instance.storedStats === undefined) continue;
    const queue = instance.name;
    // A reader that throws at once fails its own series only, as one that rejects does.
    const stats = Promise.resolve().then(() => (instance.storedStats as () => Promise<unknown>)());
    reads.push(
      stats.then(
        (stats) => {
          for (const state of QUEUE_DEPTH_STATES) visit(METRICS.queueDepth, { queue, state }, (stats as RedisQueueStats)[state]);
        },
        ignore,
      ),
    );
  }
  await Promise.all(reads);
}
