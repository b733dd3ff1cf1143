/**
 * Telling promises (and other thenables) from plain values, for functions that may be sync or async.
 * @module
 * @internal
 */

/** Whether `value` has a callable `then`. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
