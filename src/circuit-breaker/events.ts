/**
 * Events of a {@link CircuitBreaker}.
 * @module
 */
import type { BulwarkEvent } from '../core/events';
import type { CircuitRejectionReason, RejectingCircuitState } from './circuit-open-error';
import type { CircuitState, StateChangeReason } from './state';

/** The breaker moved from one state to another. */
export interface StateChangeEvent extends BulwarkEvent<'stateChange'> {
  /** The state it left. */
  readonly from: CircuitState;
  /** The state it entered. */
  readonly to: CircuitState;
  /** Why. */
  readonly reason: StateChangeReason;
}

/** A call ran and counted as a success. */
export interface CircuitSuccessEvent extends BulwarkEvent<'success'> {
  /** The state the call started in. */
  readonly state: CircuitState;
  /** How long it took, in ms. */
  readonly durationMs: number;
}

/** A call ran and counted as a failure (a handled error, or a result `isFailureResult` rejects). */
export interface CircuitFailureEvent extends BulwarkEvent<'failure'> {
  /** The state the call started in. */
  readonly state: CircuitState;
  /** How long it took, in ms. */
  readonly durationMs: number;
  /** The error, or the result that `isFailureResult` counted as a failure. */
  readonly error: unknown;
}

/** A call was refused with {@link CircuitOpenError}. */
export interface CircuitRejectedEvent extends BulwarkEvent<'rejected'> {
  /** Why: `circuitOpen`, `halfOpenFull` or `isolated`; the same as the error's `reason`. */
  readonly reason: CircuitRejectionReason;
  /** The state that refused it. */
  readonly state: RejectingCircuitState;
  /** When to try again, in ms (`Infinity` when isolated), as the error said when it was made. */
  readonly retryAfterMs: number;
}

/** Event map of {@link CircuitBreaker.events}. */
export type CircuitBreakerEvents = {
  /** The state changed. */
  stateChange: StateChangeEvent;
  /** A call counted as a success. */
  success: CircuitSuccessEvent;
  /** A call counted as a failure. */
  failure: CircuitFailureEvent;
  /** A call was refused. */
  rejected: CircuitRejectedEvent;
};
