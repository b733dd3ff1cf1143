/**
 * The process-wide event bus, typed with the events of every pattern and Redis part. Each declares
 * its own event map in its folder; this module merges them (type imports only: the root entry
 * loads no Redis code), so that core never lists a pattern.
 * @module
 */
import type { AdaptiveConcurrencyLimiterEvents } from './adaptive-concurrency/events';
import type { BackpressureEvents } from './backpressure/events';
import type { BulkheadEvents } from './bulkhead/events';
import type { CircuitBreakerEvents } from './circuit-breaker/events';
import { globalBus, type EventEmitter, type Unsubscribe } from './core/events';
import type { FallbackEvents } from './fallback/events';
import type { LoadShedderEvents } from './load-shedder/events';
import type { RateLimiterEvents } from './rate-limiter/events';
import type { CacheEvents } from './redis/cache/events';
import type { LockEvents } from './redis/lock/events';
import type { RedisQueueEvents } from './redis/queue/events';
import type { RetryEvents } from './retry/events';
import type { TimeoutEvents } from './timeout/events';

/** Every pattern's event map, by its pattern type (the prefix of its events on the {@link bus}). */
export interface PatternEventMaps {
  /** Events of a {@link CircuitBreaker}. */
  circuitBreaker: CircuitBreakerEvents;
  /** Events of a {@link Retry}. */
  retry: RetryEvents;
  /** Events of a {@link Timeout}. */
  timeout: TimeoutEvents;
  /** Events of a {@link Fallback}. */
  fallback: FallbackEvents;
  /** Events of a {@link Bulkhead}. */
  bulkhead: BulkheadEvents;
  /** Events of a {@link LoadShedder}. */
  loadShedder: LoadShedderEvents;
  /** Events of a {@link Backpressure}. */
  backpressure: BackpressureEvents;
  /** Events of an {@link AdaptiveConcurrencyLimiter}. */
  adaptiveConcurrency: AdaptiveConcurrencyLimiterEvents;
  /** Events of a {@link RateLimiter}. */
  rateLimiter: RateLimiterEvents;
  /** Events of a `Lock` (from `bulwark/redis`). */
  lock: LockEvents;
  /** Events of a `Cache` (from `bulwark/redis`). */
  cache: CacheEvents;
  /** Events of a `RedisQueue` (from `bulwark/redis`) and its workers. */
  redisQueue: RedisQueueEvents;
}

/** The kind of pattern an instance is: `'circuitBreaker'`, `'retry'`, …; the prefix of its events on the bus. */
export type PatternType = keyof PatternEventMaps;

/** Every event of every pattern, keyed `${patternType}:${eventName}` as published on {@link bus}. */
export type BulwarkEventMap = {
  [Type in { [P in PatternType]: `${P}:${keyof PatternEventMaps[P] & string}` }[PatternType]]: Type extends `${
    infer P extends PatternType
  }:${infer E}`
    ? PatternEventMaps[P][E & keyof PatternEventMaps[P]]
    : never;
};

/**
 * The process-wide bus: every event of every instance, as `` `${patternType}:${eventName}` ``;
 * subscribe to `'*'` for all of them. Listener errors are logged and never affect a call. `on`
 * and `once` return an {@link Unsubscribe} (a `Disposable` too) and take a `signal` that ends the
 * subscription.
 *
 * @example
 * ```ts
 * bus.on('retry:retry', (e) => log.warn({ attempt: e.attempt, delayMs: e.delayMs }, `retrying ${e.patternName}`));
 * const stop = bus.on('*', (type, e) => metrics.increment(type, { name: e.patternName }));
 * bus.once('circuitBreaker:stateChange', (e) => log.error(`first trip of ${e.patternName}`), { signal: shutdown.signal });
 * stop();
 * ```
 */
export const bus: EventEmitter<BulwarkEventMap> = globalBus as unknown as EventEmitter<BulwarkEventMap>;
