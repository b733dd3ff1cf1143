/**
 * How a call's error counts for the policies that learn from outcomes (a circuit breaker's window,
 * an adaptive limiter's samples): one rule, so that they never disagree.
 * @module
 * @internal
 */
import type { InternalContext } from './context';
import { isRejectedError } from './errors';
import type { ExceptionHandler } from './exceptions';

/** The dependency answered: a success. */
export const SUCCESS = 0;
/** The dependency failed: counts against it. */
export const FAILURE = 1;
/** Says nothing about the dependency: counted neither way. */
export const IGNORED = 2;
/** One of {@link SUCCESS}, {@link FAILURE}, {@link IGNORED}. */
export type Verdict = typeof SUCCESS | typeof FAILURE | typeof IGNORED;

/**
 * Classifies the errors of one policy's calls:
 * - the caller aborted the call, or an inner bulwark policy refused it ({@link isRejectedError}):
 *   ignored, since the dependency was never asked or its answer was not awaited;
 * - an error the exception handler handles (every error by default), or one `alwaysFailure`
 *   accepts: a failure;
 * - an `ignore`d error: ignored;
 * - any other error: a success (the dependency answered, e.g. a validation error).
 */
export class OutcomeClassifier {
  readonly #handler: ExceptionHandler;
  readonly #alwaysFailure: ((error: unknown) => boolean) | undefined;

  /**
   * @param handler - the policy's exception handler
   * @param alwaysFailure - errors that count as failures even when not handled (the adaptive
   *   limiter's timeouts)
   */
  constructor(handler: ExceptionHandler, alwaysFailure?: (error: unknown) => boolean) {
    this.#handler = handler;
    this.#alwaysFailure = alwaysFailure;
  }

  /** The verdict on a call of `ctx` that failed with `error`. */
  classify(error: unknown, ctx: InternalContext | undefined): Verdict {
    const scope = ctx?.scope;
    if (scope !== undefined && scope.aborted && scope.abortedByCaller) return IGNORED;
    if (isRejectedError(error)) return IGNORED;
    const handler = this.#handler;
    if (handler.handles(error)) return FAILURE; // never true for an ignored error
    if (handler.ignores(error)) return IGNORED;
    return this.#alwaysFailure !== undefined && this.#alwaysFailure(error) ? FAILURE : SUCCESS;
  }
}
