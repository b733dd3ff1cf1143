/**
 * How one guarded response ends, told by the adapter: the response finished (with its status),
 * the client disconnected first, or the handler threw. Whichever comes first settles it; the rest
 * are no-ops, so that the permits held for the request are released exactly once.
 * @module
 */
import { notifyListeners, removeListener } from '../core/abort-listeners';
import type { AbortListener } from '../core/context';
import { ignore } from '../core/ignore';

/** Where a response's end stands. */
type EndState = 'pending' | 'finished' | 'disconnected' | 'failed';

/**
 * The end of one guarded response. The guard's policies hold their permits (bulkhead slot,
 * concurrency permit, load shedder's in-flight count) until {@link ResponseEnd.promise} settles.
 *
 * Cost: neither the promise, the `AbortSignal` nor a disconnect's `AbortError` exists until
 * something asks for it; a disconnect reaches the policies waiting in a queue without any of them.
 */
export class ResponseEnd {
  #state: EndState = 'pending';
  /** The status once finished; the error once failed; the `AbortError` once disconnected and asked for. */
  #outcome: unknown;
  #promise: Promise<number> | undefined;
  #resolve: ((status: number) => void) | undefined;
  #reject: ((reason: unknown) => void) | undefined;
  #controller: AbortController | undefined;
  #listeners: AbortListener[] | undefined;

  /** Resolves with the status of the finished response; rejects when the client left or the handler threw. */
  get promise(): Promise<number> {
    if (this.#promise !== undefined) return this.#promise;
    const promise = this.awaitEnd();
    // Whoever reads it may never await it (a guard that refused the request): no unhandled rejection.
    promise.then(undefined, ignore);
    return promise;
  }

  /** Whether the end is known. */
  get settled(): boolean {
    return this.#state !== 'pending';
  }

  /**
   * Aborts when the client disconnects before the response has finished: passed to the policies,
   * so that a request waiting in a queue leaves it, and a breaker counts the call neither way.
   */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#state === 'disconnected') this.#controller.abort(this.#abortError());
    }
    return this.#controller.signal;
  }

  /** Whether the client disconnected first (the request's cancel scope). @internal */
  get aborted(): boolean {
    return this.#state === 'disconnected';
  }

  /** A disconnect is the caller's abort, never a policy's. @internal */
  get abortedByCaller(): boolean {
    return this.#state === 'disconnected';
  }

  /** The abort reason once the client disconnected first. @internal */
  get reason(): unknown {
    return this.#state === 'disconnected' ? this.#abortError() : undefined;
  }

  /** Calls `listener.handleEvent()` once, when the client disconnects first. @internal */
  listen(listener: AbortListener): void {
    (this.#listeners ??= []).push(listener);
  }

  /** Removes a listener added by `listen`. @internal */
  unlisten(listener: AbortListener): void {
    removeListener(this.#listeners, listener);
  }

  /** The response has been sent in full with `status`. */
  finished(status: number): void {
    if (this.#state !== 'pending') return;
    this.#state = 'finished';
    this.#outcome = status;
    this.ended();
    this.#resolve?.(status);
  }

  /** The client disconnected before the response was sent in full. */
  disconnected(): void {
    if (this.#state !== 'pending') return;
    this.#state = 'disconnected';
    this.#controller?.abort(this.#abortError());
    const listeners = this.#listeners;
    this.#listeners = undefined;
    notifyListeners(listeners);
    this.ended();
    this.#reject?.(this.#abortError());
  }

  /** The handler threw (or its promise rejected) with `error`. */
  failed(error: unknown): void {
    if (this.#state !== 'pending') return;
    this.#state = 'failed';
    this.#outcome = error;
    this.ended();
    this.#reject?.(error);
  }

  /** The reason of a disconnect, made on first use: what `AbortController.abort()` gives, an `AbortError`. */
  #abortError(): unknown {
    return (this.#outcome ??= new DOMException('This operation was aborted', 'AbortError'));
  }

  /**
   * Called once, when the end becomes known (finished, disconnected or failed), before the promise
   * settles: for a subclass that frees what it holds without waiting for the promise. @internal
   */
  protected ended(): void {}

  /**
   * {@link ResponseEnd.promise}, made on first use, for a caller that handles its rejection (the
   * guard hands it to the policies, which do).
   */
  protected awaitEnd(): Promise<number> {
    if (this.#promise !== undefined) return this.#promise;
    const state = this.#state;
    if (state === 'pending') {
      this.#promise = new Promise<number>((resolve, reject) => {
        this.#resolve = resolve;
        this.#reject = reject;
      });
    } else if (state === 'finished') {
      this.#promise = Promise.resolve(this.#outcome as number);
    } else {
      this.#promise = Promise.reject(state === 'disconnected' ? this.#abortError() : this.#outcome);
    }
    return this.#promise;
  }
}
