/**
 * The error a {@link CircuitBreaker} refuses calls with.
 * @module
 */
import { ErrorCode, RejectedError } from '../core/errors';

/**
 * Why a circuit breaker refused a call, as `CircuitOpenError.reason` and the `rejected` event say:
 * - `circuitOpen`: it is open, waiting out its recovery timeout;
 * - `halfOpenFull`: it is half-open and every probe slot is taken;
 * - `isolated`: it is held open by `isolate()`.
 */
export type CircuitRejectionReason = 'circuitOpen' | 'halfOpenFull' | 'isolated';

/** The states a {@link CircuitOpenError} can be raised in. */
export type RejectingCircuitState = 'open' | 'half-open' | 'isolated';

/** The state that refuses for each reason. */
const STATE_OF: Readonly<Record<CircuitRejectionReason, RejectingCircuitState>> = {
  circuitOpen: 'open',
  halfOpenFull: 'half-open',
  isolated: 'isolated',
};

/**
 * A circuit breaker refused the call: it is open (or half-open with every probe slot taken, or
 * isolated). The function never ran.
 *
 * Breakers raise it without capturing a stack trace unless their `captureRejectionStacks` option
 * is set: an open breaker may reject thousands of calls a second, and a stack costs microseconds
 * each. Such errors of one breaker and one reason share one prototype, for the breaker's life.
 */
export class CircuitOpenError extends RejectedError {
  /** Why the breaker refused: `circuitOpen`, `halfOpenFull` or `isolated`. */
  declare readonly reason: CircuitRejectionReason;
  /**
   * How long to wait before trying again, in ms:
   * - `circuitOpen`: the time until the breaker next admits a probe (the end of its current open
   *   period), **read live** when you read the field, so it counts down and is 0 once the
   *   recovery timeout has passed; with `captureRejectionStacks`, fixed when the error was made;
   * - `halfOpenFull`: the time until the oldest running probe times out;
   * - `isolated`: `Infinity`.
   */
  declare readonly retryAfterMs: number;
  /** The state the breaker was in when it refused. */
  readonly state: RejectingCircuitState;

  /**
   * @param policyName - name of the breaker
   * @param reason - why it refused
   * @param retryAfterMs - ms until it admits a probe, or `Infinity` when isolated
   */
  constructor(policyName: string, reason: CircuitRejectionReason, retryAfterMs: number) {
    const state = STATE_OF[reason];
    super(ErrorCode.CircuitOpen, `Circuit "${policyName}" is ${state}: the call was not made`, policyName, reason, retryAfterMs);
    this.state = state;
  }

  override get name(): string {
    return 'CircuitOpenError';
  }
}
