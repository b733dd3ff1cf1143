/**
 * Fallback: replaces a handled failure with a value.
 * @module
 */
import { systemClock, type Clock } from '../core/clock';
import { defaultName, parseOptions, unusedExceptionFields } from '../core/config';
import type { ExecutionContext, InternalContext } from '../core/context';
import { EventHub, type EventEmitter } from '../core/events';
import { registerInstance } from '../core/registry';
import { ExceptionHandler } from '../core/exceptions';
import { isPromiseLike } from '../core/promise-like';
import { rootContext, runInContext, type ExecuteOptions, type Policy } from '../core/policy';
import type { FallbackEvents } from './events';
import { fallbackOptionsSchema, type FallbackFunction, type FallbackOptions } from './options';

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
export class Fallback<R = unknown> implements Policy {
  /** Instance name, used in events, errors, logs and the registry. */
  readonly name: string;
  /** The kind of pattern: `'fallback'`. */
  readonly patternType = 'fallback' as const;
  /** Typed emitter of this instance's events: fallback. */
  readonly events: EventEmitter<FallbackEvents>;
  readonly #fallback: FallbackFunction<R>;
  readonly #clock: Clock;
  readonly #handler: ExceptionHandler;
  readonly #hub: EventHub<FallbackEvents>;

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
    this.name = resolved.name ?? defaultName('fallback');
    const fallback = resolved.fallback;
    this.#fallback = typeof fallback === 'function' ? (fallback as FallbackFunction<R>) : () => fallback as R;
    this.#clock = resolved.clock ?? systemClock;
    this.#handler = new ExceptionHandler(resolved.exceptions, 'fallback', this.name);
    this.#hub = new EventHub('fallback', this.name);
    this.events = this.#hub.emitter;
    registerInstance(this, resolved.registry);
  }

  /**
   * Runs `fn`; on a handled failure returns the fallback value instead.
   * @returns `fn`'s result, or the fallback value (typed as `T`: keep the two compatible)
   * @throws errors the handler does not handle, the caller's abort reason, or the fallback's own error
   */
  execute<T>(fn: (ctx: ExecutionContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T> {
    const ctx = rootContext(options, this.#clock);
    if (ctx.scope?.aborted) return Promise.reject(ctx.scope.reason);
    return this[runInContext](fn, ctx);
  }

  /** @internal */
  [runInContext]<T>(fn: (ctx: InternalContext) => T | PromiseLike<T>, ctx: InternalContext): Promise<T> {
    let value: T | PromiseLike<T>;
    try {
      value = fn(ctx);
    } catch (error) {
      return this.#recover(error, ctx);
    }
    if (!isPromiseLike(value)) return Promise.resolve(value);
    return Promise.resolve(value).then(undefined, (error: unknown) => this.#recover<T>(error, ctx));
  }

  async #recover<T>(error: unknown, ctx: InternalContext): Promise<T> {
    if (ctx.scope?.aborted) throw ctx.scope.reason;
    if (!this.#handler.handles(error)) throw error;
    this.#handler.report('callFailed', error);
    if (this.#hub.has('fallback')) this.#hub.emit('fallback', this.#clock.now(), { error });
    return (await this.#fallback(error, ctx)) as unknown as T;
  }
}
