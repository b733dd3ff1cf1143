/**
 * The cancellation of one job's try.
 * @module
 * @internal
 */
import { OwnCancelScope } from '../../core/own-cancel-scope';

/**
 * What cancels one job's try: `close()` and a lost lease abort it. A handler that reads
 * `ctx.signal` reads its Timeout's, which listens here, so a try nobody cancels costs no
 * `AbortController`.
 */
export class JobScope extends OwnCancelScope {
  /** An abort of the job's try is its caller's (the worker's), never a policy giving up. */
  get abortedByCaller(): boolean {
    return this.aborted;
  }

  /** Aborts the try with `reason`; later calls do nothing. */
  abort(reason: unknown): void {
    if (!this.aborted) this.cancel(reason);
  }
}
