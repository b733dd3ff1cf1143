/**
 * Events of a {@link Backpressure}.
 * @module
 */
import type { BulwarkEvent } from '../core/events';

/** `pending` reached the high watermark: new calls and `ready()` now wait. */
export interface BackpressurePauseEvent extends BulwarkEvent<'pause'> {
  /** Pending units when it paused: `highWaterMark`, or more when a producer added several at once. */
  readonly pending: number;
}

/** `pending` fell to the low watermark: waiting callers are let go. */
export interface BackpressureResumeEvent extends BulwarkEvent<'resume'> {
  /** Pending units when it resumed: `lowWaterMark` or less. */
  readonly pending: number;
  /** Callers about to be let go (`execute` callers and `ready()` callers together). */
  readonly waiting: number;
  /** How long it stayed paused, in ms. */
  readonly pausedMs: number;
}

/** A caller waited for a pause to end until its time ran out, and is rejected. */
export interface BackpressureTimeoutEvent extends BulwarkEvent<'timeout'> {
  /** How long it was allowed to wait, in ms. */
  readonly timeoutMs: number;
  /** Whether the Backpressure's own `timeoutMs` or the call's deadline set that time. */
  readonly trigger: 'timeout' | 'deadline';
}

/** Event map of {@link Backpressure.events}. */
export type BackpressureEvents = {
  /** It paused. */
  pause: BackpressurePauseEvent;
  /** It resumed. */
  resume: BackpressureResumeEvent;
  /** A waiting caller timed out. */
  timeout: BackpressureTimeoutEvent;
};
