/**
 * Events of a {@link Fallback}.
 * @module
 */
import type { BulwarkEvent } from '../core/events';

/** A call failed with a handled error and the fallback value was used instead. */
export interface FallbackEvent extends BulwarkEvent<'fallback'> {
  /** The error the fallback replaced. */
  readonly error: unknown;
}

/** Event map of {@link Fallback.events}. */
export type FallbackEvents = {
  /** A failure was replaced by the fallback value. */
  fallback: FallbackEvent;
};
