/**
 * Promise helpers shared by every suite: one name for each idea.
 * @module
 */

/** A promise with its resolve and reject functions, to settle a call when a test says so. */
export function deferred<T = string>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** How a promise ended, as {@link settled} reports it. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Resolves with how `promise` ended, without throwing. */
export function settled<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Lets every pending promise callback run (one turn of the event loop, through `setImmediate`). */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Whether `promise` has settled yet, after letting pending callbacks run. */
export async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await flushPromises();
  return done;
}
