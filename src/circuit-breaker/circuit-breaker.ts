/**
 * CircuitBreaker: stops calling a dependency that keeps failing, and probes it before trusting it
 * again.
 * @module
 */
import { parseOptions } from '../core/config';
import { rootContext, type ExecutionContext, type InternalContext } from '../core/context';
import type { ListenerQuery } from '../core/events';
import { getLogger } from '../core/logger';
import { runOperation, type Operation } from '../core/operation';
import { FAILURE, IGNORED, OutcomeClassifier, SUCCESS, type Verdict } from '../core/outcome';
import { Pattern } from '../core/pattern';
import type { ExecuteOptions } from '../core/policy';
import type { PatternHealth } from '../core/registry';
import { quietRejection } from '../core/rejection';
import { callHealthOf, type CallHealth } from './call-health';
import { CallRecord, type SettleCall } from './call-record';
import { CircuitController, type Probe } from './circuit-controller';
import type { CircuitOpenError } from './circuit-open-error';
import { CircuitRejections } from './circuit-rejections';
import type { CircuitBreakerEvents } from './events';
import { inlineCalls, type InlineBreaker } from './inline';
import { circuitBreakerCrossCheck, circuitBreakerOptionsSchema, type CircuitBreakerOptions } from './options';
import type { CircuitBreakerSnapshot } from './snapshot';
import { CircuitState, type StateChangeReason } from './state';
import type { CircuitBreakerStats } from './stats';

/**
 * Opens after too many failures and rejects calls at once with {@link CircuitOpenError} until
 * `recoveryTimeoutMs` has passed; then admits up to `halfOpenMaxCalls` probes at a time, closing
 * after `successThreshold` successful probes and re-opening on any failed one.
 *
 * - Consecutive mode (no `window`): opens after `failureThreshold` failures in a row.
 * - Window mode: opens when the last `size` calls, or the calls of the last `durationMs`, hold at
 *   least `minimumCalls` and their failure rate or slow-call rate reaches its threshold.
 * - Failures are errors the exception handler handles and results `isFailureResult` rejects;
 *   `ignore`d errors, refusals by inner policies and calls the caller aborted count neither way;
 *   other errors count as successes (the dependency answered).
 * - Calls that settle after the state they started in has ended (late results) count in
 *   `stats().totals` only: they never trigger a transition nor free a probe slot twice.
 *
 * Cost: in closed state a call allocates nothing of its own when it needs no timing (no slow-call
 * threshold, no success/failure listener, no signal); while open a refusal reads no clock and
 * builds no stack trace.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ window: { type: 'time', durationMs: 30_000 }, recoveryTimeoutMs: 10_000 });
 * const value = await breaker.execute(({ signal }) => redis.get(key, { signal }));
 * ```
 */
export class CircuitBreaker extends Pattern<CircuitBreakerEvents, CircuitBreakerStats> {
  /** The kind of pattern: `'circuitBreaker'`. */
  declare readonly patternType: 'circuitBreaker';
  readonly #controller: CircuitController;
  readonly #health: CallHealth;
  readonly #classifier: OutcomeClassifier;
  readonly #errors: CircuitRejections;
  readonly #slowCallDurationMs: number | undefined;
  readonly #isFailureResult: ((result: unknown) => boolean) | undefined;
  readonly #settleCall: SettleCall;
  /** Settles the untracked calls of the current epoch; made once per transition. */
  #untracked: CallRecord;
  readonly #inline: InlineBreaker;
  /** Whether anyone listens to `success` or `failure`. */
  readonly #outcomeListeners: ListenerQuery;
  #rejectedOpen = 0;
  #rejectedHalfOpenFull = 0;
  #rejectedIsolated = 0;
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
    super('circuitBreaker', resolved);
    this.#health = callHealthOf(resolved, this.clock);
    this.#controller = new CircuitController(resolved, this.#health, this.clock, {
      transitioned: (from, to, reason, now) => this.#transitioned(from, to, reason, now),
      probeExpired: () => this.#count(true, false, 1),
    });
    this.#classifier = new OutcomeClassifier(this.exceptions);
    this.#outcomeListeners = this.hub.query('success', 'failure');
    this.#slowCallDurationMs = resolved.slowCallDurationMs;
    this.#isFailureResult = resolved.isFailureResult;
    this.#errors = new CircuitRejections(this.name, resolved.captureRejectionStacks ?? false, this.#controller, this.clock);
    this.#settleCall = (call, ok, outcome) => this.#settle(call, ok, outcome);
    this.#untracked = new CallRecord(this.#settleCall, 0, this.#controller.state, undefined, undefined, undefined);
    this.#inline = {
      admit: () => this.#admitInline(),
      settle: (call, ok, outcome, weight) => this.#settleInline(call, ok, outcome, weight),
    };
    this.register(resolved.registry);
  }

  /** @internal The breaker's calls for a caller that runs the call itself; see {@link InlineBreaker}. */
  get [inlineCalls](): InlineBreaker {
    return this.#inline;
  }

  /** The current state. */
  get state(): CircuitState {
    return this.#controller.state;
  }

  /**
   * Runs `fn` if the circuit admits it. While open with the recovery timeout still running, the
   * call is refused before any context is made (a signal that has already aborted still wins: the
   * kit refuses that call with the signal's reason).
   * @throws {@link CircuitOpenError} when the circuit refuses the call
   * @throws `fn`'s own error, unchanged
   */
  override execute<T>(fn: (ctx: ExecutionContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T> {
    const controller = this.#controller;
    const state = controller.state;
    // The closed call without options, the hot path: what the kit's `execute` would do, without
    // its second look at the state and its call of `run`, which sees every pattern's.
    if (state === CircuitState.Closed && options === undefined) return this.#runClosed(fn, rootContext(undefined, this.clock), state);
    if (state === CircuitState.Open && !controller.recoveryDue && options?.signal?.aborted !== true) {
      return this.#refuse(this.#errors.open());
    }
    return super.execute(fn, options);
  }

  /** Holds the circuit open, rejecting every call, until {@link CircuitBreaker.reset}. */
  isolate(): void {
    this.#controller.isolate(this.clock.now());
  }

  /** Lets every call through, still recording outcomes, until {@link CircuitBreaker.reset}. */
  disable(): void {
    this.#controller.disable(this.clock.now());
  }

  /** Returns to a fresh closed state: empty window, base recovery timeout. */
  reset(): void {
    this.#controller.reset(this.clock.now());
  }

  /**
   * The state as plain data (also what `JSON.stringify(breaker)` writes): pass it as
   * `initialState` to a breaker of the next process so that an open circuit stays open across a
   * restart. See {@link CircuitBreakerSnapshot} for what it holds.
   */
  toJSON(): CircuitBreakerSnapshot {
    return this.#controller.snapshot();
  }

  /** Counters and rates; see {@link CircuitBreakerStats}. */
  stats(): CircuitBreakerStats {
    const { calls, failures, slowCalls } = this.#health.totals();
    return {
      state: this.#controller.state,
      calls,
      failures,
      slowCalls,
      failureRate: calls === 0 ? 0 : failures / calls,
      slowCallRate: calls === 0 ? 0 : slowCalls / calls,
      consecutiveFailures: this.#health.consecutiveFailures,
      rejected: this.#rejectedOpen + this.#rejectedHalfOpenFull + this.#rejectedIsolated,
      rejectedByReason: {
        circuitOpen: this.#rejectedOpen,
        halfOpenFull: this.#rejectedHalfOpenFull,
        isolated: this.#rejectedIsolated,
      },
      nextProbeAt: this.#controller.nextProbeAt(this.clock.now()),
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

  /**
   * The state, healthy when closed or disabled; open, half-open and isolated mean that the
   * dependency is failing or recovering.
   */
  override health(): PatternHealth {
    const state = this.#controller.state;
    return { state, healthy: state === CircuitState.Closed || state === CircuitState.Disabled };
  }

  /** Stops the breaker's timers (recovery, time-window slices); none keeps the process alive anyway. */
  override dispose(): void {
    this.#controller.dispose();
    this.#health.dispose();
  }

  /** Runs `fn` in closed or disabled state; asks the controller in the others. */
  protected run<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    const state = this.#controller.state;
    if (state !== CircuitState.Closed && state !== CircuitState.Disabled) return this.#admit(fn, ctx);
    return this.#runClosed(fn, ctx, state);
  }

  /** Runs `fn` admitted in `state`, closed or disabled: untracked unless it is timed or has a scope. */
  #runClosed<T>(fn: Operation<T>, ctx: InternalContext, state: CircuitState): Promise<T> {
    const timed = this.#timed();
    const call =
      timed || ctx.scope !== undefined
        ? new CallRecord(this.#settleCall, this.#controller.epoch, state, timed ? this.clock.now() : undefined, ctx, undefined)
        : this.#untracked;
    return runOperation(fn, ctx, call.onFulfilled as (value: T) => T, call.onRejected);
  }

  /** Whether a call's duration is wanted: `slowCallDurationMs`, or a `success` or `failure` listener. */
  #timed(): boolean {
    return this.#slowCallDurationMs !== undefined || this.#outcomeListeners.anyone;
  }

  /**
   * The record of a call that `run` would admit in closed or disabled state, for a caller without
   * a signal: the shared untracked one, or a timed one of its own when the call's duration is
   * wanted; undefined when the call needs `execute`.
   */
  #admitInline(): CallRecord | undefined {
    const controller = this.#controller;
    const state = controller.state;
    if (state !== CircuitState.Closed && state !== CircuitState.Disabled) return undefined;
    if (!this.#timed()) return this.#untracked;
    return new CallRecord(this.#settleCall, controller.epoch, state, this.clock.now(), undefined, undefined);
  }

  /** Open, half-open or isolated (the states that may refuse): reject, or run a probe. */
  #admit<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    const controller = this.#controller;
    if (controller.state === CircuitState.Open && !controller.recoveryDue) return this.#refuse(this.#errors.open());
    const now = this.clock.now();
    const admission = controller.admit(now);
    if (admission === 'circuitOpen') return this.#refuse(this.#errors.open());
    if (admission === 'isolated') return this.#refuse(this.#errors.isolated());
    if (admission === 'halfOpenFull') {
      return this.#refuse(this.#errors.halfOpenFull((controller.nextProbeAt(now) as number) - now));
    }
    const call = new CallRecord(this.#settleCall, controller.epoch, CircuitState.HalfOpen, now, ctx, admission);
    return runOperation(fn, ctx, call.onFulfilled as (value: T) => T, call.onRejected);
  }

  /**
   * Counts and announces a refusal. While open, the hot path of an outage, this reads no clock
   * unless someone hears of refusals (see {@link CircuitRejections}).
   */
  #refuse<T>(error: CircuitOpenError): Promise<T> {
    const reason = error.reason;
    if (reason === 'circuitOpen') this.#rejectedOpen++;
    else if (reason === 'halfOpenFull') this.#rejectedHalfOpenFull++;
    else this.#rejectedIsolated++;
    const details = this.rejectionObserved ? { state: error.state, retryAfterMs: error.retryAfterMs } : undefined;
    return quietRejection(this.refusal(error, 'circuitOpen', details));
  }

  /** Counts a call's outcome, and moves the state machine when it is current and decides something. */
  #settle(call: CallRecord, ok: boolean, outcome: unknown): void {
    const probe = call.probe;
    if (probe !== undefined && probe.expired) return;
    this.#settleVerdict(call, ok ? this.#resultVerdict(outcome) : this.#classifier.classify(outcome, call.ctx), outcome);
  }

  /**
   * Counts the outcome of an inline call (see {@link InlineBreaker.settle}), which has no probe
   * and no scope, and stands for `weight` calls: classified, timed, announced and reported once.
   */
  #settleInline(call: CallRecord, ok: boolean, outcome: unknown, weight: number): void {
    this.#settleVerdict(call, ok ? this.#resultVerdict(outcome) : this.#classifier.classify(outcome, undefined), outcome, weight);
  }

  /**
   * Counts a call whose outcome is classified as `verdict`, and moves the state machine when it
   * is current and decides something. A call standing for `weight` calls (a batched inline read)
   * is counted that many times but timed, announced and reported once.
   */
  #settleVerdict(call: CallRecord, verdict: Verdict, outcome: unknown, weight = 1): void {
    if (verdict === IGNORED) return this.#settleIgnored(call, weight);
    const probe = call.probe;
    const failure = verdict === FAILURE;
    const startedAt = call.startedAt;
    const now = startedAt === undefined ? 0 : this.clock.now();
    const durationMs = startedAt === undefined ? 0 : now - startedAt;
    const slow = this.#slowCallDurationMs !== undefined && durationMs > this.#slowCallDurationMs;
    this.#count(failure, slow, weight);
    if (startedAt !== undefined) this.#emitOutcome(failure, call.state, durationMs, outcome, now);
    if (call.epoch !== this.#controller.epoch) return this.#settleLate(call, failure, outcome, weight);
    if (probe !== undefined) return this.#settleProbe(probe, failure, slow, outcome);
    this.#record(call, failure, slow, outcome, weight);
  }

  /*
   * The rarer endings of #settleVerdict, kept out of it so that it stays small enough for V8 to inline
   * into the settlement handlers of the untracked closed-state path.
   */

  /** A call (or `weight` calls) that counts neither way; a current probe frees its slot. */
  #settleIgnored(call: CallRecord, weight: number): void {
    this.#ignored += weight;
    const probe = call.probe;
    if (probe !== undefined && call.epoch === this.#controller.epoch) this.#controller.releaseProbe(probe);
  }

  /** A call (or `weight` calls) that settled after the state it started in had ended: counted, changes nothing. */
  #settleLate(call: CallRecord, failure: boolean, outcome: unknown, weight: number): void {
    this.#lateResults += weight;
    if (failure) this.#report('callFailed', outcome, call.state, weight);
  }

  /** A probe ended: the controller closes or re-opens the circuit. */
  #settleProbe(probe: Probe, failure: boolean, slow: boolean, outcome: unknown): void {
    this.#controller.releaseProbe(probe);
    if (failure) this.#report('callFailed', outcome, CircuitState.HalfOpen);
    this.#controller.probeEnded(!failure && !slow, this.clock.now());
  }

  /**
   * Records a current call in the health window, and opens the circuit when that trips it; a call
   * standing for `weight` calls records them one by one, as that many calls would have been (those
   * after one that opens the circuit are late results). A failure is reported once.
   */
  #record(call: CallRecord, failure: boolean, slow: boolean, outcome: unknown, weight: number): void {
    for (let recorded = 1; recorded <= weight; recorded++) {
      const trip = this.#health.record(failure, slow);
      if (trip !== undefined && call.state === CircuitState.Closed) {
        this.#lateResults += weight - recorded;
        if (failure) this.#report('thresholdExceeded', outcome, call.state, weight);
        this.#controller.trip(trip, this.clock.now());
        return;
      }
    }
    if (failure) this.#report('callFailed', outcome, call.state, weight);
  }

  /** A value is a success unless `isFailureResult` says otherwise; a throwing one is logged. */
  #resultVerdict(result: unknown): Verdict {
    const isFailureResult = this.#isFailureResult;
    if (isFailureResult === undefined) return SUCCESS;
    try {
      return isFailureResult(result) === true ? FAILURE : SUCCESS;
    } catch (error) {
      getLogger().error({ err: error, patternName: this.name }, 'bulwark: isFailureResult threw; the result counts as a success');
      return SUCCESS;
    }
  }

  /** Counts `weight` calls of one outcome. */
  #count(failure: boolean, slow: boolean, weight: number): void {
    this.#calls += weight;
    if (failure) this.#failures += weight;
    else this.#successes += weight;
    if (slow) this.#slowCalls += weight;
  }

  /** After every transition: a fresh record for untracked calls of the new epoch, then the event. */
  #transitioned(from: CircuitState, to: CircuitState, reason: StateChangeReason, now: number): void {
    this.#untracked = new CallRecord(this.#settleCall, this.#controller.epoch, to, undefined, undefined, undefined);
    if (this.hub.has('stateChange')) this.hub.emit('stateChange', now, { from, to, reason });
  }

  #emitOutcome(failure: boolean, state: CircuitState, durationMs: number, outcome: unknown, now: number): void {
    const hub = this.hub;
    if (failure) {
      if (hub.has('failure')) hub.emit('failure', now, { state, durationMs, error: outcome });
    } else if (hub.has('success')) {
      hub.emit('success', now, { state, durationMs });
    }
  }

  /** Tells `onException` of a failure; `calls` is how many calls it stands for, in the metadata when more than one. */
  #report(reason: string, error: unknown, state: CircuitState, calls = 1): void {
    if (this.exceptions.reports) this.exceptions.report(reason, error, calls === 1 ? { state } : { state, calls });
  }
}
