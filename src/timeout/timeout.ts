/**
 * Timeout: bounds how long a call may take, and gives a caller's deadline budget teeth.
 * @module
 */
import { judgesNoOutcome, parseOptions } from '../core/config';
import type { InternalContext } from '../core/context';
import type { Operation } from '../core/operation';
import { Pattern } from '../core/pattern';
import { DeadlineList } from './deadline-list';
import type { TimeoutEvents } from './events';
import { inlineLimit, type InlineTimeout } from './inline';
import { OperationTimeoutError } from './operation-timeout-error';
import { TIMEOUT_DEFAULTS, timeoutOptionsSchema, type TimeoutOptions, type TimeoutStrategy } from './options';
import type { TimeoutStats } from './stats';
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
export class Timeout extends Pattern<TimeoutEvents, TimeoutStats> {
  /** The kind of pattern: `'timeout'`. */
  declare readonly patternType: 'timeout';
  /** The configured limit per call, in ms. */
  readonly timeoutMs: number;
  /** What happens when the time runs out. */
  readonly strategy: TimeoutStrategy;
  readonly #deadlines: DeadlineList;
  readonly #owner: TimedCallOwner;
  /** Undefined for a cooperative Timeout, which must wait for `fn`: only `execute` does that. */
  readonly #inline: InlineTimeout | undefined;
  #timedOut = 0;

  /**
   * @param options - `timeoutMs` is required; see {@link TimeoutOptions}
   * @throws {@link ConfigError} naming every invalid option
   */
  constructor(options: TimeoutOptions) {
    const resolved = parseOptions(timeoutOptionsSchema, options, 'Timeout options', judgesNoOutcome('a Timeout'));
    super('timeout', resolved);
    this.timeoutMs = resolved.timeoutMs;
    this.strategy = resolved.strategy ?? TIMEOUT_DEFAULTS.strategy;
    this.#deadlines = new DeadlineList(this.clock);
    const deadlines = this.#deadlines;
    this.#owner = {
      cooperative: this.strategy === 'cooperative',
      track: (call) => deadlines.add(call, call.startedAt),
      untrack: (call) => deadlines.remove(call),
      expired: (call) => this.#expired(call.limitMs, triggerOf(call)),
      failedAfterTimeout: (call, cause) => this.#error(call.limitMs, triggerOf(call), cause),
      toCaller: (call, error) => this.#toCaller(call.limitMs, triggerOf(call), error),
    };
    const timeoutMs = this.timeoutMs;
    this.#inline = this.strategy === 'cooperative'
      ? undefined
      : {
          clock: this.clock,
          deadlines,
          expired: () => this.#toCaller(timeoutMs, 'timeout', this.#expired(timeoutMs, 'timeout')),
        };
    this.register(resolved.registry);
  }

  /**
   * @internal The Timeout's limit for a caller that runs the call itself (see
   * {@link InlineTimeout}); undefined for a cooperative Timeout.
   */
  get [inlineLimit](): InlineTimeout | undefined {
    return this.#inline;
  }

  /** Counters; see {@link TimeoutStats}. */
  stats(): TimeoutStats {
    return { timeoutMs: this.timeoutMs, inFlight: this.#deadlines.length, timedOut: this.#timedOut };
  }

  /**
   * Runs `fn` with a time limit (see {@link Pattern.execute}).
   * @throws {@link OperationTimeoutError} when the time runs out (or what `exceptions.transform` makes of it)
   * @throws the caller's `signal.reason` when it aborts
   */
  protected run<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    const now = this.clock.now();
    let expiresAt = now + this.timeoutMs;
    const byDeadline = ctx.deadline !== undefined && ctx.deadline < expiresAt;
    if (byDeadline) expiresAt = ctx.deadline as number;
    const call = new TimedCall(this.#owner, ctx, now, expiresAt, byDeadline);
    if (expiresAt <= now) {
      const trigger = triggerOf(call);
      return Promise.reject(this.#toCaller(call.limitMs, trigger, this.#expired(call.limitMs, trigger)));
    }
    return call.run(fn);
  }

  /** Counts and emits the timeout of a call that had `limitMs`; returns the error that aborts its signal. */
  #expired(limitMs: number, trigger: Trigger): Error {
    this.#timedOut++;
    if (this.hub.has('timeout')) {
      this.hub.emit('timeout', this.clock.now(), { timeoutMs: limitMs, trigger });
    }
    return this.#error(limitMs, trigger, undefined);
  }

  #error(limitMs: number, trigger: Trigger, cause: unknown): Error {
    return new OperationTimeoutError(this.name, limitMs, trigger, cause === undefined ? undefined : { cause });
  }

  #toCaller(limitMs: number, trigger: Trigger, error: Error): unknown {
    const metadata = { timeoutMs: limitMs, trigger, strategy: this.strategy };
    this.exceptions.report('timedOut', error, metadata);
    return this.exceptions.toCallerError('timedOut', error, metadata);
  }
}

/** What set the limit of a call: the Timeout's own `timeoutMs`, or the caller's deadline. */
type Trigger = 'timeout' | 'deadline';

function triggerOf(call: TimedCall): Trigger {
  return call.byDeadline ? 'deadline' : 'timeout';
}
