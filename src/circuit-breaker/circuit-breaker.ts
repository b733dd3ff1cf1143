/**
 * CircuitBreaker: stops calling a dependency that keeps failing, and probes it before trusting it
 * again.
 * @module
 */
import { systemClock, unrefTimer, type Clock, type TimerHandle } from '../core/clock';
import { defaultName, parseOptions } from '../core/config';
import type { ExecutionContext, InternalContext } from '../core/context';
import {
  CircuitOpenError,
  circuitOpenMessage,
  ErrorCode,
  isRejectedError,
  rejectionText,
  stacklessRejection,
  type RejectingCircuitState,
} from '../core/errors';
import { EventHub, type EventEmitter } from '../core/events';
import { ExceptionHandler } from '../core/exceptions';
import { isPromiseLike } from '../core/promise-like';
import { getLogger } from '../core/logger';
import { rootContext, runInContext, type ExecuteOptions, type Policy } from '../core/policy';
import { registerInstance } from '../core/registry';
import { quietRejection } from '../core/rejection';
import { ConsecutiveHealth, RateHealth, type CallHealth } from './call-health';
import { CountWindow } from './count-window';
import type { CircuitBreakerEvents } from './events';
import {
  CIRCUIT_BREAKER_DEFAULTS,
  circuitBreakerCrossCheck,
  circuitBreakerOptionsSchema,
  type CircuitBreakerOptions,
} from './options';
import { CircuitState, type StateChangeReason } from './state';
import type { CircuitBreakerStats } from './stats';
import { TimeWindow } from './time-window';

const SUCCESS = 0;
const FAILURE = 1;
const NEITHER = 2;
type Verdict = typeof SUCCESS | typeof FAILURE | typeof NEITHER;

/** A call admitted while half-open. */
interface Probe {
  readonly startedAt: number;
  /** Set when it ran past `maxHalfOpenWaitMs` and was counted as failed. */
  expired: boolean;
}

type Operation<T> = (ctx: InternalContext) => T | PromiseLike<T>;

/**
 * Opens after too many failures and rejects calls at once with {@link CircuitOpenError} until
 * `recoveryTimeoutMs` has passed; then admits up to `halfOpenMaxCalls` probes at a time, closing
 * after `successThreshold` successful probes and re-opening on any failed one.
 *
 * - Consecutive mode (no `window`): opens after `failureThreshold` failures in a row.
 * - Window mode: opens when the last `size` calls, or the calls of the last `durationMs`, hold at
 *   least `minimumCalls` and their failure rate or slow-call rate reaches its threshold.
 * - Failures are errors the exception handler handles and results `isFailureResult` rejects;
 *   `ignore`d errors and calls the caller aborted count neither way; other errors count as
 *   successes (the dependency answered).
 * - Calls that settle after the state they started in has ended (late results) count in
 *   `stats().totals` only: they never trigger a transition nor free a probe slot twice.
 *
 * Cost: in closed state a call allocates nothing of its own when it needs no timing (no slow-call
 * threshold, no success/failure listener, no signal); rejection builds no stack trace.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ window: { type: 'time', durationMs: 30_000 }, recoveryTimeoutMs: 10_000 });
 * const value = await breaker.execute(({ signal }) => redis.get(key, { signal }));
 * ```
 */
export class CircuitBreaker implements Policy {
  /** Instance name, used in events, errors, logs and the registry. */
  readonly name: string;
  /** The kind of pattern: `'circuitBreaker'`. */
  readonly patternType = 'circuitBreaker' as const;
  /** Typed emitter of this instance's events: stateChange, success, failure, rejected. */
  readonly events: EventEmitter<CircuitBreakerEvents>;
  readonly #health: CallHealth;
  readonly #slowCallDurationMs: number | undefined;
  readonly #baseRecoveryMs: number;
  readonly #backoff: { readonly multiplier: number; readonly maxMs: number } | undefined;
  readonly #halfOpenMaxCalls: number;
  readonly #successThreshold: number;
  readonly #maxHalfOpenWaitMs: number;
  readonly #autoHalfOpen: boolean;
  readonly #isFailureResult: ((result: unknown) => boolean) | undefined;
  readonly #captureRejectionStacks: boolean;
  readonly #clock: Clock;
  readonly #handler: ExceptionHandler;
  readonly #hub: EventHub<CircuitBreakerEvents>;
  readonly #rejection: Record<RejectingCircuitState, { readonly message: string; readonly stack: string }>;
  #state: CircuitState = CircuitState.Closed;
  /** Incremented on every transition; a call whose epoch is not current is a late result. */
  #epoch = 0;
  #recoveryMs: number;
  #openUntil = 0;
  /**
   * Set by the recovery timer once `#openUntil` has passed; until then an open breaker rejects
   * without reading the clock.
   */
  #recoveryDue = false;
  #recoveryTimer: TimerHandle | undefined;
  /** The prototype of this open period's rejections; see {@link CircuitBreaker.#rejectOpen}. */
  #openRejection: CircuitOpenError | undefined;
  #probes: Probe[] = [];
  #probeSuccesses = 0;
  #onFreeSuccess!: (value: unknown) => unknown;
  #onFreeFailure!: (error: unknown) => Promise<never>;
  #rejected = 0;
  #calls = 0;
  #successes = 0;
  #failures = 0;
  #ignored = 0;
  #slowCalls = 0;
  #lateResults = 0;

  /**
   * @param options - see {@link CircuitBreakerOptions}; every field is optional
   * @throws {@link ConfigError} naming every invalid option
   */
  constructor(options: CircuitBreakerOptions = {}) {
    const resolved = parseOptions(circuitBreakerOptionsSchema, options, 'CircuitBreaker options', circuitBreakerCrossCheck);
    const defaults = CIRCUIT_BREAKER_DEFAULTS;
    this.name = resolved.name ?? defaultName('circuitBreaker');
    this.#clock = resolved.clock ?? systemClock;
    const window = resolved.window;
    if (window === undefined) {
      this.#health = new ConsecutiveHealth(resolved.failureThreshold ?? defaults.failureThreshold);
    } else {
      const outcomes =
        window.type === 'count'
          ? new CountWindow(window.size)
          : new TimeWindow(window.durationMs, window.buckets ?? defaults.timeWindowBuckets, this.#clock);
      const minimumCalls = resolved.minimumCalls ?? defaults.minimumCalls;
      this.#health = new RateHealth(
        outcomes,
        window.type === 'count' ? Math.min(minimumCalls, window.size) : minimumCalls,
        resolved.failureRateThreshold ?? defaults.failureRateThreshold,
        resolved.slowCallRateThreshold ?? defaults.slowCallRateThreshold,
      );
    }
    this.#slowCallDurationMs = resolved.slowCallDurationMs;
    this.#baseRecoveryMs = resolved.recoveryTimeoutMs ?? defaults.recoveryTimeoutMs;
    this.#recoveryMs = this.#baseRecoveryMs;
    this.#backoff = resolved.recoveryBackoff;
    this.#halfOpenMaxCalls = resolved.halfOpenMaxCalls ?? defaults.halfOpenMaxCalls;
    this.#successThreshold = resolved.successThreshold ?? defaults.successThreshold;
    this.#maxHalfOpenWaitMs = resolved.maxHalfOpenWaitMs ?? this.#baseRecoveryMs;
    this.#autoHalfOpen = resolved.autoHalfOpen ?? false;
    this.#isFailureResult = resolved.isFailureResult;
    this.#captureRejectionStacks = resolved.captureRejectionStacks ?? false;
    this.#rejection = {
      open: rejectionText('CircuitOpenError', circuitOpenMessage(this.name, 'open')),
      'half-open': rejectionText('CircuitOpenError', circuitOpenMessage(this.name, 'half-open')),
      isolated: rejectionText('CircuitOpenError', circuitOpenMessage(this.name, 'isolated')),
    };
    this.#handler = new ExceptionHandler(resolved.exceptions, 'circuitBreaker', this.name);
    this.#hub = new EventHub('circuitBreaker', this.name);
    this.events = this.#hub.emitter;
    this.#bindFreeHandlers();
    registerInstance(this, resolved.registry);
  }

  /** The current state. */
  get state(): CircuitState {
    return this.#state;
  }

  /**
   * Runs `fn` if the circuit admits it.
   * @throws {@link CircuitOpenError} when the circuit refuses the call
   * @throws `fn`'s own error, unchanged
   */
  execute<T>(fn: (ctx: ExecutionContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T> {
    if (this.#state === CircuitState.Open && !this.#recoveryDue && options?.signal?.aborted !== true) {
      return this.#rejectOpen();
    }
    const ctx = rootContext(options, this.#clock);
    if (ctx.scope?.aborted) return Promise.reject(ctx.scope.reason);
    return this[runInContext](fn, ctx);
  }

  /** @internal */
  [runInContext]<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    const state = this.#state;
    if (state !== CircuitState.Closed && state !== CircuitState.Disabled) return this.#admit(fn, ctx);
    const timed = this.#slowCallDurationMs !== undefined || this.#hub.has('success') || this.#hub.has('failure');
    if (timed || ctx.scope !== undefined) {
      return this.#runTracked(fn, ctx, timed ? this.#clock.now() : undefined, undefined);
    }
    let value: T | PromiseLike<T>;
    try {
      value = fn(ctx);
    } catch (error) {
      return this.#onFreeFailure(error);
    }
    if (isPromiseLike(value)) {
      return Promise.resolve(value).then(
        this.#onFreeSuccess as (value: T) => T,
        this.#onFreeFailure,
      );
    }
    return Promise.resolve(this.#onFreeSuccess(value) as T);
  }

  /** Holds the circuit open, rejecting every call, until {@link CircuitBreaker.reset}. */
  isolate(): void {
    this.#transition(CircuitState.Isolated, 'isolated', this.#clock.now());
  }

  /** Lets every call through, still recording outcomes, until {@link CircuitBreaker.reset}. */
  disable(): void {
    this.#transition(CircuitState.Disabled, 'disabled', this.#clock.now());
  }

  /** Returns to a fresh closed state: empty window, base recovery timeout. */
  reset(): void {
    this.#health.reset();
    this.#recoveryMs = this.#baseRecoveryMs;
    this.#transition(CircuitState.Closed, 'reset', this.#clock.now());
  }

  /** Counters and rates; see {@link CircuitBreakerStats}. */
  stats(): CircuitBreakerStats {
    const { calls, failures, slowCalls } = this.#health.totals();
    return {
      state: this.#state,
      calls,
      failures,
      slowCalls,
      failureRate: calls === 0 ? 0 : failures / calls,
      slowCallRate: calls === 0 ? 0 : slowCalls / calls,
      consecutiveFailures: this.#health.consecutiveFailures,
      rejected: this.#rejected,
      nextProbeAt: this.#nextProbeAt(this.#clock.now()),
      totals: {
        calls: this.#calls,
        successes: this.#successes,
        failures: this.#failures,
        ignored: this.#ignored,
        slowCalls: this.#slowCalls,
        lateResults: this.#lateResults,
      },
    };
  }

  /** Stops the breaker's timers (recovery, time-window slices); none keeps the process alive anyway. */
  dispose(): void {
    this.#clearRecoveryTimer();
    this.#recoveryDue = true;
    this.#health.dispose();
  }

  /** Same as {@link CircuitBreaker.dispose}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }

  /** Open, half-open or isolated (the states that may refuse): reject, or admit a probe. */
  #admit<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    if (this.#state === CircuitState.Open && !this.#recoveryDue) return this.#rejectOpen();
    const now = this.#clock.now();
    if (this.#state === CircuitState.Open) {
      if (now < this.#openUntil) {
        this.#armRecoveryTimer(this.#openUntil - now);
        return this.#rejectOpen();
      }
      this.#transition(CircuitState.HalfOpen, 'recoveryTimeout', now);
    }
    if (this.#state === CircuitState.HalfOpen) {
      this.#expireStaleProbe(now);
      if ((this.#state as CircuitState) === CircuitState.Open) return this.#rejectOpen();
      if (this.#probes.length >= this.#halfOpenMaxCalls) {
        const oldest = this.#probes[0] as Probe;
        return this.#reject(CircuitState.HalfOpen, oldest.startedAt + this.#maxHalfOpenWaitMs - now);
      }
      const probe: Probe = { startedAt: now, expired: false };
      this.#probes.push(probe);
      return this.#runTracked(fn, ctx, now, probe);
    }
    return this.#reject(CircuitState.Isolated, Number.POSITIVE_INFINITY);
  }

  /** Runs `fn` keeping what its settlement needs: start time, state, context and probe. */
  #runTracked<T>(fn: Operation<T>, ctx: InternalContext, startedAt: number | undefined, probe: Probe | undefined): Promise<T> {
    const epoch = this.#epoch;
    const state = this.#state;
    let value: T | PromiseLike<T>;
    try {
      value = fn(ctx);
    } catch (error) {
      this.#settle(epoch, state, false, error, startedAt, ctx, probe);
      return Promise.reject(error);
    }
    if (!isPromiseLike(value)) {
      this.#settle(epoch, state, true, value, startedAt, ctx, probe);
      return Promise.resolve(value);
    }
    return Promise.resolve(value).then(
      (result) => {
        this.#settle(epoch, state, true, result, startedAt, ctx, probe);
        return result;
      },
      (error: unknown) => {
        this.#settle(epoch, state, false, error, startedAt, ctx, probe);
        throw error;
      },
    );
  }

  /**
   * The settlement handlers of untracked calls (no timing, no signal) in the current epoch: made
   * once per transition, not per call, so that such calls allocate nothing of their own.
   */
  #bindFreeHandlers(): void {
    const epoch = this.#epoch;
    const state = this.#state;
    this.#onFreeSuccess = (value) => {
      this.#settle(epoch, state, true, value, undefined, undefined, undefined);
      return value;
    };
    this.#onFreeFailure = (error) => {
      this.#settle(epoch, state, false, error, undefined, undefined, undefined);
      return Promise.reject(error);
    };
  }

  #settle(
    epoch: number,
    state: CircuitState,
    ok: boolean,
    outcome: unknown,
    startedAt: number | undefined,
    ctx: InternalContext | undefined,
    probe: Probe | undefined,
  ): void {
    if (probe?.expired === true) return;
    const current = epoch === this.#epoch;
    const verdict = this.#judge(ok, outcome, ctx);
    if (verdict === NEITHER) {
      this.#ignored++;
      if (current && probe !== undefined) this.#releaseProbe(probe);
      return;
    }
    const failure = verdict === FAILURE;
    const now = startedAt === undefined ? 0 : this.#clock.now();
    const durationMs = startedAt === undefined ? 0 : now - startedAt;
    const slow = this.#slowCallDurationMs !== undefined && durationMs > this.#slowCallDurationMs;
    this.#count(failure, slow);
    if (startedAt !== undefined) this.#emitOutcome(failure, state, durationMs, outcome, now);
    if (!current) {
      this.#lateResults++;
      if (failure) this.#report('callFailed', outcome, state);
      return;
    }
    if (probe !== undefined) return this.#settleProbe(probe, failure, slow, outcome);
    const trip = this.#health.record(failure, slow);
    if (failure) this.#report(trip !== undefined && state === CircuitState.Closed ? 'thresholdExceeded' : 'callFailed', outcome, state);
    if (trip !== undefined && state === CircuitState.Closed) this.#transition(CircuitState.Open, trip, this.#clock.now());
  }

  #judge(ok: boolean, outcome: unknown, ctx: InternalContext | undefined): Verdict {
    if (ok) return this.#isFailureResult !== undefined && this.#judgeResult(outcome) ? FAILURE : SUCCESS;
    const scope = ctx?.scope;
    if (scope !== undefined && scope.aborted && scope.abortedByCaller) return NEITHER;
    if (isRejectedError(outcome)) return NEITHER;
    if (this.#handler.handles(outcome)) return FAILURE;
    return this.#handler.ignores(outcome) ? NEITHER : SUCCESS;
  }

  #judgeResult(result: unknown): boolean {
    try {
      return (this.#isFailureResult as (result: unknown) => boolean)(result) === true;
    } catch (error) {
      getLogger().error({ err: error, patternName: this.name }, 'bulwark: isFailureResult threw; the result counts as a success');
      return false;
    }
  }

  #count(failure: boolean, slow: boolean): void {
    this.#calls++;
    if (failure) this.#failures++;
    else this.#successes++;
    if (slow) this.#slowCalls++;
  }

  /** A probe ended: a failure, or a slow success (the dependency still struggles), re-opens. */
  #settleProbe(probe: Probe, failure: boolean, slow: boolean, outcome: unknown): void {
    this.#releaseProbe(probe);
    const now = this.#clock.now();
    if (failure || slow) {
      if (failure) this.#report('callFailed', outcome, CircuitState.HalfOpen);
      this.#transition(CircuitState.Open, 'probeFailed', now);
    } else if (++this.#probeSuccesses >= this.#successThreshold) {
      this.#transition(CircuitState.Closed, 'probeSucceeded', now);
    }
  }

  #releaseProbe(probe: Probe): void {
    const index = this.#probes.indexOf(probe);
    if (index >= 0) this.#probes.splice(index, 1);
  }

  /** Counts a probe that has run past `maxHalfOpenWaitMs` as failed and re-opens the circuit. */
  #expireStaleProbe(now: number): void {
    const oldest = this.#probes[0];
    if (oldest === undefined || now - oldest.startedAt < this.#maxHalfOpenWaitMs) return;
    oldest.expired = true;
    this.#count(true, false);
    this.#transition(CircuitState.Open, 'probeTimedOut', now);
  }

  /**
   * Rejects a call while open, the hot path of an outage: no clock read, no stack, no tracked
   * rejection. Each error inherits everything from one stackless prototype per open period, whose
   * `retryAfterMs` getter computes the time left when read.
   */
  #rejectOpen<T>(): Promise<T> {
    if (this.#captureRejectionStacks) {
      return this.#reject(CircuitState.Open, Math.max(0, this.#openUntil - this.#clock.now()));
    }
    let prototype = this.#openRejection;
    if (prototype === undefined) {
      const until = this.#openUntil;
      const clock = this.#clock;
      prototype = stacklessRejection(CircuitOpenError, {
        ...this.#rejection.open,
        code: ErrorCode.CircuitOpen,
        policyName: this.name,
        state: CircuitState.Open,
      });
      Object.defineProperty(prototype, 'retryAfterMs', {
        get: () => Math.max(0, until - clock.now()),
        enumerable: true,
      });
      this.#openRejection = prototype;
    }
    return this.#refuse(CircuitState.Open, Object.create(prototype) as CircuitOpenError);
  }

  #reject<T>(state: RejectingCircuitState, retryAfterMs: number): Promise<T> {
    const text = this.#rejection[state];
    const error = this.#captureRejectionStacks
      ? new CircuitOpenError(this.name, state, retryAfterMs)
      : stacklessRejection(CircuitOpenError, {
          ...text,
          code: ErrorCode.CircuitOpen,
          policyName: this.name,
          retryAfterMs,
          state,
        });
    return this.#refuse(state, error);
  }

  #refuse<T>(state: RejectingCircuitState, error: CircuitOpenError): Promise<T> {
    this.#rejected++;
    if (this.#hub.has('rejected')) {
      this.#hub.emit('rejected', this.#clock.now(), { state, retryAfterMs: error.retryAfterMs });
    }
    if (!this.#handler.reports && !this.#handler.transforms) return quietRejection(error);
    const metadata = { state, retryAfterMs: error.retryAfterMs };
    this.#handler.report('circuitOpen', error, metadata);
    return quietRejection(this.#handler.toCallerError('circuitOpen', error, metadata));
  }

  #transition(to: CircuitState, reason: StateChangeReason, now: number): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#epoch++;
    this.#clearRecoveryTimer();
    this.#probes = [];
    if (to === CircuitState.Open) {
      if (from === CircuitState.HalfOpen && this.#backoff !== undefined) {
        this.#recoveryMs = Math.min(this.#recoveryMs * this.#backoff.multiplier, this.#backoff.maxMs);
      }
      this.#openUntil = now + this.#recoveryMs;
      this.#openRejection = undefined;
      this.#armRecoveryTimer(this.#recoveryMs);
    } else if (to === CircuitState.HalfOpen) {
      this.#probeSuccesses = 0;
    } else if (to === CircuitState.Closed) {
      this.#health.reset();
      this.#recoveryMs = this.#baseRecoveryMs;
    }
    this.#bindFreeHandlers();
    if (this.#hub.has('stateChange')) this.#hub.emit('stateChange', now, { from, to, reason });
  }

  /**
   * Ends the recovery timeout after `delayMs`: moves to half-open with `autoHalfOpen`, otherwise
   * lets the next call read the clock and probe. Lifetime: one timer per open period, unref'd so
   * that it never keeps the process alive, cleared by every transition and by `dispose()`.
   */
  #armRecoveryTimer(delayMs: number): void {
    this.#clearRecoveryTimer();
    this.#recoveryDue = false;
    const timer = this.#clock.setTimeout(() => {
      this.#recoveryTimer = undefined;
      if (this.#state !== CircuitState.Open) return;
      if (this.#autoHalfOpen) this.#transition(CircuitState.HalfOpen, 'recoveryTimeout', this.#clock.now());
      else this.#recoveryDue = true;
    }, delayMs);
    unrefTimer(timer);
    this.#recoveryTimer = timer;
  }

  #clearRecoveryTimer(): void {
    if (this.#recoveryTimer === undefined) return;
    this.#clock.clearTimeout(this.#recoveryTimer);
    this.#recoveryTimer = undefined;
  }

  #nextProbeAt(now: number): number | null {
    if (this.#state === CircuitState.Open) return this.#openUntil;
    if (this.#state !== CircuitState.HalfOpen) return null;
    const oldest = this.#probes[0];
    return this.#probes.length < this.#halfOpenMaxCalls || oldest === undefined
      ? now
      : oldest.startedAt + this.#maxHalfOpenWaitMs;
  }

  #emitOutcome(failure: boolean, state: CircuitState, durationMs: number, outcome: unknown, now: number): void {
    if (failure) {
      if (this.#hub.has('failure')) this.#hub.emit('failure', now, { state, durationMs, error: outcome });
    } else if (this.#hub.has('success')) {
      this.#hub.emit('success', now, { state, durationMs });
    }
  }

  #report(reason: string, error: unknown, state: CircuitState): void {
    if (this.#handler.reports) this.#handler.report(reason, error, { state });
  }
}
