/**
 * The decision half of an adaptive concurrency limiter: from the outcome of each call, what the
 * limit should be. The state machine (adaptive-concurrency-limiter.ts) admits, queues and counts
 * calls, and asks an algorithm after each one; the algorithms answer differently.
 * @module
 * @internal
 */
import type { LimitChangeReason } from './events';

/**
 * An algorithm that keeps a concurrency limit from observed calls. Each sample is one call that
 * ended as a success or a drop (ignored calls are not samples). An algorithm keeps its estimate as
 * a real number and reports its integer part, always within `[minLimit, maxLimit]`.
 */
export interface LimitAlgorithm {
  /** The current limit: an integer in `[minLimit, maxLimit]`. */
  readonly limit: number;
  /** Why the limit last changed. */
  readonly reason: LimitChangeReason;
  /**
   * Records one call and returns the limit that follows. Times are on the limiter's stopwatch:
   * ms for the algorithms that read round-trip times; for `'aimd'`, which needs only the order of
   * events, the count of calls admitted so far.
   * @param rttMs - how long the call took
   * @param inFlight - calls in flight when it started, itself included
   * @param dropped - whether it was dropped (a failure or a timeout) rather than a success
   * @param startedAt - when it started (comparable with `startedAt + rttMs` of other calls)
   */
  update(rttMs: number, inFlight: number, dropped: boolean, startedAt: number): number;
}

/** `value` moved into `[min, max]`. @internal */
export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}
