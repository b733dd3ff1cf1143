/**
 * What {@link CircuitBreaker.stats} returns.
 * @module
 */
import type { CircuitRejectionReason } from './circuit-open-error';
import type { CircuitState } from './state';

/** Counters of a {@link CircuitBreaker} since it was created, late results included. */
export interface CircuitBreakerTotals {
  /** Calls that ran and counted as a success or a failure. */
  readonly calls: number;
  /** Of which counted as successes. */
  readonly successes: number;
  /** Of which counted as failures (a probe that ran too long included). */
  readonly failures: number;
  /** Calls that counted neither way: ignored errors, and calls the caller aborted. */
  readonly ignored: number;
  /** Calls slower than `slowCallDurationMs`. */
  readonly slowCalls: number;
  /** Calls that settled after the state they started in had ended; they change no state. */
  readonly lateResults: number;
}

/** Counters and rates of a {@link CircuitBreaker}; plain data, safe to serialise. */
export interface CircuitBreakerStats {
  /** The current state. */
  readonly state: CircuitState;
  /** Calls recorded in the window (consecutive mode: since the circuit last closed). */
  readonly calls: number;
  /** Of which failed. */
  readonly failures: number;
  /** Of which were slow. */
  readonly slowCalls: number;
  /** `failures / calls`, 0 when there are no calls. */
  readonly failureRate: number;
  /** `slowCalls / calls`, 0 when there are no calls. */
  readonly slowCallRate: number;
  /** Failures since the last success. */
  readonly consecutiveFailures: number;
  /** Calls refused since creation. */
  readonly rejected: number;
  /** Calls refused since creation, by reason; the parts add up to `rejected`. */
  readonly rejectedByReason: Readonly<Record<CircuitRejectionReason, number>>;
  /**
   * When the breaker will next admit a probe, in ms since the epoch: the end of the recovery
   * timeout while open, now or when a probe slot frees while half-open; null otherwise.
   */
  readonly nextProbeAt: number | null;
  /** Counters since creation. */
  readonly totals: CircuitBreakerTotals;
}
