/**
 * Options of a {@link Backpressure}: schema, defaults and the watermark cross-check.
 * @module
 */
import { z } from 'zod';
import { commonOptionsShape, durationMs, positiveInt, type CommonOptions, type CrossFieldCheck } from '../core/config';

/** Options of a {@link Backpressure}. */
export interface BackpressureOptions extends CommonOptions {
  /**
   * Pending units at which it pauses: once `pending` reaches this, new calls and `ready()` wait.
   * An integer ≥ 1.
   */
  highWaterMark: number;
  /**
   * Pending units at which a pause ends: waiting callers resume only once `pending` has fallen
   * to this or below. An integer ≥ 0, less than `highWaterMark`.
   * @defaultValue `Math.floor(highWaterMark / 2)`
   */
  lowWaterMark?: number;
  /**
   * Longest wait for a pause to end, in ms, for `execute` and `ready()` alike; then the caller is
   * rejected with {@link BackpressureTimeoutError} (reason `queueTimeout`). `0` rejects at once
   * while paused. A call's deadline (`ctx.deadline`) ends its wait earlier when it comes first
   * (reason `deadline`).
   * @defaultValue none: wait until the pause ends, the caller aborts or its deadline passes
   */
  maxWaitMs?: number;
  /**
   * Capture a stack trace for each {@link BackpressureTimeoutError}. Off by default: while paused,
   * many waits may run out together, and a stack costs microseconds each.
   * @defaultValue false
   */
  captureRejectionStacks?: boolean;
}

/** Defaults of {@link BackpressureOptions}. */
export const BACKPRESSURE_DEFAULTS = {
  /** `lowWaterMark` is this fraction of `highWaterMark`, rounded down (Netty's 32 KiB / 64 KiB marks). */
  lowWaterMarkRatio: 0.5,
} as const;

/** Schema of {@link BackpressureOptions}. @internal */
export const backpressureOptionsSchema = z.strictObject({
  ...commonOptionsShape,
  highWaterMark: positiveInt,
  lowWaterMark: z.number().int({ message: 'must be an integer ≥ 0' }).min(0, { message: 'must be an integer ≥ 0' }).optional(),
  maxWaitMs: durationMs.optional(),
  captureRejectionStacks: z.boolean().optional(),
});

/** `lowWaterMark` must be below `highWaterMark`; the issue names both fields. @internal */
export const backpressureCrossCheck: CrossFieldCheck = (options) => {
  const high = options['highWaterMark'];
  const low = options['lowWaterMark'];
  if (typeof high !== 'number' || typeof low !== 'number' || low < high) return [];
  const message = `lowWaterMark (${low}) must be less than highWaterMark (${high})`;
  return [
    { path: 'lowWaterMark', message },
    { path: 'highWaterMark', message },
  ];
};

/** The low watermark used when none is given. @internal */
export function defaultLowWaterMark(highWaterMark: number): number {
  return Math.floor(highWaterMark * BACKPRESSURE_DEFAULTS.lowWaterMarkRatio);
}
