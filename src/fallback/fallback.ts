/**
 * Fallback: replaces a handled failure with a value.
 * @module
 */
import { parseOptions, unusedExceptionFields } from '../core/config';
import type { InternalContext } from '../core/context';
import { runOperation, type Operation } from '../core/operation';
import { Pattern } from '../core/pattern';
import type { FallbackEvents } from './events';
import { fallbackOptionsSchema, type FallbackFunction, type FallbackOptions } from './options';
import type { FallbackStats } from './stats';

/**
 * Returns `fallback(error, ctx)` (or the fallback value) when the call fails with an error the
 * exception handler handles (every error by default); other errors, and a caller's abort, reach
 * the caller unchanged. An error thrown by the fallback function itself reaches the caller too.
 *
 * Put it outermost in a composition so that it catches what the inner policies give up on.
 *
 * @typeParam R - type of the fallback value
 * @example
 * ```ts
 * const cached = new Fallback({ fallback: () => lastKnownPrices });
 * const prices = await cached.execute(() => pricing.fetchAll());
 * ```
 */
export class Fallback<R = unknown> extends Pattern<FallbackEvents, FallbackStats> {
  /** The kind of pattern: `'fallback'`. */
  declare readonly patternType: 'fallback';
  readonly #fallback: FallbackFunction<R>;
  #fallbacks = 0;

  /**
   * @param options - `fallback` is required; see {@link FallbackOptions}
   * @throws {@link ConfigError} naming every invalid option
   */
  constructor(options: FallbackOptions<R>) {
    const resolved = parseOptions(
      fallbackOptionsSchema,
      options,
      'Fallback options',
      unusedExceptionFields(['transform'], 'a Fallback replaces handled failures and passes the rest through unchanged'),
    );
    super('fallback', resolved);
    const fallback = resolved.fallback;
    this.#fallback = typeof fallback === 'function' ? (fallback as FallbackFunction<R>) : () => fallback as R;
    this.register(resolved.registry);
  }

  /** Counters; see {@link FallbackStats}. */
  stats(): FallbackStats {
    return { fallbacks: this.#fallbacks };
  }

  /**
   * Runs `fn`; on a handled failure returns the fallback value instead (typed as `T`: keep the two
   * compatible). Throws errors the handler does not handle, the caller's abort reason, or the
   * fallback's own error.
   */
  protected run<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    return runOperation(fn, ctx, undefined, (error) => this.#recover<T>(error, ctx));
  }

  async #recover<T>(error: unknown, ctx: InternalContext): Promise<T> {
    if (ctx.scope?.aborted) throw ctx.scope.reason;
    if (!this.exceptions.handles(error)) throw error;
    this.exceptions.report('callFailed', error);
    if (this.hub.has('fallback')) this.hub.emit('fallback', this.clock.now(), { error });
    const value = (await this.#fallback(error, ctx)) as unknown as T;
    this.#fallbacks++;
    return value;
  }
}
