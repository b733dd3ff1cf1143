/**
 * Options of a {@link Fallback}: schema.
 * @module
 */
import { z } from 'zod';
import { commonOptionsShape, type CommonOptions } from '../core/config';
import type { ExecutionContext } from '../core/context';

/** Computes the value a {@link Fallback} returns instead of a handled failure. */
export type FallbackFunction<R> = (error: unknown, ctx: ExecutionContext) => R | PromiseLike<R>;

/** Options of a {@link Fallback}. */
export interface FallbackOptions<R = unknown> extends CommonOptions {
  /**
   * What to return when the call fails with a handled error: a function `(error, ctx) => value`
   * (sync or async), or the value itself. To return a function as the value, wrap it:
   * `fallback: () => myFunction`.
   */
  fallback: FallbackFunction<R> | R;
}

/** Schema of {@link FallbackOptions}. */
export const fallbackOptionsSchema = z.strictObject({
  ...commonOptionsShape,
  fallback: z.custom<unknown>((value) => value !== undefined, { message: 'is required (a value or a function)' }),
});
