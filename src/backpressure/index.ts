/**
 * Backpressure: pauses callers and producers between high and low water marks.
 *
 * Guide: [backpressure.md](../../docs/backpressure.md).
 * @module backpressure
 */
export { Backpressure } from './backpressure';
export type { BackpressureStats } from './stats';
export { BackpressureTimeoutError, type BackpressureRejectionReason } from './backpressure-timeout-error';
export { BACKPRESSURE_DEFAULTS, type BackpressureOptions } from './options';
export type { BackpressureEvents, BackpressurePauseEvent, BackpressureResumeEvent, BackpressureRejectedEvent } from './events';
