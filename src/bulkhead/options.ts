/**
 * Options of a {@link Bulkhead}: schema and defaults.
 * @module
 */
import { z } from 'zod';
import { MAX_TIMER_DELAY_MS } from '../core/clock';
import { commonOptionsShape, positiveDurationMs, positiveInt, type CommonOptions } from '../core/config';

/** Options of a {@link Bulkhead}. */
export interface BulkheadOptions extends CommonOptions {
  /** Calls that may run at once. @defaultValue 10 */
  maxInFlight?: number;
  /**
   * Calls that may wait for a slot when all are busy; a call that finds the queue full is rejected
   * at once. 0 rejects every call that finds no free slot. @defaultValue 0
   */
  maxQueue?: number;
  /**
   * Longest time a call may wait in the queue, in ms; a caller's deadline budget may shorten it.
   * @defaultValue none: a queued call waits until it gets a slot, its caller aborts or its deadline passes
   */
  maxWaitMs?: number;
  /**
   * Capture a stack trace for each {@link BulkheadRejectedError}. Off by default: an overloaded
   * bulkhead may reject thousands of calls a second, and a stack costs microseconds each.
   * @defaultValue false
   */
  captureRejectionStacks?: boolean;
}

/** Defaults of {@link BulkheadOptions}. */
export const BULKHEAD_DEFAULTS = {
  /** Calls that may run at once. */
  maxInFlight: 10,
  /** No queue: a call that finds every slot busy is rejected at once. */
  maxQueue: 0,
} as const;

/** Schema of {@link BulkheadOptions}. */
export const bulkheadOptionsSchema = z.strictObject({
  ...commonOptionsShape,
  maxInFlight: positiveInt.optional(),
  maxQueue: z.number().int({ message: 'must be an integer ≥ 0' }).min(0, { message: 'must be an integer ≥ 0' }).optional(),
  maxWaitMs: positiveDurationMs
    .max(MAX_TIMER_DELAY_MS, { message: `must be ≤ ${MAX_TIMER_DELAY_MS} (the longest timer delay)` })
    .optional(),
  captureRejectionStacks: z.boolean().optional(),
});
