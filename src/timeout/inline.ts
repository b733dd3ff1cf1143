/**
 * A Timeout's limit for a caller that runs its calls itself instead of through `execute` (the
 * fused policy of a guarded Redis client): the caller puts each call in the Timeout's
 * {@link DeadlineList}, takes it out when the call settles, and when the list expires it asks the
 * Timeout what the caller receives, as an aggressive Timeout's own calls do.
 * @module
 * @internal
 */
import type { Clock } from '../core/clock';
import type { DeadlineList } from './deadline-list';

/** Key of a Timeout's {@link InlineTimeout}. @internal */
export const inlineLimit: unique symbol = Symbol('bulwark.timeout.inlineLimit');

/** What a caller that runs calls itself needs of a Timeout. @internal */
export interface InlineTimeout {
  /** The Timeout's clock: a call expires at `clock.now() + timeoutMs` read when it starts. */
  readonly clock: Clock;
  /** The calls in flight under the Timeout, served by its one timer (what `stats().inFlight` counts). */
  readonly deadlines: DeadlineList;
  /**
   * A call without a caller's deadline ran out of time: counts it, emits `timeout`, reports it to
   * `onException` and returns what its caller receives (the {@link OperationTimeoutError}, or
   * what `transform` makes of it).
   */
  expired(): unknown;
}
