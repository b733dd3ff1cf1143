/**
 * What a circuit breaker keeps of one call until it settles, and the settlement handlers that
 * hand its outcome back to the breaker.
 * @module
 * @internal
 */
import type { InternalContext } from '../core/context';
import type { Probe } from './circuit-controller';
import type { CircuitState } from './state';

/** The breaker's bookkeeping for a call that fulfilled (`ok`, with its value) or rejected (with its error). */
export type SettleCall = (call: CallRecord, ok: boolean, outcome: unknown) => void;

/**
 * A call admitted by a circuit breaker: the epoch and state it started in, and what its
 * settlement needs. Its handlers pass the outcome on unchanged after the breaker has counted it.
 *
 * Lifetimes: a tracked call (timed, with a signal, or a probe) gets a record of its own, which
 * lives until the call settles. Untracked calls (closed or disabled, no timing, no signal) share
 * one record per epoch, made at each transition, so that they allocate nothing of their own.
 */
export class CallRecord {
  /** The controller's epoch when the call was admitted; another epoch makes it a late result. */
  readonly epoch: number;
  /** The state it was admitted in. */
  readonly state: CircuitState;
  /** When it started, by the breaker's clock; undefined when it is not timed. */
  readonly startedAt: number | undefined;
  /** Its context, to tell a caller's abort; undefined when it has no scope. */
  readonly ctx: InternalContext | undefined;
  /** Its probe slot, when admitted while half-open. */
  readonly probe: Probe | undefined;
  /** Counts a value, then returns it. */
  readonly onFulfilled: (value: unknown) => unknown;
  /** Counts an error, then rethrows it. */
  readonly onRejected: (error: unknown) => never;

  /**
   * @param settle - the breaker's bookkeeping, shared by all its records
   * @param epoch - the controller's epoch at admission
   * @param state - the state at admission
   * @param startedAt - the start time, for timed calls
   * @param ctx - the call's context, for calls with a scope
   * @param probe - the probe slot, for calls admitted while half-open
   */
  constructor(
    settle: SettleCall,
    epoch: number,
    state: CircuitState,
    startedAt: number | undefined,
    ctx: InternalContext | undefined,
    probe: Probe | undefined,
  ) {
    this.epoch = epoch;
    this.state = state;
    this.startedAt = startedAt;
    this.ctx = ctx;
    this.probe = probe;
    this.onFulfilled = (value) => {
      settle(this, true, value);
      return value;
    };
    this.onRejected = (error) => {
      settle(this, false, error);
      throw error;
    };
  }
}
