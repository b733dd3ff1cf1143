/**
 * Options of a {@link Timeout}: schema and defaults.
 * @module
 */
import { z } from 'zod';
import { commonOptionsShape, positiveDurationMs, type CommonOptions } from '../core/config';

/**
 * What a Timeout does when its time runs out:
 * - `aggressive`: rejects the caller at once with {@link OperationTimeoutError} and aborts
 *   `ctx.signal`; `fn` may go on running in the background if it ignores the signal.
 * - `cooperative`: aborts `ctx.signal`, then waits for `fn` to settle; `fn` must honour the signal.
 */
export type TimeoutStrategy = 'aggressive' | 'cooperative';

/** Options of a {@link Timeout}. */
export interface TimeoutOptions extends CommonOptions {
  /** Time limit of each call, in ms; a caller's deadline budget may shorten it. */
  timeoutMs: number;
  /** What happens when the time runs out. @defaultValue `'aggressive'` */
  strategy?: TimeoutStrategy;
}

/** Defaults of {@link TimeoutOptions}. */
export const TIMEOUT_DEFAULTS = {
  /** Reject at the deadline without waiting for `fn`. */
  strategy: 'aggressive',
} as const;

/** Schema of {@link TimeoutOptions}. */
export const timeoutOptionsSchema = z.strictObject({
  ...commonOptionsShape,
  timeoutMs: positiveDurationMs,
  strategy: z.enum(['aggressive', 'cooperative']).optional(),
});
