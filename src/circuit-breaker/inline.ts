/**
 * A circuit breaker's calls for a caller that runs them itself instead of through `execute`: the
 * fused policy of a guarded Redis client, whose every command would otherwise pay a promise per
 * layer. The caller asks for admission, runs the call, and hands back its outcome; the breaker
 * counts it exactly as it counts a call of `execute` admitted in the same state.
 * @module
 * @internal
 */
import type { CallRecord } from './call-record';

/** Key of a CircuitBreaker's {@link InlineBreaker}. @internal */
export const inlineCalls: unique symbol = Symbol('bulwark.circuitBreaker.inlineCalls');

/** What a caller that runs calls itself asks a CircuitBreaker. @internal */
export interface InlineBreaker {
  /**
   * Admits a call the way `execute` would when the circuit is closed or disabled, timing it when
   * something asks for its duration (`slowCallDurationMs`, a `success` or `failure` listener).
   * Undefined otherwise: the call must go through `execute`.
   */
  admit(): CallRecord | undefined;
  /**
   * Counts the outcome of an admitted call: `ok` with its value, or its error. Call it once, for
   * a call without a caller's signal, before its caller sees the outcome.
   * @param weight - how many calls it stands for (e.g. the reads one batched MGET serves): the
   *   outcome is counted that many times, as that many calls would have been, but classified,
   *   announced (one `success` or `failure` event) and reported to `onException` once, with
   *   `calls: weight` in the report's metadata when more than one
   */
  settle(call: CallRecord, ok: boolean, outcome: unknown, weight: number): void;
}
