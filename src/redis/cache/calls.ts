/**
 * The per-call options of a Cache and the checks every call makes.
 * @module
 */

/** Per-call options of {@link Cache.set}. */
export interface CacheSetOptions {
  /** How long the value is fresh, in ms (before jitter). @defaultValue the cache's `ttlMs` */
  ttlMs?: number;
  /**
   * What the value was derived from, e.g. `['user:42']`: {@link Cache.invalidateTag} with any of
   * them removes it. Any strings (long or odd ones are hashed, as keys are).
   */
  tags?: readonly string[];
}

/** Per-call options of {@link Cache.getOrLoad}. */
export interface GetOrLoadOptions {
  /** How long a loaded value is fresh, in ms (before jitter). @defaultValue the cache's `ttlMs` */
  ttlMs?: number;
  /**
   * Stops this caller's wait: it rejects with the signal's reason at once. The load itself goes
   * on for the other callers of the key (and is written).
   */
  signal?: AbortSignal;
}

/** Per-call options of {@link Cache.getManyOrLoad}. */
export interface GetManyOrLoadOptions {
  /** How long loaded values are fresh, in ms (before jitter). @defaultValue the cache's `ttlMs` */
  ttlMs?: number;
}

/** `key`, checked to be a string (any string: keys are hashed where they need to be). */
export function checkKey(key: string): string {
  if (typeof key !== 'string') throw keyTypeError(key);
  return key;
}

/** The error of a key that is not a string. */
export function keyTypeError(key: unknown): TypeError {
  return new TypeError(`Cache key must be a string, got ${typeof key}`);
}

/** `promise`, or the signal's reason as soon as it aborts; the listener is removed either way. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
