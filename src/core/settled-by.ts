/**
 * Promises built without a closure of their own: the executor is one function shared by every
 * call, which hands the new promise's resolving functions to the object that will settle it. A
 * hot path that makes a promise per call (a refusal, a guarded Redis command) then allocates only
 * what the promise itself needs.
 * @module
 * @internal
 */

/** What settles a promise made by {@link promiseSettledBy}: it receives the promise's resolving functions. */
export interface Settler<T> {
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

/** The settler of the promise being built; set only while its executor runs. */
let receiving: Settler<never> | undefined;

/** The executor of every promise {@link promiseSettledBy} makes. */
const handOver = (resolve: (value: never) => void, reject: (reason: unknown) => void): void => {
  const settler = receiving as Settler<never>;
  settler.resolve = resolve;
  settler.reject = reject;
};

/**
 * A new pending promise whose resolving functions are stored in `settler.resolve` and
 * `settler.reject` before it returns. The settler keeps them (and so the promise's reactions)
 * until it drops them: a settler reused for many promises should reset both once it has settled.
 */
export function promiseSettledBy<T>(settler: Settler<T>): Promise<T> {
  receiving = settler as Settler<never>;
  const promise = new Promise<T>(handOver);
  receiving = undefined;
  return promise;
}
