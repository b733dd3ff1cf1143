/**
 * Building the {@link LoadShedError}s a shedder rejects with. A shedder rejects most when the
 * process is already overloaded, so by default no stack trace is captured: the error is made
 * without running the `Error` constructor (about 15 ns instead of about 3 µs, as for the circuit
 * breaker's rejections). `instanceof`, `code`, `name`, `message` and the fields are as usual;
 * `stack` is a fixed line that says how to get real ones.
 * @module
 * @internal
 */
import { ErrorCode, LoadShedError, rejectionText, stacklessRejection } from '../core/errors';
import type { LoadLevel } from '../core/load-level';

/** Makes the errors of one shedder; messages and stacks are built once, at construction. */
export class ShedErrorFactory {
  readonly #policyName: string;
  readonly #captureStacks: boolean;
  readonly #texts: Readonly<Record<LoadLevel, { readonly message: string; readonly stack: string }>>;

  /**
   * @param policyName - the shedder's name
   * @param captureStacks - build real errors, with stack traces
   */
  constructor(policyName: string, captureStacks: boolean) {
    this.#policyName = policyName;
    this.#captureStacks = captureStacks;
    const text = (level: LoadLevel) => rejectionText('LoadShedError', new LoadShedError(policyName, level, 0).message);
    this.#texts = { normal: text('normal'), elevated: text('elevated'), high: text('high'), critical: text('critical') };
  }

  /** A new error for a call shed at `loadLevel`. */
  create(loadLevel: LoadLevel, retryAfterMs: number): LoadShedError {
    if (this.#captureStacks) return new LoadShedError(this.#policyName, loadLevel, retryAfterMs);
    return stacklessRejection(LoadShedError, {
      ...this.#texts[loadLevel],
      code: ErrorCode.LoadShed,
      policyName: this.#policyName,
      retryAfterMs,
      loadLevel,
    });
  }
}
