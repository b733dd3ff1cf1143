/**
 * How one guarded response ends, told by the adapter: the response finished (with its status),
 * the client disconnected first, or the handler threw. Whichever comes first settles it; the rest
 * are no-ops, so that the permits held for the request are released exactly once.
 * @module
 */

const ignore = (): void => {};

/**
 * The end of one guarded response. The guard's policies hold their permits (bulkhead slot,
 * concurrency permit, load shedder's in-flight count) until {@link ResponseEnd.promise} settles.
 */
export class ResponseEnd {
  /** Resolves with the status of the finished response; rejects when the client left or the handler threw. */
  readonly promise: Promise<number>;
  #resolve!: (status: number) => void;
  #reject!: (reason: unknown) => void;
  #settled = false;
  #controller: AbortController | undefined;

  constructor() {
    this.promise = new Promise<number>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A guard that has already refused the request never awaits the end: no unhandled rejection.
    this.promise.then(undefined, ignore);
  }

  /** Whether the end is known. */
  get settled(): boolean {
    return this.#settled;
  }

  /**
   * Aborts when the client disconnects before the response has finished: passed to the policies,
   * so that a request waiting in a queue leaves it, and a breaker counts the call neither way.
   */
  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  /** The response has been sent in full with `status`. */
  finished(status: number): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve(status);
  }

  /** The client disconnected before the response was sent in full. */
  disconnected(): void {
    if (this.#settled) return;
    this.#settled = true;
    const controller = (this.#controller ??= new AbortController());
    controller.abort();
    this.#reject(controller.signal.reason);
  }

  /** The handler threw (or its promise rejected) with `error`. */
  failed(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#reject(error);
  }
}
