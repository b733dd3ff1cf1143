/**
 * Retry: runs a function again when it fails, with backoff, jitter, a deadline-aware schedule and
 * an optional retry budget.
 * @module
 */
import { parseOptions } from '../core/config';
import { withAttempt, type InternalContext } from '../core/context';
import { isRejectedError } from '../core/errors';
import type { ListenerQuery } from '../core/events';
import { getLogger } from '../core/logger';
import { runOperation, type Operation } from '../core/operation';
import { Pattern } from '../core/pattern';
import { backoffDelay, type BackoffSettings } from './backoff';
import { RetryBudget } from './budget';
import type { RetryEvents, RetryExhaustedReason, RetrySuccessEvent } from './events';
import { RETRY_DEFAULTS, retryCrossCheck, retryOptionsSchema, type RetryOptions } from './options';
import type { RetryStats } from './stats';

/** How the last try ended. */
type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/**
 * Runs a function again when it fails with an error the exception handler handles (every error by
 * default), up to `maxAttempts` tries in all, waiting a backoff delay between tries.
 *
 * - A refusal of an inner policy (an open circuit, a full bulkhead, a rate limit: see
 *   {@link isRejectedError}) is not retried: it reaches the caller at once, unchanged, unless
 *   `retryRejections` is on.
 * - An error's numeric `retryAfterMs` (e.g. a rate limit's) replaces the backoff delay, capped by
 *   `maxDelayMs`.
 * - With a deadline (from `execute`'s `deadline` / `timeoutMs` or an enclosing Timeout), no sleep
 *   starts that would end at or after it.
 * - A caller's abort ends a backoff sleep at once and surfaces as the caller's reason.
 * - When it gives up, the caller receives the last error itself, not a wrapper (or what
 *   `exceptions.transform` makes of it).
 *
 * The first try reads no clock and sets no timer; it allocates its context, one rejection handler
 * and the promise it returns.
 *
 * @example
 * ```ts
 * const retry = new Retry({ maxAttempts: 4, initialDelayMs: 50, budget: { ratio: 0.1 } });
 * const value = await retry.execute(({ signal }) => redis.get(key), { signal });
 * ```
 */
export class Retry extends Pattern<RetryEvents, RetryStats> {
  /** The kind of pattern: `'retry'`. */
  declare readonly patternType: 'retry';
  readonly #maxAttempts: number;
  readonly #backoff: BackoffSettings;
  readonly #retryOnResult: ((result: unknown) => boolean) | undefined;
  readonly #budget: RetryBudget | undefined;
  readonly #retryRejections: boolean;
  /** Settles a first try's value; shared by all calls unless `retryOnResult` needs a closure per call. */
  readonly #onFirstSuccess: ((value: unknown) => unknown) | undefined;
  /** Whether anyone listens to `success`, asked on every successful call. */
  readonly #successListeners: ListenerQuery;
  #succeededWithoutRetry = 0;
  #succeededAfterRetry = 0;
  #failedWithoutRetry = 0;
  #failedAfterRetry = 0;
  #retries = 0;
  #retriesDeniedByBudget = 0;

  /**
   * @param options - see {@link RetryOptions}; every field is optional
   * @throws {@link ConfigError} naming every invalid option
   */
  constructor(options: RetryOptions = {}) {
    const resolved = parseOptions(retryOptionsSchema, options, 'Retry options', retryCrossCheck);
    super('retry', resolved);
    this.#maxAttempts = resolved.maxAttempts ?? RETRY_DEFAULTS.maxAttempts;
    this.#successListeners = this.hub.query('success');
    const backoffObject = typeof resolved.backoff === 'object' ? resolved.backoff : undefined;
    this.#backoff = Object.freeze({
      kind:
        typeof resolved.backoff === 'function' || typeof resolved.backoff === 'string'
          ? resolved.backoff
          : (backoffObject?.type ?? RETRY_DEFAULTS.backoff),
      initialDelayMs: backoffObject?.initialDelayMs ?? resolved.initialDelayMs ?? RETRY_DEFAULTS.initialDelayMs,
      multiplier: backoffObject?.multiplier ?? resolved.multiplier ?? RETRY_DEFAULTS.multiplier,
      maxDelayMs: backoffObject?.maxDelayMs ?? resolved.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs,
      jitter: backoffObject?.jitter ?? resolved.jitter ?? RETRY_DEFAULTS.jitter,
      random: resolved.random ?? Math.random,
    });
    this.#retryOnResult = resolved.retryOnResult;
    this.#retryRejections = resolved.retryRejections ?? RETRY_DEFAULTS.retryRejections;
    const budget = resolved.budget;
    this.#budget =
      budget === undefined ? undefined : budget instanceof RetryBudget ? budget : new RetryBudget(budget, this.clock);
    if (this.#retryOnResult === undefined) this.#onFirstSuccess = this.#countFirstSuccess.bind(this);
    this.register(resolved.registry);
  }

  /** Runs `fn`, retrying it as configured; when it gives up, rejects with the last try's error. */
  protected run<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    this.#budget?.deposit();
    const first = ctx.attempt === 1 ? ctx : withAttempt(ctx, 1);
    return runOperation(
      fn,
      first,
      (this.#onFirstSuccess as ((value: T) => T) | undefined) ?? ((result: T) => this.#afterFirstResult(fn, ctx, result)),
      (error: unknown): Promise<T> => this.#retryFrom(fn, ctx, 1, { ok: false, error }),
    );
  }

  /** Counters since creation; see {@link RetryStats}. */
  stats(): RetryStats {
    return {
      succeededWithoutRetry: this.#succeededWithoutRetry,
      succeededAfterRetry: this.#succeededAfterRetry,
      failedWithoutRetry: this.#failedWithoutRetry,
      failedAfterRetry: this.#failedAfterRetry,
      retries: this.#retries,
      retriesDeniedByBudget: this.#retriesDeniedByBudget,
    };
  }

  #countFirstSuccess(value: unknown): unknown {
    this.#succeededWithoutRetry++;
    if (this.#successListeners.anyone) this.#emitSuccess(1);
    return value;
  }

  /** Emits `success`, built complete in one literal (see `EventHub.emit`: no property added per event). */
  #emitSuccess(attempts: number): void {
    const event: RetrySuccessEvent = { type: 'success', patternType: 'retry', patternName: this.name, timestamp: 0, attempts };
    this.hub.emit('success', this.clock.now(), event);
  }

  #afterFirstResult<T>(fn: Operation<T>, ctx: InternalContext, value: T): T | Promise<T> {
    if (this.#retryOnResult !== undefined && this.#rejectsResult(value)) {
      return this.#retryFrom(fn, ctx, 1, { ok: true, value });
    }
    return this.#countFirstSuccess(value) as T;
  }

  /**
   * The slow path: `outcome` is how try number `attempt` ended, and it asks for a retry (a
   * failure, or a result `retryOnResult` rejects). Loops until a try succeeds or retrying stops.
   */
  async #retryFrom<T>(fn: Operation<T>, ctx: InternalContext, attempt: number, outcome: Outcome<T>): Promise<T> {
    let previousDelayMs = 0;
    for (;;) {
      if (ctx.scope?.aborted) return this.#fail(attempt, ctx.scope.reason);
      const error = outcome.ok ? undefined : outcome.error;
      if (!outcome.ok && !this.#mayRetry(error)) return this.#fail(attempt, error);
      const canRetry = attempt < this.#maxAttempts;
      const delayMs = canRetry ? this.#delayAfter(attempt, previousDelayMs, error) : 0;
      const stop = canRetry ? this.#whyNotRetryAfter(ctx, delayMs) : 'maxAttempts';
      if (stop !== undefined) return this.#exhaust(attempt, stop, outcome);
      if (!outcome.ok && this.exceptions.reports) this.exceptions.report('callFailed', error, { attempt });
      if (this.hub.has('retry')) this.hub.emit('retry', this.clock.now(), { attempt, delayMs, error });
      try {
        await this.clock.sleep(delayMs, ctx.scope?.signal);
      } catch (abortReason) {
        return this.#fail(attempt, abortReason);
      }
      this.#retries++;
      previousDelayMs = delayMs;
      attempt++;
      outcome = await this.#try(fn, withAttempt(ctx, attempt));
      if (outcome.ok && (this.#retryOnResult === undefined || !this.#rejectsResult(outcome.value))) {
        this.#succeededAfterRetry++;
        if (this.#successListeners.anyone) this.#emitSuccess(attempt);
        return outcome.value;
      }
    }
  }

  /**
   * Whether a failed try may be retried: its error is handled and, unless `retryRejections` is on,
   * is no inner policy's refusal (which then reaches the caller as it is).
   */
  #mayRetry(error: unknown): boolean {
    return (this.#retryRejections || !isRejectedError(error)) && this.exceptions.handles(error);
  }

  /** Whether `retryOnResult` asks for a retry; one that throws is logged and asks for none. */
  #rejectsResult(value: unknown): boolean {
    try {
      return (this.#retryOnResult as (result: unknown) => boolean)(value) === true;
    } catch (error) {
      getLogger().error({ err: error, patternName: this.name }, 'bulwark: retryOnResult threw; the result is returned as it is');
      return false;
    }
  }

  async #try<T>(fn: Operation<T>, ctx: InternalContext): Promise<Outcome<T>> {
    try {
      return { ok: true, value: await fn(ctx) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /**
   * Why no try may follow a `delayMs` sleep: it would end at or after the deadline, or the budget
   * has no token left.
   */
  #whyNotRetryAfter(ctx: InternalContext, delayMs: number): RetryExhaustedReason | undefined {
    if (ctx.deadline !== undefined && this.clock.now() + delayMs >= ctx.deadline) return 'deadline';
    if (this.#budget !== undefined && !this.#budget.tryWithdraw()) {
      this.#retriesDeniedByBudget++;
      return 'budget';
    }
    return undefined;
  }

  #delayAfter(attempt: number, previousDelayMs: number, error: unknown): number {
    const hint = (error as { retryAfterMs?: unknown } | null | undefined)?.retryAfterMs;
    if (typeof hint === 'number' && hint > 0 && hint !== Number.POSITIVE_INFINITY) return Math.min(hint, this.#backoff.maxDelayMs);
    return backoffDelay(this.#backoff, attempt, previousDelayMs, error);
  }

  #exhaust<T>(attempts: number, reason: RetryExhaustedReason, outcome: Outcome<T>): T {
    const error = outcome.ok ? undefined : outcome.error;
    if (this.hub.has('exhausted')) this.hub.emit('exhausted', this.clock.now(), { attempts, reason, error });
    if (outcome.ok) {
      this.#countFailed(attempts);
      return outcome.value;
    }
    const metadata = { attempt: attempts, exhaustedBy: reason };
    if (this.exceptions.reports) this.exceptions.report('retryExhausted', error, metadata);
    return this.#fail(attempts, this.exceptions.toCallerError('retryExhausted', error, metadata));
  }

  #fail(attempts: number, error: unknown): never {
    this.#countFailed(attempts);
    throw error;
  }

  #countFailed(attempts: number): void {
    if (attempts === 1) this.#failedWithoutRetry++;
    else this.#failedAfterRetry++;
  }
}
