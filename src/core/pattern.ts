/**
 * The pattern kit: the one way a bulwark pattern is made. A pattern class extends {@link Pattern}
 * and writes only what is particular to it: its options, its `run` (the call path once the call
 * is known not to be aborted), its `stats()`, and, where it has them, its `health()` and
 * `dispose()`. The kit gives it the rest: name, clock, exception handler, events on the instance
 * and the bus, registration, the entry through `execute` with its abort pre-check, and the
 * announcement of refusals.
 *
 * A pattern's constructor parses its options, calls `super(patternType, options)`, sets its own
 * fields, and ends with `this.register(options.registry)`.
 *
 * Polly's `ResilienceStrategy` (one safe run path around an abstract `ExecuteCore`) and
 * cockatiel's `Executor` are the models.
 * @module
 * @internal
 */
import { systemClock, type Clock } from './clock';
import { defaultName, type CommonOptions } from './config';
import { rootContext, type ExecuteOptions, type ExecutionContext, type InternalContext } from './context';
import type { RejectedError } from './errors';
import { EventHub, type BulwarkEvent, type EventEmitter } from './events';
import { ExceptionHandler } from './exceptions';
import type { Operation } from './operation';
import { runInContext, type ContextualPolicy } from './policy';
import { registerInstance, type PatternHealth, type Registrable, type Registry } from './registry';

/** An event map: event name to event object. */
type EventMap<Events> = { [K in keyof Events]: BulwarkEvent<K & string> };

/** The common options as a pattern's schema parsed them. */
type ParsedCommonOptions = { readonly [K in keyof CommonOptions]?: CommonOptions[K] | undefined };

/**
 * The fields of a pattern's `rejected` event besides the common ones and `reason`: what
 * {@link Pattern.refusal} takes. `never` for a pattern without a `rejected` event.
 */
type RejectionDetails<Events> = Events extends { rejected: infer Event } ? Omit<Event, keyof BulwarkEvent | 'reason'> : never;

/**
 * Base class of every pattern. `Events` is the pattern's event map, `Stats` what `stats()`
 * returns.
 */
export abstract class Pattern<Events extends EventMap<Events>, Stats extends object>
  implements ContextualPolicy, Registrable
{
  /** Instance name, used in events, errors, logs and the registry. */
  readonly name: string;
  /** The kind of pattern, e.g. `'retry'`: the prefix of its events on the bus. */
  readonly patternType: string;
  /** Typed emitter of this instance's events. */
  readonly events: EventEmitter<Events>;
  /** The time source: the `clock` option, or the system clock. */
  protected readonly clock: Clock;
  /** Applies the `exceptions` option. */
  protected readonly exceptions: ExceptionHandler;
  /** Emits events to the instance's listeners and the bus, building nothing when nobody listens. */
  protected readonly hub: EventHub<Events>;

  /**
   * @param patternType - the kind of pattern, e.g. `'retry'`
   * @param options - the parsed common options (`name`, `clock`, `exceptions`, `registry`)
   */
  protected constructor(patternType: string, options: ParsedCommonOptions) {
    this.patternType = patternType;
    this.name = options.name ?? defaultName(patternType);
    this.clock = options.clock ?? systemClock;
    this.exceptions = new ExceptionHandler(options.exceptions, patternType, this.name);
    this.hub = new EventHub(patternType, this.name);
    this.events = this.hub.emitter;
  }

  /**
   * Registers the instance as its `registry` option asks. The last line of every pattern's
   * constructor, so that a registry never holds (nor replaces a live instance with) one whose
   * construction failed.
   */
  protected register(registry: Registry | false | undefined): void {
    registerInstance(this, registry);
  }

  /**
   * Runs `fn` under this pattern.
   * @param fn - the operation; it receives the {@link ExecutionContext} and may be sync or async
   * @param options - per-call signal, key, priority and time budget
   * @throws the caller's `signal.reason` when it has already aborted, and when it aborts while
   *   the call waits; otherwise see the pattern
   */
  execute<T>(fn: (ctx: ExecutionContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T> {
    const ctx = rootContext(options, this.clock);
    const scope = ctx.scope;
    if (scope !== undefined && scope.aborted) return Promise.reject(scope.reason);
    return this.run(fn, ctx);
  }

  /**
   * Runs `fn` inside a context built by an enclosing policy (see {@link compose}), with the same
   * abort pre-check as `execute`. The check is written in both entries rather than behind a shared
   * helper: the extra call measured about 5 % of a whole call in a process that runs every pattern.
   * @internal
   */
  [runInContext]<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    const scope = ctx.scope;
    if (scope !== undefined && scope.aborted) return Promise.reject(scope.reason);
    return this.run(fn, ctx);
  }

  /** What the pattern does with a call that has not been aborted. */
  protected abstract run<T>(fn: Operation<T>, ctx: InternalContext): Promise<T>;

  /** Counters and state, as plain data. */
  abstract stats(): Stats;

  /**
   * What the registry's health report says of this instance. Healthy by default; patterns with a
   * state that means trouble (an open circuit, an overloaded process) say so.
   */
  health(): PatternHealth {
    return HEALTHY;
  }

  /**
   * Stops the instance's background work (timers, samplers). Calls in flight are unaffected.
   * Idempotent; a no-op for patterns that keep no background work.
   */
  dispose(): void {}

  /** Same as `dispose()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }

  /**
   * Whether anyone hears of a refusal: a `rejected` listener, `onException` or `transform`. When
   * nobody does, a refusal needs no details: build them only when this is true.
   */
  protected get rejectionObserved(): boolean {
    return this.exceptions.reports || this.exceptions.transforms || this.hub.has('rejected' as keyof Events & string);
  }

  /**
   * Announces a refusal and returns what its caller receives: emits `rejected` with the error's
   * `reason` and `details`, tells `onException` (as `exceptionReason`, with the same `reason` and
   * `details` as metadata), and applies `transform`. Pass `details` only when
   * {@link Pattern.rejectionObserved}; without them the error is returned as it is.
   */
  protected refusal(error: RejectedError, exceptionReason: string, details: RejectionDetails<Events> | undefined): unknown {
    if (details === undefined) return error;
    const reason = error.reason;
    const hub = this.hub;
    const type = 'rejected' as keyof Events & string;
    if (hub.has(type)) {
      hub.emit(type, this.clock.now(), { reason, ...details } as unknown as Omit<Events[typeof type], keyof BulwarkEvent>);
    }
    const exceptions = this.exceptions;
    if (!exceptions.reports && !exceptions.transforms) return error;
    const metadata: Readonly<Record<string, unknown>> = { reason, ...details };
    if (exceptions.reports) exceptions.report(exceptionReason, error, metadata);
    return exceptions.toCallerError(exceptionReason, error, metadata);
  }
}

/** The health of a pattern with nothing to report. */
const HEALTHY: PatternHealth = Object.freeze({ healthy: true });
