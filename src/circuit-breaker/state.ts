/**
 * The states of a {@link CircuitBreaker}.
 * @module
 */

/**
 * The states of a circuit breaker, as string values (`CircuitState.Open === 'open'`):
 * - `closed`: calls run and their outcomes are recorded;
 * - `open`: every call is rejected at once with {@link CircuitOpenError} until the recovery
 *   timeout has passed;
 * - `half-open`: up to `halfOpenMaxCalls` probe calls at a time test the dependency;
 * - `isolated`: held open by {@link CircuitBreaker.isolate} until {@link CircuitBreaker.reset};
 * - `disabled`: every call runs and is recorded, but the state never changes, until `reset()`.
 */
export const CircuitState = {
  /** Calls run and are recorded. */
  Closed: 'closed',
  /** Calls are rejected until the recovery timeout has passed. */
  Open: 'open',
  /** A limited number of probe calls test the dependency. */
  HalfOpen: 'half-open',
  /** Held open by hand until `reset()`. */
  Isolated: 'isolated',
  /** Everything runs; outcomes are recorded but change nothing. */
  Disabled: 'disabled',
} as const;

/** One of the values of {@link CircuitState}. */
export type CircuitState = (typeof CircuitState)[keyof typeof CircuitState];

/** Why a circuit breaker changed state, as reported by its `stateChange` event. */
export type StateChangeReason =
  | 'failureThreshold'
  | 'failureRate'
  | 'slowCallRate'
  | 'recoveryTimeout'
  | 'probeSucceeded'
  | 'probeFailed'
  | 'probeTimedOut'
  | 'isolated'
  | 'disabled'
  | 'reset';
