/**
 * The one place that decides whether an error counts as a failure, tells `onException`, and turns
 * the error into what the caller receives. Every pattern owns one {@link ExceptionHandler}.
 * @module
 */
import { getLogger } from './logger';
import { isPromiseLike } from './promise-like';

/** A class of errors, matched with `instanceof`. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** What a pattern tells {@link ExceptionConfig.onException} and {@link ExceptionConfig.transform}. */
export interface ExceptionContext {
  /** The kind of pattern that saw the failure, e.g. `'retry'`. */
  readonly patternType: string;
  /** The `name` of the instance that saw it. */
  readonly patternName: string;
  /**
   * Why the pattern reports it: `callFailed` (a handled failure), `retryExhausted` (the last
   * failure a Retry gives up on), `timedOut`, `thresholdExceeded` (the failure that opens a
   * circuit), `circuitOpen`, `queueFull`, `queueTimeout`, `backpressureTimeout`, `shed`,
   * `concurrencyLimited`, `rateLimited`; docs/exceptions.md lists them per pattern.
   */
  readonly reason: string;
  /** The error. */
  readonly error: unknown;
  /** Pattern-specific detail, e.g. `attempt` for a Retry. */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** Which errors a pattern treats as failures, and what happens when one occurs. */
export interface ExceptionConfig {
  /**
   * What counts as a failure: a list of error classes, or a predicate.
   * @defaultValue every error
   */
  handle?: readonly ErrorClass[] | ((error: unknown) => boolean);
  /** Error classes that never count as failures; wins over `handle`. */
  ignore?: readonly ErrorClass[];
  /**
   * Replaces the error that the caller receives when the pattern gives up on a handled failure
   * (a Retry's last error, a Timeout's {@link OperationTimeoutError}). Errors the pattern does not
   * handle pass through unchanged.
   */
  transform?: (error: unknown, ctx: ExceptionContext) => unknown;
  /**
   * Called for each handled failure. Not awaited; an error it throws or rejects with is logged and
   * never changes the call's outcome.
   */
  onException?: (ctx: ExceptionContext) => void | Promise<void>;
}

/** Applies an {@link ExceptionConfig} on behalf of one pattern instance. */
export class ExceptionHandler {
  readonly #patternType: string;
  readonly #patternName: string;
  readonly #handle: ((error: unknown) => boolean) | undefined;
  readonly #ignore: readonly ErrorClass[] | undefined;
  readonly #transform: ExceptionConfig['transform'];
  readonly #onException: ExceptionConfig['onException'];

  /**
   * @param config - the pattern's `exceptions` option
   * @param patternType - the pattern kind, reported in {@link ExceptionContext}
   * @param patternName - the instance name, reported in {@link ExceptionContext}
   */
  constructor(config: ExceptionConfig | undefined, patternType: string, patternName: string) {
    this.#patternType = patternType;
    this.#patternName = patternName;
    const handle = config?.handle;
    this.#handle =
      handle === undefined ? undefined : typeof handle === 'function' ? handle : (error) => isInstanceOfAny(error, handle);
    this.#ignore = config?.ignore !== undefined && config.ignore.length > 0 ? config.ignore : undefined;
    this.#transform = config?.transform;
    this.#onException = config?.onException;
  }

  /**
   * Whether `error` counts as a failure: not ignored, and handled (every error by default). A
   * `handle` predicate that throws is logged, and the error counts as handled.
   */
  handles(error: unknown): boolean {
    if (this.#ignore !== undefined && isInstanceOfAny(error, this.#ignore)) return false;
    if (this.#handle === undefined) return true;
    try {
      return this.#handle(error) === true;
    } catch (predicateError) {
      getLogger().error(
        { err: predicateError, patternType: this.#patternType, patternName: this.#patternName },
        'bulwark: exceptions.handle threw; the error counts as handled',
      );
      return true;
    }
  }

  /**
   * Whether `error` is in the `ignore` list: it counts neither as a failure nor as a success
   * (an error that is merely not handled counts as a success for a circuit breaker).
   */
  ignores(error: unknown): boolean {
    return this.#ignore !== undefined && isInstanceOfAny(error, this.#ignore);
  }

  /** Whether anything would be told of a failure; lets patterns skip building metadata. */
  get reports(): boolean {
    return this.#onException !== undefined;
  }

  /** Whether `transform` is set, i.e. whether {@link ExceptionHandler.toCallerError} may change an error. */
  get transforms(): boolean {
    return this.#transform !== undefined;
  }

  /** Tells `onException` of a handled failure; never throws, never waits. */
  report(reason: string, error: unknown, metadata: Readonly<Record<string, unknown>> = {}): void {
    const onException = this.#onException;
    if (onException === undefined) return;
    const context = this.#context(reason, error, metadata);
    try {
      const result = onException(context);
      if (isPromiseLike(result)) {
        result.then(undefined, (callbackError: unknown) => this.#logCallbackError(callbackError, reason));
      }
    } catch (callbackError) {
      this.#logCallbackError(callbackError, reason);
    }
  }

  /** What the caller receives instead of `error`: the result of `transform`, or `error` itself. */
  toCallerError(reason: string, error: unknown, metadata: Readonly<Record<string, unknown>> = {}): unknown {
    const transform = this.#transform;
    if (transform === undefined) return error;
    try {
      return transform(error, this.#context(reason, error, metadata));
    } catch (transformError) {
      getLogger().error(
        { err: transformError, patternType: this.#patternType, patternName: this.#patternName },
        'bulwark: exceptions.transform threw; the caller receives the original error',
      );
      return error;
    }
  }

  #context(reason: string, error: unknown, metadata: Readonly<Record<string, unknown>>): ExceptionContext {
    return { patternType: this.#patternType, patternName: this.#patternName, reason, error, metadata };
  }

  #logCallbackError(error: unknown, reason: string): void {
    getLogger().error(
      { err: error, patternType: this.#patternType, patternName: this.#patternName, reason },
      'bulwark: exceptions.onException failed; the call is unaffected',
    );
  }
}

function isInstanceOfAny(error: unknown, classes: readonly ErrorClass[]): boolean {
  for (const errorClass of classes) if (error instanceof errorClass) return true;
  return false;
}
