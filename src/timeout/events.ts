/**
 * Events of a {@link Timeout}.
 * @module
 */
import type { BulwarkEvent } from '../core/events';

/** A Timeout's time ran out for a call. */
export interface TimeoutEvent extends BulwarkEvent<'timeout'> {
  /** How long the call had, in ms. */
  readonly timeoutMs: number;
  /** Whether the Timeout's own `timeoutMs` or the caller's deadline budget set the limit. */
  readonly trigger: 'timeout' | 'deadline';
}

/** Event map of {@link Timeout.events}. */
export type TimeoutEvents = {
  /** A call's time ran out. */
  timeout: TimeoutEvent;
};
