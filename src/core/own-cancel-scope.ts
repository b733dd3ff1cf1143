/**
 * The part every cancel scope with its own listeners shares (a call under a Timeout, a job's try
 * in a RedisQueue worker, a request under the HTTP guard): abort state, listeners kept in a plain
 * array, and an `AbortSignal` made only when someone reads it, so that a scope nobody cancels
 * costs no `AbortController`.
 * @module
 * @internal
 */
import { notifyListeners, removeListener } from './abort-listeners';
import type { AbortListener, CancelScope } from './context';

/** Stands for the reason of a {@link OwnCancelScope.cancel} given none, until it is first read. */
const UNMADE: unique symbol = Symbol('bulwark.unmadeReason');

/** A {@link CancelScope} that keeps its own listeners; subclasses decide when to {@link OwnCancelScope.cancel}. */
export abstract class OwnCancelScope implements CancelScope {
  aborted = false;
  abstract readonly abortedByCaller: boolean;
  #reason: unknown;
  #controller: AbortController | undefined;
  #listeners: AbortListener[] | undefined;

  /** Why it aborted; undefined while it has not. A reason left to {@link OwnCancelScope.makeReason} is made on first read. @internal */
  get reason(): unknown {
    const reason = this.#reason;
    return reason === UNMADE ? (this.#reason = this.makeReason()) : reason;
  }

  /** Created on first read; already aborted when read after the scope was cancelled. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  /** Calls `listener.handleEvent()` once, when the scope aborts. @internal */
  listen(listener: AbortListener): void {
    (this.#listeners ??= []).push(listener);
  }

  /** Removes a listener added by `listen`; a no-op when it is not there. @internal */
  unlisten(listener: AbortListener): void {
    removeListener(this.#listeners, listener);
  }

  /** Whether anything may hear a cancel: a signal has been read or a listener added. */
  protected get heard(): boolean {
    return this.#controller !== undefined || this.#listeners !== undefined;
  }

  /**
   * Aborts with `reason`: the signal, if one was read, and each listener once. Call it once.
   * @param reason - why; when left out (or undefined), {@link OwnCancelScope.makeReason} makes it
   *   when first read
   */
  protected cancel(reason: unknown = UNMADE): void {
    this.aborted = true;
    this.#reason = reason;
    this.#controller?.abort(this.reason);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    notifyListeners(listeners);
  }

  /** The reason of a {@link OwnCancelScope.cancel} given none, made when first read; a subclass that cancels so overrides it. */
  protected makeReason(): unknown {
    return undefined;
  }
}
