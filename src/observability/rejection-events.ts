/**
 * The refusal events of every pattern, in one list: what the metric set and the OpenTelemetry
 * span events subscribe to for "a policy refused a call".
 * @module
 * @internal
 */
import type { BulwarkEventMap } from '../bus';

/** The bus type of a pattern's refusal event: `` `${patternType}:rejected` ``. */
export type RejectionEventType = Extract<keyof BulwarkEventMap, `${string}:rejected`>;

/**
 * How the metric set counts each pattern's refusals: from the events, or from the instance's
 * `stats()` at collection (a circuit breaker's, so that its refusals cost an exporter nothing).
 * A record over every {@link RejectionEventType}, so that a pattern given a `rejected` event
 * does not compile until it is listed here.
 */
const REJECTION_COUNTING: { readonly [Type in RejectionEventType]: 'events' | 'stats' } = {
  'circuitBreaker:rejected': 'stats',
  'bulkhead:rejected': 'events',
  'loadShedder:rejected': 'events',
  'backpressure:rejected': 'events',
  'adaptiveConcurrency:rejected': 'events',
  'rateLimiter:rejected': 'events',
  'lock:rejected': 'events',
};

/** Every pattern's refusal event. */
export const REJECTION_EVENT_TYPES: readonly RejectionEventType[] = Object.freeze(
  Object.keys(REJECTION_COUNTING) as RejectionEventType[],
);

/** The refusal events the metric set counts from events (the others it reads from `stats()`). */
export const COUNTED_REJECTION_EVENT_TYPES: readonly RejectionEventType[] = Object.freeze(
  REJECTION_EVENT_TYPES.filter((type) => REJECTION_COUNTING[type] === 'events'),
);
