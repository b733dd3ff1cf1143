/**
 * The process-wide event bus, typed with the events of every pattern.
 * @module
 */
import type { AdaptiveConcurrencyLimiterEvents } from './adaptive-concurrency/events';
import type { BackpressureEvents } from './backpressure/events';
import type { BulkheadEvents } from './bulkhead/events';
import type { CircuitBreakerEvents } from './circuit-breaker/events';
import { globalBus, type EventEmitter } from './core/events';
import type { FallbackEvents } from './fallback/events';
import type { LoadShedderEvents } from './load-shedder/events';
import type { RateLimiterEvents } from './rate-limiter/events';
import type { RetryEvents } from './retry/events';
import type { TimeoutEvents } from './timeout/events';

/** A pattern's event map with every key prefixed by `${Prefix}:`, as on the {@link bus}. */
export type PrefixedEvents<Prefix extends string, Events> = {
  [K in keyof Events & string as `${Prefix}:${K}`]: Events[K];
};

/** Every event of every pattern, keyed `${patternType}:${eventName}` as published on {@link bus}. */
export type BulwarkEventMap = PrefixedEvents<'circuitBreaker', CircuitBreakerEvents> &
  PrefixedEvents<'retry', RetryEvents> &
  PrefixedEvents<'timeout', TimeoutEvents> &
  PrefixedEvents<'fallback', FallbackEvents> &
  PrefixedEvents<'bulkhead', BulkheadEvents> &
  PrefixedEvents<'backpressure', BackpressureEvents> &
  PrefixedEvents<'loadShedder', LoadShedderEvents> &
  PrefixedEvents<'adaptiveConcurrency', AdaptiveConcurrencyLimiterEvents> &
  PrefixedEvents<'rateLimiter', RateLimiterEvents>;

/**
 * The process-wide bus: every event of every instance, as `` `${patternType}:${eventName}` ``;
 * subscribe to `'*'` for all of them. Listener errors are logged and never affect a call.
 *
 * @example
 * ```ts
 * bus.on('retry:retry', (e) => log.warn({ attempt: e.attempt, delayMs: e.delayMs }, `retrying ${e.patternName}`));
 * bus.on('*', (type, e) => metrics.increment(type, { name: e.patternName }));
 * ```
 */
export const bus: EventEmitter<BulwarkEventMap> = globalBus as unknown as EventEmitter<BulwarkEventMap>;
