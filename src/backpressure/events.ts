/**
 * Events of a {@link Backpressure}.
 * @module
 */
import type { BulwarkEvent } from '../core/events';
import type { BackpressureRejectionReason } from './backpressure-timeout-error';

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
  readonly queued: number;
  /** How long it stayed paused, in ms. */
  readonly pausedMs: number;
}

/**
 * A caller waited for a pause to end until its time ran out, and is rejected with
 * {@link BackpressureTimeoutError}.
 */
export interface BackpressureRejectedEvent extends BulwarkEvent<'rejected'> {
  /**
   * What ended the wait: `queueTimeout` when it outlasted `maxWaitMs`, `deadline` when the call's
   * deadline came first. The same as the error's `reason`.
   */
  readonly reason: BackpressureRejectionReason;
  /** How long it waited, in ms (0 when it could not wait at all). */
  readonly waitedMs: number;
  /** Pending units when it was rejected. */
  readonly pending: number;
  /** Callers still waiting (`execute` callers and `ready()` callers together). */
  readonly queued: number;
}

/** Event map of {@link Backpressure.events}. */
export type BackpressureEvents = {
  /** It paused. */
  pause: BackpressurePauseEvent;
  /** It resumed. */
  resume: BackpressureResumeEvent;
  /** A waiting caller ran out of time and was rejected. */
  rejected: BackpressureRejectedEvent;
};
