/**
 * Timeout: bounds how long a call may take, and gives a caller's deadline budget teeth.
 * @module
 */
import { systemClock, type Clock } from '../core/clock';
import { defaultName, parseOptions, unusedExceptionFields } from '../core/config';
import type { ExecutionContext, InternalContext } from '../core/context';
import { OperationTimeoutError } from '../core/errors';
import { EventHub, type EventEmitter } from '../core/events';
import { registerInstance } from '../core/registry';
import { ExceptionHandler } from '../core/exceptions';
import { rootContext, runInContext, type ExecuteOptions, type Policy } from '../core/policy';
import { DeadlineList } from './deadline-list';
import type { TimeoutEvents } from './events';
import { TIMEOUT_DEFAULTS, timeoutOptionsSchema, type TimeoutOptions, type TimeoutStrategy } from './options';
import { TimedCall, type TimedCallOwner } from './timed-call';

/**
 * Limits each call to `timeoutMs`, or to the caller's remaining deadline budget when that is
 * shorter. When the time runs out it aborts `ctx.signal` with an {@link OperationTimeoutError}
 * and, with the default `aggressive` strategy, rejects the caller with it at once; the
 * `cooperative` strategy waits for `fn` to honour the signal.
 *
 * A caller's abort surfaces as the caller's own reason, never as a timeout. `fn` sees the
 * earlier of the two limits as `ctx.deadline`, to pass on to what it calls.
 *
 * Cost: no `AbortController` unless `fn` reads `ctx.signal`, and one timer per Timeout instance
 * shared by all of its in-flight calls (cleared when none is in flight), not one per call.
 *
 * @example
 * ```ts
 * const timeout = new Timeout({ timeoutMs: 250 });
 * const body = await timeout.execute(({ signal }) => fetch(url, { signal }).then((r) => r.text()));
 * ```
 */
export class Timeout implements Policy {
  /** Instance name, used in events, errors, logs and the registry. */
  readonly name: string;
  /** The kind of pattern: `'timeout'`. */
  readonly patternType = 'timeout' as const;
  /** Typed emitter of this instance's events: timeout. */
  readonly events: EventEmitter<TimeoutEvents>;
  /** The configured limit per call, in ms. */
  readonly timeoutMs: number;
  /** What happens when the time runs out. */
  readonly strategy: TimeoutStrategy;
  readonly #clock: Clock;
  readonly #handler: ExceptionHandler;
  readonly #hub: EventHub<TimeoutEvents>;
  readonly #deadlines: DeadlineList;
  readonly #owner: TimedCallOwner;

  /**
   * @param options - `timeoutMs` is required; see {@link TimeoutOptions}
   * @throws {@link ConfigError} naming every invalid option
   */
  constructor(options: TimeoutOptions) {
    const resolved = parseOptions(
      timeoutOptionsSchema,
      options,
      'Timeout options',
      unusedExceptionFields(['handle', 'ignore'], 'a Timeout never classifies the errors of the function it runs'),
    );
    this.name = resolved.name ?? defaultName('timeout');
    this.timeoutMs = resolved.timeoutMs;
    this.strategy = resolved.strategy ?? TIMEOUT_DEFAULTS.strategy;
    this.#clock = resolved.clock ?? systemClock;
    this.#handler = new ExceptionHandler(resolved.exceptions, 'timeout', this.name);
    this.#hub = new EventHub('timeout', this.name);
    this.events = this.#hub.emitter;
    registerInstance(this, resolved.registry);
    this.#deadlines = new DeadlineList(this.#clock);
    const deadlines = this.#deadlines;
    this.#owner = {
      cooperative: this.strategy === 'cooperative',
      track: (call) => deadlines.add(call, call.startedAt),
      untrack: (call) => deadlines.remove(call),
      expired: (call) => this.#expired(call),
      failedAfterTimeout: (call, cause) => this.#error(call, cause),
      toCaller: (call, error) => this.#toCaller(call, error),
    };
  }

  /**
   * Runs `fn` with a time limit.
   * @throws {@link OperationTimeoutError} when the time runs out (or what `exceptions.transform` makes of it)
   * @throws the caller's `signal.reason` when it aborts
   */
  execute<T>(fn: (ctx: ExecutionContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T> {
    const ctx = rootContext(options, this.#clock);
    if (ctx.scope?.aborted) return Promise.reject(ctx.scope.reason);
    return this[runInContext](fn, ctx);
  }

  /** @internal */
  [runInContext]<T>(fn: (ctx: InternalContext) => T | PromiseLike<T>, ctx: InternalContext): Promise<T> {
    if (ctx.scope?.aborted) return Promise.reject(ctx.scope.reason);
    const now = this.#clock.now();
    let expiresAt = now + this.timeoutMs;
    const byDeadline = ctx.deadline !== undefined && ctx.deadline < expiresAt;
    if (byDeadline) expiresAt = ctx.deadline as number;
    const call = new TimedCall(this.#owner, ctx, now, expiresAt, byDeadline);
    if (expiresAt <= now) return Promise.reject(this.#toCaller(call, this.#expired(call)));
    return call.run(fn);
  }

  /** Emits the timeout event; returns the error that aborts the call's signal. */
  #expired(call: TimedCall): Error {
    if (this.#hub.has('timeout')) {
      this.#hub.emit('timeout', this.#clock.now(), { timeoutMs: call.limitMs, trigger: triggerOf(call) });
    }
    return this.#error(call, undefined);
  }

  #error(call: TimedCall, cause: unknown): Error {
    return new OperationTimeoutError(this.name, call.limitMs, triggerOf(call), cause === undefined ? undefined : { cause });
  }

  #toCaller(call: TimedCall, error: Error): unknown {
    const metadata = { timeoutMs: call.limitMs, trigger: triggerOf(call), strategy: this.strategy };
    this.#handler.report('timedOut', error, metadata);
    return this.#handler.toCallerError('timedOut', error, metadata);
  }
}

function triggerOf(call: TimedCall): 'timeout' | 'deadline' {
  return call.byDeadline ? 'deadline' : 'timeout';
}
