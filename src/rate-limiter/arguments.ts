/**
 * The RateLimiter's checks of a call's arguments: the key (a string, or a finite number, which
 * names the same key as its decimal text) and the cost. A bad one is the caller's error, never a
 * store outage.
 * @module
 * @internal
 */

/** Whether `key` is a number that names a key: a finite one. */
export function isNumberKey(key: unknown): key is number {
  return typeof key === 'number' && Number.isFinite(key);
}

/** The store key of a key that is not a string: a finite number's decimal text; else a TypeError. */
export function numberKey(key: unknown): string {
  if (isNumberKey(key)) return String(key);
  throw keyError(key);
}

/** The caller's error for a key no store can take (never a store outage). */
export function keyError(key: unknown): TypeError {
  const type = typeof key;
  const got = type === 'number' || key == null ? String(key) : type === 'object' ? 'an object' : `a ${type}`;
  return new TypeError(`RateLimiter key must be a string or a finite number, got ${got}`);
}

/** Whether `cost` is one a window can take: an integer ≥ 1. */
export function isCost(cost: number): boolean {
  return Number.isInteger(cost) && cost >= 1;
}

/** The caller's error for a cost that is not an integer ≥ 1. */
export function costError(cost: unknown): RangeError {
  return new RangeError(`RateLimiter cost must be an integer ≥ 1, got ${String(cost)}`);
}
