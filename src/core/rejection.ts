/**
 * Cheap rejected promises for high-rate refusals (an open circuit, a full bulkhead, shed load).
 * @module
 * @internal
 */

const ignore = (): void => {};

/** The reject function of the promise being built; see {@link captureReject}. */
let capturedReject: (reason: unknown) => void = ignore;

/** A promise executor shared by every call, so that building a promise allocates no closure. */
const captureReject = (_resolve: unknown, reject: (reason: unknown) => void): void => {
  capturedReject = reject;
};

/**
 * A promise rejected with `reason`, given a handler before it rejects. Node tracks every promise
 * that rejects with no handler attached (to warn about unhandled rejections) and untracks it when
 * the caller's `await` or `catch` arrives a moment later, which costs about 1.5 µs, ten times a
 * whole successful call. The caller still receives the rejection through `await`, `then` or
 * `catch`; a caller that ignores the promise gets no unhandled-rejection warning, which is also
 * what a policy that refuses work should cause: nothing.
 */
export function quietRejection<T>(reason: unknown): Promise<T> {
  const promise = new Promise<T>(captureReject);
  const reject = capturedReject;
  capturedReject = ignore;
  promise.then(undefined, ignore);
  reject(reason);
  return promise;
}
