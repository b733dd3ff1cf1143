/**
 * The part every cancel scope with its own listeners shares (a call under a Timeout, a job's try
 * in a RedisQueue worker): abort state, listeners kept in a plain array, and an `AbortSignal` made
 * only when someone reads it, so that a scope nobody cancels costs no `AbortController`.
 * @module
 * @internal
 */
import { notifyListeners, removeListener } from './abort-listeners';
import type { AbortListener, CancelScope } from './context';

/** A {@link CancelScope} that keeps its own listeners; subclasses decide when to {@link OwnCancelScope.cancel}. */
export abstract class OwnCancelScope implements CancelScope {
  aborted = false;
  reason: unknown;
  abstract readonly abortedByCaller: boolean;
  #controller: AbortController | undefined;
  #listeners: AbortListener[] | undefined;

  /** Created on first read; already aborted when read after the scope was cancelled. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  listen(listener: AbortListener): void {
    (this.#listeners ??= []).push(listener);
  }

  unlisten(listener: AbortListener): void {
    removeListener(this.#listeners, listener);
  }

  /** Aborts with `reason`: the signal, if one was read, and each listener once. Call it once. */
  protected cancel(reason: unknown): void {
    this.aborted = true;
    this.reason = reason;
    this.#controller?.abort(reason);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    notifyListeners(listeners);
  }
}
