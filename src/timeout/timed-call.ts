/**
 * One call running under a Timeout: its execution context, the cancellation scope of everything
 * it runs, and its entry in the Timeout's {@link DeadlineList}, all in one object so that a call
 * allocates little.
 *
 * Lifetimes: the call listens to its parent scope (the caller's signal or an enclosing Timeout)
 * and sits in the deadline list only while `fn` runs; {@link TimedCall.finish} removes both
 * before the caller's promise settles.
 * @module
 * @internal
 */
import type { AbortListener, CancelScope, InternalContext, Priority } from '../core/context';
import { OwnCancelScope } from '../core/own-cancel-scope';
import { isPromiseLike } from '../core/promise-like';
import { NOT_LISTED, type DeadlineEntry } from './deadline-list';

/** What a TimedCall needs from the Timeout that owns it. */
export interface TimedCallOwner {
  readonly cooperative: boolean;
  /** Puts the call in the deadline list. */
  track(call: TimedCall): void;
  /** Takes the call out of the deadline list. */
  untrack(call: TimedCall): void;
  /** Emits the timeout event and returns the error that aborts the call's signal. */
  expired(call: TimedCall): Error;
  /** A timeout error for a cooperative call that failed with `cause` after the time ran out. */
  failedAfterTimeout(call: TimedCall, cause: unknown): Error;
  /** Reports a timeout error and returns what the caller receives instead of it. */
  toCaller(call: TimedCall, error: Error): unknown;
}

/** A call under a Timeout; see the module comment. */
export class TimedCall extends OwnCancelScope implements InternalContext, AbortListener, DeadlineEntry {
  readonly attempt: number;
  readonly key: string | undefined;
  readonly priority: Priority;
  /** The earlier of the caller's deadline and this Timeout's limit. */
  readonly deadline: number;
  readonly expiresAt: number;
  /** How long the call has, in ms. */
  readonly limitMs: number;
  /** Whether the caller's deadline, not the Timeout's own `timeoutMs`, set the limit. */
  readonly byDeadline: boolean;
  /** When the call started, in ms since the epoch. */
  readonly startedAt: number;
  previousEntry: DeadlineEntry | undefined;
  nextEntry: DeadlineEntry | undefined;
  listPosition = NOT_LISTED;
  abortedByCaller = false;
  readonly #owner: TimedCallOwner;
  readonly #parent: CancelScope | undefined;
  #resolve: ((value: unknown) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;
  /** Set once the caller's promise is settled (or about to be, for a synchronous `fn`). */
  #settled = false;
  /** Why the call ends early: its own time ran out, or its parent aborted; undefined while neither. */
  #endedBy: 'timeout' | 'parent' | undefined;

  constructor(owner: TimedCallOwner, parent: InternalContext, startedAt: number, expiresAt: number, byDeadline: boolean) {
    super();
    this.#owner = owner;
    this.startedAt = startedAt;
    this.#parent = parent.scope;
    this.attempt = parent.attempt;
    this.key = parent.key;
    this.priority = parent.priority;
    this.deadline = expiresAt;
    this.expiresAt = expiresAt;
    this.limitMs = Math.max(0, expiresAt - startedAt);
    this.byDeadline = byDeadline;
  }

  /** Its own scope: what it runs is cancelled by it. */
  get scope(): CancelScope {
    return this;
  }

  /**
   * Runs `fn` in this context and returns the promise the caller receives. Only a call whose `fn`
   * went asynchronous enters the deadline list and listens to its parent.
   */
  run<T>(fn: (ctx: InternalContext) => T | PromiseLike<T>): Promise<T> {
    let adopted: Promise<T>;
    try {
      const value = fn(this);
      if (!isPromiseLike(value)) return Promise.resolve(value);
      // Adopted inside the try: a native promise whose `constructor` getter throws rejects here,
      // before the call is tracked, instead of leaving a tracked call that later "times out".
      adopted = Promise.resolve(value);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#owner.track(this);
    this.#parent?.listen(this);
    return new Promise<T>((resolve, reject) => {
      this.#resolve = resolve as (value: unknown) => void;
      this.#reject = reject;
      adopted.then(
        (result) => this.#fnSettled(true, result),
        (error: unknown) => this.#fnSettled(false, error),
      );
    });
  }

  /** Called by the deadline list when the time ran out. */
  expire(): void {
    if (this.#endedBy !== undefined) return;
    this.#endedBy = 'timeout';
    this.#parent?.unlisten(this);
    const error = this.#owner.expired(this);
    this.cancel(error);
    if (!this.#owner.cooperative) this.#settle(false, this.#owner.toCaller(this, error));
  }

  /** Called when the parent scope aborts: the caller's signal, or an enclosing Timeout. */
  handleEvent(): void {
    if (this.#endedBy !== undefined) return;
    this.#endedBy = 'parent';
    this.#owner.untrack(this);
    this.abortedByCaller = this.#parent?.abortedByCaller === true;
    const reason = this.#parent?.reason;
    this.cancel(reason);
    if (!this.#owner.cooperative) this.#settle(false, reason);
  }

  #fnSettled(ok: boolean, outcome: unknown): void {
    if (this.#settled) return;
    if (this.#endedBy === undefined) {
      this.#owner.untrack(this);
      this.#parent?.unlisten(this);
      this.#settle(ok, outcome);
    } else if (ok) {
      this.#settle(true, outcome);
    } else if (this.#endedBy === 'timeout') {
      this.#settle(false, this.#owner.toCaller(this, this.#owner.failedAfterTimeout(this, outcome)));
    } else {
      this.#settle(false, this.reason);
    }
  }

  #settle(ok: boolean, outcome: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    if (ok) this.#resolve?.(outcome);
    else this.#reject?.(outcome);
  }
}
