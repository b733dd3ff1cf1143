/**
 * AdaptiveConcurrencyLimiter: finds how many concurrent calls a dependency can take, from how its
 * calls go, and refuses (or queues) the calls beyond that.
 * @module
 */
import { systemClock } from '../core/clock';
import { parseOptions } from '../core/config';
import { executeOptionsError, rootContext, type ExecuteOptions, type InternalContext } from '../core/context';
import { ErrorCode, isBulwarkError } from '../core/errors';
import type { Operation } from '../core/operation';
import { FAILURE, IGNORED, OutcomeClassifier, SUCCESS, type Verdict } from '../core/outcome';
import { Pattern } from '../core/pattern';
import { quietRejection, Rejections } from '../core/rejection';
import { WaitQueue } from '../core/wait-queue';
import { AimdLimit } from './aimd';
import type { LimitAlgorithm } from './algorithm';
import { ConcurrencyLimitError, type ConcurrencyRejectionReason } from './concurrency-limit-error';
import type { AdaptiveConcurrencyLimiterEvents } from './events';
import { Gradient2Limit } from './gradient2';
import {
  ADAPTIVE_CONCURRENCY_LIMITER_DEFAULTS,
  adaptiveConcurrencyCrossCheck,
  adaptiveConcurrencyLimiterOptionsSchema,
  resolveLimits,
  type AdaptiveConcurrencyLimiterOptions,
  type LimitAlgorithmName,
  type ResolvedAdaptiveConcurrencyLimiterOptions,
} from './options';
import { Permit, type ConcurrencyPermit, type PermitOwner } from './permit';
import { WindowedLimit, type SampleWindowSettings } from './sample-window';
import type { AdaptiveConcurrencyLimiterStats } from './stats';
import { VegasLimit } from './vegas';

/** A Timeout's error, by code (patterns do not import each other): always a drop. */
const isOperationTimeout = (error: unknown): boolean => isBulwarkError(error, ErrorCode.OperationTimeout);

/**
 * Limits concurrent calls to a limit that it keeps adjusting from what it observes, like Netflix
 * concurrency-limits: `'aimd'` (the default) grows it on fast successes and cuts it on drops and
 * slow successes, `'gradient2'` and `'vegas'` read round-trip times to see queueing before
 * anything fails.
 *
 * - A call over the limit is rejected at once with {@link ConcurrencyLimitError} (reason
 *   `atLimit`; built without a stack trace unless `captureRejectionStacks` is set), or waits in a
 *   FIFO queue for up to `maxWaitMs` (never past its deadline) when that is set, and is rejected
 *   with reason `queueTimeout` when that time runs out; a caller's abort removes it from the
 *   queue at once. A waiting call keeps the caller's AsyncLocalStorage context.
 * - `execute` measures each call and releases its permit by outcome, as core's outcome
 *   classifier (shared with the circuit breaker) judges it: a success is a sample; an error the
 *   exception handler handles (every error by default) and an {@link OperationTimeoutError} are
 *   drops; a call its caller aborted, a refusal by an inner policy, or an `ignore`d error tells
 *   nothing (`ignored`); other errors count as successes (the dependency answered).
 * - `acquire` hands out a {@link ConcurrencyPermit} for code that cannot be wrapped in a function;
 *   `await using` releases it as `ignored` unless the code released it first.
 *
 * Round-trip times come from `performance.now()` with the system clock (sub-millisecond and
 * monotonic), from `clock.now()` with an injected clock.
 *
 * Cost: under the limit, a call or an `acquire` uses no timer, and allocates nothing of its own
 * beyond its promise (and, for `acquire`, the permit object). Timers: one per waiting call when
 * `maxWaitMs` is set, cleared as it leaves the queue; nothing runs in the background, so
 * `dispose()` has nothing to stop.
 *
 * @example
 * ```ts
 * const limiter = new AdaptiveConcurrencyLimiter({ algorithm: 'gradient2', maxWaitMs: 50 });
 * const value = await limiter.execute(({ signal }) => redis.get(key, { signal }), { signal });
 * limiter.events.on('limitChange', (e) => log.info({ from: e.from, to: e.to }, `limit ${e.reason}`));
 * ```
 */
export class AdaptiveConcurrencyLimiter extends Pattern<AdaptiveConcurrencyLimiterEvents, AdaptiveConcurrencyLimiterStats> {
  /** The kind of pattern: `'adaptiveConcurrency'`. */
  declare readonly patternType: 'adaptiveConcurrency';
  /** The algorithm that sets the limit. */
  readonly algorithm: LimitAlgorithmName;
  readonly #algorithm: LimitAlgorithm;
  /** Time of admissions and releases as the algorithms read it, in ms (see the class comment). */
  readonly #stopwatch: () => number;
  /** Longest wait for a permit, in ms; 0 when calls over the limit do not wait. */
  readonly #maxWaitMs: number;
  readonly #outcomes: OutcomeClassifier;
  /** Callers waiting for a permit: some only while every permit is taken (see `#grantWaiters`). */
  readonly #waiters: WaitQueue;
  /** What permits report to; one object shared by every permit. */
  readonly #owner: PermitOwner;
  /** Makes the error of a wait that ran out of time; bound once, not per wait. */
  readonly #onWaitTimeout: () => unknown;
  readonly #errors: Rejections<ConcurrencyLimitError, ConcurrencyRejectionReason>;
  #inFlight = 0;
  #admitted = 0;
  #rejectedAtLimit = 0;
  #rejectedQueueTimeout = 0;
  #successes = 0;
  #drops = 0;
  #ignored = 0;

  /**
   * @param options - see {@link AdaptiveConcurrencyLimiterOptions}; every field is optional
   * @throws {@link ConfigError} naming every invalid option
   */
  constructor(options: AdaptiveConcurrencyLimiterOptions = {}) {
    const resolved = parseOptions(
      adaptiveConcurrencyLimiterOptionsSchema,
      options,
      'AdaptiveConcurrencyLimiter options',
      adaptiveConcurrencyCrossCheck,
    );
    super('adaptiveConcurrency', resolved);
    const clock = this.clock;
    this.algorithm = resolved.algorithm ?? ADAPTIVE_CONCURRENCY_LIMITER_DEFAULTS.algorithm;
    this.#stopwatch = clock === systemClock ? () => performance.now() : () => clock.now();
    this.#algorithm = createAlgorithm(this.algorithm, resolved);
    this.#maxWaitMs = resolved.maxWaitMs ?? 0;
    this.#outcomes = new OutcomeClassifier(this.exceptions, isOperationTimeout);
    this.#waiters = new WaitQueue(clock);
    this.#owner = { settle: (startedAt, inFlight, verdict) => this.#settle(startedAt, inFlight, verdict) };
    this.#onWaitTimeout = () => this.#reject('queueTimeout');
    const name = this.name;
    const algorithm = this.#algorithm;
    this.#errors = new Rejections(
      (reason) => new ConcurrencyLimitError(name, reason, algorithm.limit),
      resolved.captureRejectionStacks ?? false,
    );
    this.register(resolved.registry);
  }

  /** The current limit: how many calls may hold a permit at once. */
  get limit(): number {
    return this.#algorithm.limit;
  }

  /** Calls holding a permit now; may exceed {@link AdaptiveConcurrencyLimiter.limit} just after it dropped. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Runs `fn` under the limit, and teaches the algorithm how it went (see {@link Pattern.execute}).
   * @throws {@link ConcurrencyLimitError} when the limit is reached and the call cannot wait or waited too long
   *   (or what `exceptions.transform` makes of it)
   * @throws the caller's `signal.reason` when it aborts before `fn` starts
   * @throws `fn`'s own error, unchanged
   */
  protected run<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    if (this.#inFlight < this.#algorithm.limit) return this.#run(fn, ctx, ++this.#inFlight);
    const waitMs = this.#waitBudget(ctx.deadline);
    if (waitMs <= 0) return quietRejection(this.#reject('atLimit'));
    return this.#waitThenRun(fn, ctx, waitMs);
  }

  /**
   * Takes a permit, for code that cannot be passed as a function. Release it with the call's
   * outcome (`permit.release('success' | 'dropped' | 'ignored')`); the round-trip time runs from
   * here to the release.
   *
   * @param options - `signal` cancels a wait (and rejects at once when already aborted);
   *   `deadline` / `timeoutMs` bound a wait; `key` and `priority` are not used
   * @throws {@link ConcurrencyLimitError} when the limit is reached and the caller cannot wait or waited too long
   * @throws {@link ConfigError} (as a rejection) naming every invalid option
   * @throws the caller's `signal.reason` when it aborts first
   * @example
   * ```ts
   * await using permit = await limiter.acquire({ signal });
   * try {
   *   await redis.set(key, value);
   *   permit.release('success');
   * } catch (error) {
   *   permit.release('dropped');
   *   throw error;
   * }
   * ```
   */
  acquire(options?: ExecuteOptions): Promise<ConcurrencyPermit> {
    if (options !== undefined) {
      const invalid = executeOptionsError(options);
      if (invalid !== undefined) return Promise.reject(invalid);
      if (options.signal !== undefined && options.signal.aborted) return Promise.reject(options.signal.reason);
    }
    if (this.#inFlight < this.#algorithm.limit) return Promise.resolve(this.#permit(++this.#inFlight));
    const ctx = rootContext(options, this.clock);
    const waitMs = this.#waitBudget(ctx.deadline);
    if (waitMs <= 0) return quietRejection(this.#reject('atLimit'));
    return this.#acquireAfterWait(ctx, waitMs);
  }

  /** State and counters; see {@link AdaptiveConcurrencyLimiterStats}. */
  stats(): AdaptiveConcurrencyLimiterStats {
    return {
      algorithm: this.algorithm,
      limit: this.#algorithm.limit,
      inFlight: this.#inFlight,
      queued: this.#waiters.length,
      admitted: this.#admitted,
      rejected: this.#rejectedAtLimit + this.#rejectedQueueTimeout,
      rejectedByReason: { atLimit: this.#rejectedAtLimit, queueTimeout: this.#rejectedQueueTimeout },
      successes: this.#successes,
      drops: this.#drops,
      ignored: this.#ignored,
    };
  }

  /**
   * Runs `fn` holding the permit already counted in `#inFlight`, then settles it by outcome. An
   * async function rather than core's `runOperation` with handlers: settling needs the call's own
   * start time, in-flight count and context, which handlers made once per policy cannot carry,
   * and closures made per call would allocate.
   */
  async #run<T>(fn: Operation<T>, ctx: InternalContext, inFlight: number): Promise<T> {
    this.#admitted++;
    const startedAt = this.#stopwatch();
    let value: T;
    try {
      value = await fn(ctx);
    } catch (error) {
      this.#settle(startedAt, inFlight, this.#judge(error, ctx));
      throw error;
    }
    this.#settle(startedAt, inFlight, SUCCESS);
    return value;
  }

  async #waitThenRun<T>(fn: Operation<T>, ctx: InternalContext, waitMs: number): Promise<T> {
    await this.#waitForPermit(ctx, waitMs);
    return this.#run(fn, ctx, this.#inFlight);
  }

  async #acquireAfterWait(ctx: InternalContext, waitMs: number): Promise<ConcurrencyPermit> {
    await this.#waitForPermit(ctx, waitMs);
    return this.#permit(this.#inFlight);
  }

  #permit(inFlight: number): Permit {
    this.#admitted++;
    return new Permit(this.#owner, this.#stopwatch(), inFlight);
  }

  /**
   * Waits up to `waitMs` until a permit is handed over (counted in `#inFlight` by
   * `#grantWaiters`), or rejects: with the caller's reason when it aborts, with
   * {@link ConcurrencyLimitError} when its time runs out. The caller's continuation runs the
   * call, so its AsyncLocalStorage context carries over the wait.
   */
  async #waitForPermit(ctx: InternalContext, waitMs: number): Promise<void> {
    await this.#waiters.wait(ctx.scope, waitMs, this.#onWaitTimeout);
    const scope = ctx.scope;
    if (scope !== undefined && scope.aborted) {
      // Aborted between the hand-over and this continuation: give the permit to the next waiter.
      this.#inFlight--;
      this.#grantWaiters();
      throw scope.reason;
    }
  }

  /**
   * How long a call over the limit may wait, in ms: `maxWaitMs` (at most the longest timer delay),
   * cut to what is left before its deadline; 0 or less when it may not wait.
   */
  #waitBudget(deadline: number | undefined): number {
    if (this.#maxWaitMs === 0 || deadline === undefined) return this.#maxWaitMs;
    return Math.min(this.#maxWaitMs, deadline - this.clock.now());
  }

  /** A permit was released: the algorithm learns from it, and freed slots go to waiters. */
  #settle(startedAt: number, inFlight: number, verdict: Verdict): void {
    this.#inFlight--;
    if (verdict === IGNORED) {
      this.#ignored++;
    } else {
      const dropped = verdict === FAILURE;
      if (dropped) this.#drops++;
      else this.#successes++;
      const algorithm = this.#algorithm;
      const from = algorithm.limit;
      const to = algorithm.update(this.#stopwatch() - startedAt, inFlight, dropped, startedAt);
      if (to !== from && this.hub.has('limitChange')) {
        this.hub.emit('limitChange', this.clock.now(), { from, to, reason: algorithm.reason });
      }
    }
    this.#grantWaiters();
  }

  /** Hands free slots to waiters in FIFO order, counting each in `#inFlight` before it resumes. */
  #grantWaiters(): void {
    const waiters = this.#waiters;
    while (waiters.length > 0 && this.#inFlight < this.#algorithm.limit) {
      this.#inFlight++;
      waiters.grantNext();
    }
  }

  /** How a failed call counts (see the class comment); tells `onException` of a drop. */
  #judge(error: unknown, ctx: InternalContext): Verdict {
    const verdict = this.#outcomes.classify(error, ctx);
    const exceptions = this.exceptions;
    if (verdict === FAILURE && exceptions.reports) {
      exceptions.report('callFailed', error, { limit: this.#algorithm.limit, inFlight: this.#inFlight });
    }
    return verdict;
  }

  /** Counts and announces a refusal; returns what the caller receives. */
  #reject(reason: ConcurrencyRejectionReason): unknown {
    if (reason === 'atLimit') this.#rejectedAtLimit++;
    else this.#rejectedQueueTimeout++;
    const limit = this.#algorithm.limit;
    const error = this.#errors.create(reason, { limit });
    return this.refusal(
      error,
      'concurrencyLimited',
      this.rejectionObserved ? { limit, inFlight: this.#inFlight } : undefined,
    );
  }
}

/** The algorithm named in the options, with its defaults applied. */
function createAlgorithm(
  name: LimitAlgorithmName,
  options: ResolvedAdaptiveConcurrencyLimiterOptions,
): LimitAlgorithm {
  switch (name) {
    case 'aimd': {
      const defaults = ADAPTIVE_CONCURRENCY_LIMITER_DEFAULTS.aimd;
      return new AimdLimit({
        ...resolveLimits(options, defaults),
        successThreshold: options.successThreshold ?? defaults.successThreshold,
        failureThreshold: options.failureThreshold ?? defaults.failureThreshold,
        backoffRatio: options.backoffRatio ?? defaults.backoffRatio,
        rttTolerance: options.rttTolerance ?? defaults.rttTolerance,
        latencyThresholdMs: options.latencyThresholdMs ?? Number.POSITIVE_INFINITY,
      });
    }
    case 'gradient2': {
      const defaults = ADAPTIVE_CONCURRENCY_LIMITER_DEFAULTS.gradient2;
      const gradient2 = new Gradient2Limit({
        ...resolveLimits(options, defaults),
        smoothing: options.smoothing ?? defaults.smoothing,
        rttTolerance: options.rttTolerance ?? defaults.rttTolerance,
        queueSize: options.queueSize ?? defaults.queueSize,
      });
      return new WindowedLimit(gradient2, windowSettings(options, defaults));
    }
    case 'vegas': {
      const defaults = ADAPTIVE_CONCURRENCY_LIMITER_DEFAULTS.vegas;
      const vegas = new VegasLimit({
        ...resolveLimits(options, defaults),
        smoothing: options.smoothing ?? defaults.smoothing,
        probeMultiplier: options.probeMultiplier ?? defaults.probeMultiplier,
        random: options.random ?? Math.random,
      });
      return new WindowedLimit(vegas, windowSettings(options, defaults));
    }
  }
}

function windowSettings(
  options: ResolvedAdaptiveConcurrencyLimiterOptions,
  defaults: SampleWindowSettings,
): SampleWindowSettings {
  return {
    minWindowMs: options.minWindowMs ?? defaults.minWindowMs,
    windowSize: options.windowSize ?? defaults.windowSize,
  };
}
