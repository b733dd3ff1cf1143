/**
 * What {@link Timeout.stats} returns.
 * @module
 */

/** Counters of a {@link Timeout}; plain data, safe to serialise. */
export interface TimeoutStats {
  /** The configured limit per call, in ms. */
  readonly timeoutMs: number;
  /** Calls running under the limit now (those whose function went asynchronous). */
  readonly inFlight: number;
  /** Calls whose time ran out, since creation (by `timeoutMs` or by their deadline). */
  readonly timedOut: number;
}
