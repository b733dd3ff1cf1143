/**
 * How one guarded response ends, told by the adapter: the response finished (with its status),
 * the client disconnected first, or the handler threw. Whichever comes first settles it; the rest
 * are no-ops, so that the permits held for the request are released exactly once.
 * @module
 */
import { OwnCancelScope } from '../core/own-cancel-scope';
import { ignore } from '../core/ignore';

/** Where a response's end stands; `closed`: ended, and nobody needed to know how (see {@link ResponseEnd.closed}). */
type EndState = 'pending' | 'finished' | 'disconnected' | 'failed' | 'closed';

/**
 * The end of one guarded response. The guard's policies hold their permits (bulkhead slot,
 * concurrency permit, load shedder's in-flight count) until {@link ResponseEnd.promise} settles.
 * It is the request's cancel scope, which a disconnect aborts.
 *
 * Cost: neither the promise, the `AbortSignal` nor a disconnect's `AbortError` exists until
 * something asks for it; a disconnect reaches the policies waiting in a queue without any of them.
 */
export class ResponseEnd extends OwnCancelScope {
  #state: EndState = 'pending';
  /** The status once finished; the error once failed. */
  #outcome: unknown;
  #promise: Promise<number> | undefined;
  #resolve: ((status: number) => void) | undefined;
  #reject: ((reason: unknown) => void) | undefined;

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

  /** A disconnect is the caller's abort, never a policy's. @internal */
  get abortedByCaller(): boolean {
    return this.aborted;
  }

  /**
   * Whether the adapter must tell how the response ended ({@link ResponseEnd.finished} or
   * {@link ResponseEnd.disconnected}) when it closes, or may call {@link ResponseEnd.closed}
   * without finding out (which can cost reads of the response): true once the promise or the
   * signal has been read or a listener added, and whenever a subclass wants to know
   * (its protected `wantsOutcome()`).
   */
  get outcomeNeeded(): boolean {
    return this.#promise !== undefined || this.heard || this.wantsOutcome();
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
    this.cancel();
    this.ended();
    this.#reject?.(this.reason);
  }

  /** The handler threw (or its promise rejected) with `error`. */
  failed(error: unknown): void {
    if (this.#state !== 'pending') return;
    this.#state = 'failed';
    this.#outcome = error;
    this.ended();
    this.#reject?.(error);
  }

  /**
   * The response has closed, finished or not: for an adapter to call instead of finding out which
   * when {@link ResponseEnd.outcomeNeeded} is false. The end is then settled, neither finished nor
   * disconnected; its promise, if read later, resolves with no status.
   */
  closed(): void {
    if (this.#state !== 'pending') return;
    this.#state = 'closed';
    this.ended();
  }

  /** The reason of a disconnect, made on first use: what `AbortController.abort()` gives, an `AbortError`. */
  protected override makeReason(): unknown {
    return new DOMException('This operation was aborted', 'AbortError');
  }

  /**
   * Whether how the response ends matters to the subclass even while nothing reads the promise or
   * the signal or listens (see {@link ResponseEnd.outcomeNeeded}); here, always. @internal
   */
  protected wantsOutcome(): boolean {
    return true;
  }

  /**
   * Called once, when the end becomes known (finished, disconnected, failed or closed), before the
   * promise settles: for a subclass that frees what it holds without waiting for the promise. @internal
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
    } else if (state === 'finished' || state === 'closed') {
      this.#promise = Promise.resolve(this.#outcome as number);
    } else {
      this.#promise = Promise.reject(state === 'disconnected' ? this.reason : this.#outcome);
    }
    return this.#promise;
  }
}
