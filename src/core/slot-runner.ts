/**
 * Running a function that holds a slot (a bulkhead slot, a load shedder's in-flight place) and
 * giving the slot back once it settles, however it settles.
 * @module
 * @internal
 */
import type { InternalContext } from './context';
import { isPromiseLike } from './promise-like';

/**
 * Runs functions and calls `release` once each settles: at once for a synchronous result or
 * throw, in a `.then` for a promise. The settlement handlers are made once, not per call, so that
 * a call allocates nothing of its own.
 */
export class SlotRunner {
  readonly #release: () => void;
  readonly #onFulfilled = (value: unknown): unknown => {
    this.#release();
    return value;
  };
  readonly #onRejected = (error: unknown): never => {
    this.#release();
    throw error;
  };

  /** @param release - gives the slot back; called exactly once per {@link SlotRunner.run} */
  constructor(release: () => void) {
    this.#release = release;
  }

  /** Runs `fn` in `ctx`; the slot is released when it settles. */
  run<T>(fn: (ctx: InternalContext) => T | PromiseLike<T>, ctx: InternalContext): Promise<T> {
    let value: T | PromiseLike<T>;
    try {
      value = fn(ctx);
    } catch (error) {
      this.#release();
      return Promise.reject(error);
    }
    if (isPromiseLike(value)) {
      return Promise.resolve(value).then(this.#onFulfilled as (value: T) => T, this.#onRejected);
    }
    this.#release();
    return Promise.resolve(value);
  }
}
