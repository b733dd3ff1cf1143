/**
 * Telling promises (and other thenables) from plain values, for functions that may be sync or async.
 * @module
 * @internal
 */

/**
 * Whether `value` has a callable `then`, or a `then` that throws when read. Never throws: such a
 * hostile value counts as a thenable, because adopting it (`Promise.resolve`, `await`) reads
 * `then` again and rejects with the same error, which is what the caller should receive (and
 * what frees a slot held for the call). A caller that calls `value.then(...)` itself must do so
 * inside a `try`.
 */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    return true;
  }
}
