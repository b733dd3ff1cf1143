/**
 * The execution context handed to every function a policy runs, the per-call options it is built
 * from, and the cancellation scopes behind its `signal`.
 *
 * Creating an `AbortSignal` costs microseconds in Node, so no context creates one until someone
 * reads `ctx.signal`. Cancellation between policies travels through {@link CancelScope}s instead:
 * the caller's signal (wrapped once per call) or a Timeout's own scope. Lifetimes: a scope's
 * listeners are added by the policy that needs them and removed by that policy when its call ends.
 * @module
 * @internal
 */
import type { Clock } from './clock';
import { describeValue } from './config';
import { ConfigError, type ConfigIssue } from './errors';

/** How urgent a call is; load shedding drops `low` first and `critical` last. */
export type Priority = 'critical' | 'high' | 'normal' | 'low';

/** What a policy passes to the function it runs. */
export interface ExecutionContext {
  /** Aborts when the caller aborts or an enclosing policy (e.g. a Timeout) gives up on the call. */
  readonly signal: AbortSignal;
  /** 1 for the first try; the innermost enclosing Retry increments it. */
  readonly attempt: number;
  /**
   * Partition key (rate limits, per-user bulkheads), from {@link ExecuteOptions.key}; a number
   * given there arrives here as its decimal string, so that `42` and `'42'` are one key.
   */
  readonly key?: string | undefined;
  /** How urgent the call is; `'normal'` unless {@link ExecuteOptions.priority} says otherwise. */
  readonly priority: Priority;
  /**
   * Time (ms since the epoch) by which the whole call must end, or undefined when there is no
   * budget: the caller's {@link ExecuteOptions.deadline} / `timeoutMs`, shortened by any enclosing
   * Timeout. Pass what is left of it to what `fn` calls, e.g. a Redis command timeout.
   */
  readonly deadline?: number | undefined;
}

/**
 * Per-call options of `execute`. Each is checked when the call starts: a value of the wrong type
 * (or NaN, or a negative `timeoutMs`) rejects the call with a {@link ConfigError} naming every bad
 * option, before anything runs. Unknown fields are not checked (that would cost every call).
 */
export interface ExecuteOptions {
  /** Cancels the call: waits end at once and `fn` sees it as `ctx.signal`. */
  signal?: AbortSignal | undefined;
  /**
   * Partition key, e.g. a user id for rate limits: a string, or a finite number (`fn` sees it as
   * `ctx.key`, a number as its decimal string).
   */
  key?: string | number | undefined;
  /** How urgent the call is. @defaultValue `'normal'` */
  priority?: Priority | undefined;
  /** Absolute time budget for the whole pipeline, in ms since the epoch; not NaN. */
  deadline?: number | undefined;
  /**
   * The same budget, relative to now, in ms: ≥ 0, `Infinity` for none; with `deadline` too, the
   * earlier of the two wins.
   */
  timeoutMs?: number | undefined;
}

/** Something told when a {@link CancelScope} aborts; compatible with `EventTarget` listener objects. */
export interface AbortListener {
  handleEvent(): void;
}

/** Something that can cancel a call: the caller's signal, or an enclosing policy such as a Timeout. */
export interface CancelScope {
  /** Whether it has aborted. */
  readonly aborted: boolean;
  /** Why it aborted (the caller's reason, or the Timeout's error); undefined while not aborted. */
  readonly reason: unknown;
  /**
   * Whether it aborted because the caller did (its signal), as opposed to a policy giving up
   * (a Timeout's limit). A caller's abort says nothing about the dependency's health.
   */
  readonly abortedByCaller: boolean;
  /** An `AbortSignal` that mirrors the scope, created on first read. */
  readonly signal: AbortSignal;
  /** Calls `listener.handleEvent()` once when the scope aborts; remove it with {@link CancelScope.unlisten}. */
  listen(listener: AbortListener): void;
  /** Removes a listener added by {@link CancelScope.listen}; a no-op when it is not there. */
  unlisten(listener: AbortListener): void;
}

/** The scope of a caller's own `AbortSignal`: a thin view of it. */
export class SignalScope implements CancelScope {
  readonly signal: AbortSignal;

  constructor(signal: AbortSignal) {
    this.signal = signal;
  }

  get aborted(): boolean {
    return this.signal.aborted;
  }

  get reason(): unknown {
    return this.signal.aborted ? this.signal.reason : undefined;
  }

  get abortedByCaller(): boolean {
    return this.signal.aborted;
  }

  listen(listener: AbortListener): void {
    this.signal.addEventListener('abort', listener, { once: true });
  }

  unlisten(listener: AbortListener): void {
    this.signal.removeEventListener('abort', listener);
  }
}

/** An {@link ExecutionContext} as bulwark's own policies see it: with the scope that cancels it. */
export interface InternalContext extends ExecutionContext {
  /** What cancels functions run in this context; undefined when nothing can. */
  readonly scope: CancelScope | undefined;
}

/**
 * A context whose cancellation belongs to an enclosing scope (or to nothing). Immutable but for the
 * lazily created signal; policies derive new ones rather than change them.
 */
export class CallContext implements InternalContext {
  readonly attempt: number;
  readonly key: string | undefined;
  readonly priority: Priority;
  readonly deadline: number | undefined;
  readonly scope: CancelScope | undefined;
  #ownController: AbortController | undefined;

  constructor(
    attempt: number,
    key: string | undefined,
    priority: Priority,
    deadline: number | undefined,
    scope: CancelScope | undefined,
  ) {
    this.attempt = attempt;
    this.key = key;
    this.priority = priority;
    this.deadline = deadline;
    this.scope = scope;
  }

  /**
   * The scope's signal; with no scope, a signal of this call's own that never aborts (own, so that
   * listeners `fn` adds to it are collected with the call).
   */
  get signal(): AbortSignal {
    if (this.scope !== undefined) return this.scope.signal;
    this.#ownController ??= new AbortController();
    return this.#ownController.signal;
  }
}

/** A context like `ctx` but for try number `attempt`. */
export function withAttempt(ctx: InternalContext, attempt: number): InternalContext {
  return new CallContext(attempt, ctx.key, ctx.priority, ctx.deadline, ctx.scope);
}

/**
 * Builds the context for a call that enters bulwark through `execute`, checking its options. The
 * caller checks `ctx.scope?.aborted` before running anything, and that check also refuses a call
 * whose options are invalid: its context has a {@link RefusedScope}. A valid call pays one typeof
 * check (or comparison) per option it sets; a call without options, none.
 * @internal
 */
export function rootContext(options: ExecuteOptions | undefined, clock: Clock): InternalContext {
  // Small enough to inline into every `execute`; the options go to a function of their own.
  if (options === undefined) return new CallContext(1, undefined, 'normal', undefined, undefined);
  return contextWith(options, clock);
}

/** {@link rootContext} for a call with options. */
function contextWith(options: ExecuteOptions, clock: Clock): InternalContext {
  if (typeof options !== 'object' || options === null) return refusedContext(options);
  const { signal, key, priority, deadline, timeoutMs } = options;
  if (
    (signal !== undefined && !isSignal(signal)) ||
    (key !== undefined && typeof key !== 'string' && !Number.isFinite(key)) ||
    (priority !== undefined && !isPriority(priority)) ||
    (deadline !== undefined && !isDeadline(deadline)) ||
    (timeoutMs !== undefined && !isTimeoutMs(timeoutMs))
  ) {
    return refusedContext(options);
  }
  let budget = deadline;
  if (timeoutMs !== undefined) {
    const relative = clock.now() + timeoutMs;
    if (budget === undefined || relative < budget) budget = relative;
  }
  const scope = signal === undefined ? undefined : new SignalScope(signal);
  return new CallContext(1, typeof key === 'number' ? String(key) : key, priority ?? 'normal', budget, scope);
}

/**
 * The error for per-call options that are not valid {@link ExecuteOptions}, naming each bad
 * option; undefined when they are valid (then nothing is allocated).
 * @internal
 */
export function executeOptionsError(options: unknown): ConfigError | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    return new ConfigError(EXECUTE_OPTIONS, [{ path: '', message: `expected an object, got ${describeValue(options)}` }]);
  }
  let issues: ConfigIssue[] | undefined;
  for (const [option, isValid, expected] of OPTION_RULES) {
    const value = (options as Record<string, unknown>)[option];
    if (value !== undefined && !isValid(value)) {
      (issues ??= []).push({ path: option, message: `${expected}, got ${describeValue(value)}` });
    }
  }
  return issues === undefined ? undefined : new ConfigError(EXECUTE_OPTIONS, issues);
}

const EXECUTE_OPTIONS = 'execute options';

/** Each option, what makes its value valid, and what the error says it expected. */
const OPTION_RULES: ReadonlyArray<readonly [keyof ExecuteOptions, (value: unknown) => boolean, string]> = [
  ['signal', isSignal, 'expected an AbortSignal'],
  ['key', (value) => typeof value === 'string' || Number.isFinite(value), 'expected a string or a finite number'],
  ['priority', isPriority, "expected 'critical', 'high', 'normal' or 'low'"],
  ['deadline', isDeadline, 'expected a number of ms since the epoch, not NaN'],
  ['timeoutMs', isTimeoutMs, 'expected a number of ms ≥ 0 (Infinity: no budget)'],
];

/** An AbortSignal, of this realm or another (as Node's own APIs accept them): an object that can be listened to. */
function isSignal(value: unknown): value is AbortSignal {
  return typeof value === 'object' && value !== null && typeof (value as AbortSignal).addEventListener === 'function';
}

function isPriority(value: unknown): value is Priority {
  return value === 'normal' || value === 'high' || value === 'low' || value === 'critical';
}

/** A time in ms since the epoch; `Infinity` is no budget, and a past time (even `-Infinity`) one already spent. */
function isDeadline(value: unknown): value is number {
  return typeof value === 'number' && !Number.isNaN(value);
}

/** A budget in ms from now, `Infinity` being none; NaN fails the comparison. */
function isTimeoutMs(value: unknown): value is number {
  return typeof value === 'number' && value >= 0;
}

/** The context of a call refused for its options: see {@link RefusedScope}. */
function refusedContext(options: unknown): InternalContext {
  const error = executeOptionsError(options) as ConfigError;
  return new CallContext(1, undefined, 'normal', undefined, new RefusedScope(error));
}

/**
 * The scope of a call whose options are invalid: aborted from the start, with the
 * {@link ConfigError} as its reason, so that the abort pre-check every entry already makes
 * refuses the call (no check of its own on the common path). Never a caller's abort.
 */
class RefusedScope implements CancelScope {
  readonly aborted = true;
  readonly abortedByCaller = false;
  readonly reason: ConfigError;
  #signal: AbortSignal | undefined;

  constructor(reason: ConfigError) {
    this.reason = reason;
  }

  get signal(): AbortSignal {
    return (this.#signal ??= AbortSignal.abort(this.reason));
  }

  listen(): void {}

  unlisten(): void {}
}
