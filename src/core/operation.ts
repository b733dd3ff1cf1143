/**
 * The function a policy runs, and the one way every policy calls it: a function that may return a
 * value, a promise or any thenable, or throw, becomes one promise, with optional settlement
 * handlers made once per policy rather than per call.
 * @module
 * @internal
 */
import type { InternalContext } from './context';
import { isPromiseLike } from './promise-like';

/** What a policy runs: `fn` of `execute`, seeing the context as bulwark's policies do. */
export type Operation<T> = (ctx: InternalContext) => T | PromiseLike<T>;

/**
 * Calls `fn(ctx)` and returns its outcome as a promise, never throwing, whatever `fn` returns or
 * throws. A synchronous result or throw is handed to the handlers at once (no microtask), a
 * thenable through one `then`. `onFulfilled` returns what the caller receives; `onRejected` throws
 * (or returns a replacement value). Without handlers the outcome passes through unchanged.
 *
 * Exactly one handler runs, once, for every outcome, so that a policy that frees a slot in both
 * may count on it: a thenable whose `then` getter or `then` throws rejects (as `await` would), one
 * that calls both of its callbacks counts as the first, and a native promise that cannot be
 * adopted (a throwing `constructor` getter) rejects with that error.
 *
 * Pass handlers made once per policy (or per state, or per queued call), not closures made per
 * call, so that the common path allocates nothing but the promise; write them in the pattern's
 * own class, so that what they call has one target (a helper that made them for every pattern
 * measured slower).
 */
export function runOperation<T>(
  fn: Operation<T>,
  ctx: InternalContext,
  onFulfilled?: (value: T) => T | PromiseLike<T>,
  onRejected?: (error: unknown) => T | PromiseLike<T>,
): Promise<T> {
  let value: T | PromiseLike<T>;
  // One try for the call and the adoption of its result: `Promise.resolve` and `then` may run the
  // result's own code (a getter), and a throw there must reach onRejected, not the caller.
  try {
    value = fn(ctx);
    // Without handlers a native promise passes through as it is (no second promise, no
    // microtask), and a plain value or other thenable is adopted: no `then` lookup needed.
    if (onFulfilled === undefined && onRejected === undefined) return Promise.resolve(value);
    if (isPromiseLike(value)) return Promise.resolve(value).then(onFulfilled, onRejected);
  } catch (error) {
    return onRejected === undefined ? Promise.reject(error) : settleNow(onRejected, error);
  }
  return onFulfilled === undefined ? Promise.resolve(value) : settleNow(onFulfilled, value);
}

/** Applies a settlement handler to a synchronous outcome, turning a throw into a rejection. */
function settleNow<T, I>(handler: (input: I) => T | PromiseLike<T>, input: I): Promise<T> {
  try {
    return Promise.resolve(handler(input));
  } catch (error) {
    return Promise.reject(error);
  }
}
