/**
 * Cheap refusals for high-rate rejection paths (an open circuit, a full bulkhead, shed load):
 * rejected promises that cost no unhandled-rejection tracking, and errors without stack traces.
 * @module
 * @internal
 */
import { ignore } from './ignore';
import { promiseSettledBy, type Settler } from './settled-by';

/** Receives the resolving functions of each refusal's promise, for as long as {@link quietRejection} runs. */
const refusal: Settler<never> = { resolve: ignore, reject: ignore };

/**
 * A promise rejected with `reason`, given a handler before it rejects. Node tracks every promise
 * that rejects with no handler attached (to warn about unhandled rejections) and untracks it when
 * the caller's `await` or `catch` arrives a moment later, which costs about 1.5 µs, ten times a
 * whole successful call. The caller still receives the rejection through `await`, `then` or
 * `catch`; a caller that ignores the promise gets no unhandled-rejection warning, which is also
 * what a policy that refuses work should cause: nothing.
 */
export function quietRejection<T>(reason: unknown): Promise<T> {
  const promise = promiseSettledBy<T>(refusal as Settler<T>);
  const reject = refusal.reject;
  refusal.resolve = refusal.reject = ignore;
  promise.then(undefined, ignore);
  reject(reason);
  return promise;
}

/** Own fields of an error that a stackless copy keeps: everything but methods. */
type ErrorFields<E> = { -readonly [K in keyof E as E[K] extends (...args: never[]) => unknown ? never : K]?: E[K] };

/**
 * Makes the errors one policy instance refuses calls with. Refusals come in bursts (an open
 * circuit, a full bulkhead), so by default no stack trace is captured: each variant of the error
 * (a circuit state, a rejection reason) gets one prototype, built once from a real error, and a
 * refusal is `Object.create` of it, about 15 ns instead of about 3 µs. `instanceof`, `code`,
 * `name`, `message` and the fields are as usual; `stack` is a fixed line that says how to get real
 * ones (`captureRejectionStacks`, which makes every refusal a real error instead).
 *
 * Every error of one variant has the same shape (no own properties but those passed to
 * {@link Rejections.create}), so code that handles them stays monomorphic.
 */
export class Rejections<E extends Error, V extends string | number> {
  readonly #build: (variant: V) => E;
  readonly #captureStacks: boolean;
  readonly #prototypes = new Map<V, E>();
  /** The variant asked for last, and its prototype: refusals come in bursts of one variant. */
  #lastVariant: V | undefined;
  #lastPrototype: E | undefined;

  /**
   * @param build - a real error of `variant`, with the fields every error of that variant shares
   * @param captureStacks - build every error with `build`, stack trace included
   */
  constructor(build: (variant: V) => E, captureStacks: boolean) {
    this.#build = build;
    this.#captureStacks = captureStacks;
  }

  /**
   * A new error of `variant`, with `fields` set on it (those that vary per refusal, e.g.
   * `retryAfterMs`). Keep the number of variants small: each has its own prototype.
   */
  create(variant: V, fields?: ErrorFields<E>): E {
    const error = this.#captureStacks ? this.#build(variant) : (Object.create(this.prototypeOf(variant)) as E);
    return fields === undefined ? error : Object.assign(error, fields);
  }

  /**
   * The prototype of the stackless errors of `variant`: the fields of a real error, a fixed
   * `stack`, and the error class's prototype behind them. A policy may define a getter on it for a
   * field that is computed when read.
   */
  prototypeOf(variant: V): E {
    if (variant === this.#lastVariant) return this.#lastPrototype as E;
    let prototype = this.#prototypes.get(variant);
    if (prototype === undefined) {
      const template = this.#build(variant);
      prototype = Object.create(Object.getPrototypeOf(template) as object) as E;
      Object.assign(prototype, template, {
        message: template.message,
        stack: `${template.name}: ${template.message}\n    (no stack trace: set captureRejectionStacks on the policy to capture one)`,
      });
      this.#prototypes.set(variant, prototype);
    }
    this.#lastVariant = variant;
    this.#lastPrototype = prototype;
    return prototype;
  }
}
