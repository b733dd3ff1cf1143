/**
 * The cancellation of one job's try.
 * @module
 * @internal
 */
import { notifyListeners, removeListener } from '../../core/abort-listeners';
import type { AbortListener, CancelScope } from '../../core/context';

/**
 * What cancels one job's try: `close()` and a lost lease abort it. A cancel scope that keeps its
 * own listeners and makes an `AbortSignal` only when one is read (a handler that reads
 * `ctx.signal` reads its Timeout's, which listens here), so that a try nobody cancels costs no
 * `AbortController`.
 */
export class JobScope implements CancelScope {
  aborted = false;
  reason: unknown;
  #controller: AbortController | undefined;
  #listeners: AbortListener[] | undefined;

  /** An abort of the job's try is its caller's (the worker's), never a policy giving up. */
  get abortedByCaller(): boolean {
    return this.aborted;
  }

  /** Created on first read; already aborted when read after the try was aborted. */
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

  /** Aborts the try with `reason`; later calls do nothing. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.#controller?.abort(reason);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    notifyListeners(listeners);
  }
}
