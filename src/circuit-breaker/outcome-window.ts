/**
 * What a circuit breaker's rates are computed over: the outcomes of recent calls.
 * @module
 * @internal
 */

/** Recent call outcomes with running totals (read the fields after {@link OutcomeWindow.advance}). */
export interface OutcomeWindow {
  /** Calls in the window. */
  readonly calls: number;
  /** Of which failed. */
  readonly failures: number;
  /** Of which were slow. */
  readonly slowCalls: number;
  /** Records one call. */
  add(failure: boolean, slow: boolean): void;
  /** Drops what has aged out, so that the totals are current. */
  advance(): void;
  /** Forgets every call. */
  clear(): void;
  /** Stops any timer the window keeps. */
  dispose(): void;
}
