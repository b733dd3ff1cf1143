/**
 * CircuitBreaker: stops calling a failing dependency, probes it and recovers.
 *
 * Guide: [circuit-breaker.md](../../docs/circuit-breaker.md).
 * @module circuit-breaker
 */
export { CircuitBreaker } from './circuit-breaker';
export { CircuitOpenError, type CircuitRejectionReason, type RejectingCircuitState } from './circuit-open-error';
export type { CircuitBreakerStats, CircuitBreakerTotals } from './stats';
export {
  CIRCUIT_BREAKER_DEFAULTS,
  type CircuitBreakerOptions,
  type CountWindowOptions,
  type RecoveryBackoffOptions,
  type TimeWindowOptions,
} from './options';
export { CircuitState, type StateChangeReason } from './state';
export type { CircuitBreakerSnapshot } from './snapshot';
export type {
  CircuitBreakerEvents,
  StateChangeEvent,
  CircuitSuccessEvent,
  CircuitFailureEvent,
  CircuitRejectedEvent,
} from './events';
