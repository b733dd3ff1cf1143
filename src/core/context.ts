/**
 * The execution context handed to every function a policy runs, and the cancellation scopes behind
 * its `signal`.
 *
 * Creating an `AbortSignal` costs microseconds in Node, so no context creates one until someone
 * reads `ctx.signal`. Cancellation between policies travels through {@link CancelScope}s instead:
 * the caller's signal (wrapped once per call) or a Timeout's own scope. Lifetimes: a scope's
 * listeners are added by the policy that needs them and removed by that policy when its call ends.
 * @module
 * @internal
 */

/** How urgent a call is; load shedding drops `low` first and `critical` last. */
export type Priority = 'critical' | 'high' | 'normal' | 'low';

/** What a policy passes to the function it runs. */
export interface ExecutionContext {
  /** Aborts when the caller aborts or an enclosing policy (e.g. a Timeout) gives up on the call. */
  readonly signal: AbortSignal;
  /** 1 for the first try; the innermost enclosing Retry increments it. */
  readonly attempt: number;
  /** Partition key (rate limits, per-user bulkheads), from {@link ExecuteOptions.key}. */
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
