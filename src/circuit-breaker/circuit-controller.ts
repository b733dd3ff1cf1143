/**
 * The state machine of a circuit breaker: its state and epoch, the transitions between states, the
 * recovery timer and its backoff, and the probes admitted while half-open. The policy
 * (circuit-breaker.ts) asks it whether a call may run and tells it how calls ended; the decision
 * whether recorded outcomes must open the circuit stays with {@link CallHealth}.
 *
 * Polly's `CircuitStateController` and resilience4j's `CircuitBreakerStateMachine` are the models.
 * @module
 * @internal
 */
import { unrefTimer, type Clock, type TimerHandle } from '../core/clock';
import type { CallHealth, TripReason } from './call-health';
import type { CircuitRejectionReason } from './circuit-open-error';
import { CIRCUIT_BREAKER_DEFAULTS, type ResolvedCircuitBreakerOptions } from './options';
import type { CircuitBreakerSnapshot } from './snapshot';
import { CircuitState, type StateChangeReason } from './state';

/** A call admitted while half-open. */
export interface Probe {
  /** When it was admitted, by the breaker's clock. */
  readonly startedAt: number;
  /** Set when it ran past `maxHalfOpenWaitMs` and was counted as failed: its outcome is disregarded. */
  expired: boolean;
}

/** What the controller tells the policy that owns it. */
export interface ControllerOwner {
  /** After every transition, synchronously; {@link CircuitController.epoch} has already moved on. */
  transitioned(from: CircuitState, to: CircuitState, reason: StateChangeReason, now: number): void;
  /** A probe ran past `maxHalfOpenWaitMs`: it counts as one failed call. */
  probeExpired(): void;
}

/**
 * Owns the state of one circuit breaker. Every transition is synchronous, advances the epoch (so
 * that calls admitted before it become late results), clears the recovery timer and forgets the
 * running probes.
 *
 * Cost: reading `state`, `epoch` and `recoveryDue` reads a field; an open circuit rejects without
 * reading the clock until its recovery timer has fired.
 */
export class CircuitController {
  readonly #health: CallHealth;
  readonly #clock: Clock;
  readonly #owner: ControllerOwner;
  readonly #baseRecoveryMs: number;
  readonly #backoff: { readonly multiplier: number; readonly maxMs: number } | undefined;
  readonly #halfOpenMaxCalls: number;
  readonly #successThreshold: number;
  readonly #maxHalfOpenWaitMs: number;
  readonly #autoHalfOpen: boolean;
  #state: CircuitState = CircuitState.Closed;
  #epoch = 0;
  #recoveryMs: number;
  #openUntil = 0;
  /**
   * Set by the recovery timer once `#openUntil` has passed (and by `dispose()`); until then an open
   * circuit rejects without reading the clock.
   */
  #recoveryDue = false;
  /**
   * The one timer of the current state: the recovery timer while open, the probe timer while
   * half-open. Every transition and `dispose()` clear it; it never keeps the process alive.
   */
  #timer: TimerHandle | undefined;
  readonly #probes: Probe[] = [];
  #probeSuccesses = 0;

  /**
   * @param options - the breaker's parsed options (recovery, backoff and half-open settings)
   * @param health - the decision half, cleared whenever the circuit closes
   * @param clock - time and timers
   * @param owner - told of every transition and of expired probes
   */
  constructor(options: ResolvedCircuitBreakerOptions, health: CallHealth, clock: Clock, owner: ControllerOwner) {
    const defaults = CIRCUIT_BREAKER_DEFAULTS;
    this.#health = health;
    this.#clock = clock;
    this.#owner = owner;
    this.#baseRecoveryMs = options.recoveryTimeoutMs ?? defaults.recoveryTimeoutMs;
    this.#recoveryMs = this.#baseRecoveryMs;
    this.#backoff = options.recoveryBackoff;
    this.#halfOpenMaxCalls = options.halfOpenMaxCalls ?? defaults.halfOpenMaxCalls;
    this.#successThreshold = options.successThreshold ?? defaults.successThreshold;
    this.#maxHalfOpenWaitMs = options.maxHalfOpenWaitMs ?? this.#baseRecoveryMs;
    this.#autoHalfOpen = options.autoHalfOpen ?? false;
    if (options.initialState !== undefined) this.#restore(options.initialState, clock.now());
  }

  /** The current state. */
  get state(): CircuitState {
    return this.#state;
  }

  /** Incremented on every transition; a call admitted in another epoch is a late result. */
  get epoch(): number {
    return this.#epoch;
  }

  /** While open: whether the recovery timeout may have ended, so that a call must read the clock. */
  get recoveryDue(): boolean {
    return this.#recoveryDue;
  }

  /** When the last open period ends (or ended), in ms since the epoch; 0 before the first. */
  get openUntil(): number {
    return this.#openUntil;
  }

  /**
   * Admission of a call while open, half-open or isolated (closed and disabled circuits admit every
   * call without asking): a new probe, registered as running, or why the call is refused. An open
   * circuit whose recovery timeout has ended moves to half-open first; a half-open one whose
   * oldest probe has run past `maxHalfOpenWaitMs` re-opens first.
   */
  admit(now: number): Probe | CircuitRejectionReason {
    if (this.#state === CircuitState.Open) {
      if (now < this.#openUntil) {
        this.#armRecoveryTimer(this.#openUntil - now);
        return 'circuitOpen';
      }
      this.#moveTo(CircuitState.HalfOpen, 'recoveryTimeout', now);
    }
    if (this.#state !== CircuitState.HalfOpen) return 'isolated';
    this.#expireStaleProbe(now);
    if ((this.#state as CircuitState) === CircuitState.Open) return 'circuitOpen';
    if (this.#probes.length >= this.#halfOpenMaxCalls) return 'halfOpenFull';
    const probe: Probe = { startedAt: now, expired: false };
    this.#probes.push(probe);
    if (this.#timer === undefined) this.#arm(this.#maxHalfOpenWaitMs, this.#onProbeTimer);
    return probe;
  }

  /** Frees the slot of a probe of the current epoch. */
  releaseProbe(probe: Probe): void {
    const index = this.#probes.indexOf(probe);
    if (index >= 0) this.#probes.splice(index, 1);
  }

  /**
   * A probe of the current epoch ended (after {@link CircuitController.releaseProbe}): a bad one
   * (failed, or slow) re-opens the circuit; `successThreshold` good ones close it.
   */
  probeEnded(good: boolean, now: number): void {
    if (!good) this.#moveTo(CircuitState.Open, 'probeFailed', now);
    else if (++this.#probeSuccesses >= this.#successThreshold) this.#moveTo(CircuitState.Closed, 'probeSucceeded', now);
  }

  /** Recorded outcomes reached a threshold: opens the circuit. */
  trip(reason: TripReason, now: number): void {
    this.#moveTo(CircuitState.Open, reason, now);
  }

  /** Holds the circuit open until {@link CircuitController.reset}. */
  isolate(now: number): void {
    this.#moveTo(CircuitState.Isolated, 'isolated', now);
  }

  /** Lets every call through, never changing state, until {@link CircuitController.reset}. */
  disable(now: number): void {
    this.#moveTo(CircuitState.Disabled, 'disabled', now);
  }

  /** Returns to a fresh closed state: empty window, base recovery timeout. */
  reset(now: number): void {
    this.#health.reset();
    this.#recoveryMs = this.#baseRecoveryMs;
    this.#moveTo(CircuitState.Closed, 'reset', now);
  }

  /**
   * When a probe may next be admitted, in ms since the epoch: the end of the recovery timeout
   * while open; now, or when the oldest probe times out, while half-open; null otherwise.
   */
  nextProbeAt(now: number): number | null {
    if (this.#state === CircuitState.Open) return this.#openUntil;
    if (this.#state !== CircuitState.HalfOpen) return null;
    const oldest = this.#probes[0];
    return this.#probes.length < this.#halfOpenMaxCalls || oldest === undefined
      ? now
      : oldest.startedAt + this.#maxHalfOpenWaitMs;
  }

  /** The state as plain data, to restore with `initialState`. */
  snapshot(): CircuitBreakerSnapshot {
    const recoveryTimeoutMs = this.#recoveryMs;
    return this.#state === CircuitState.Open
      ? { state: this.#state, openUntil: this.#openUntil, recoveryTimeoutMs }
      : { state: this.#state, recoveryTimeoutMs };
  }

  /** Clears the state's timer; the next call reads the clock instead. */
  dispose(): void {
    this.#clearTimer();
    this.#recoveryDue = true;
  }

  /**
   * Starts in a snapshot's state, without a transition. The recovery timeout it carries is kept
   * within what this breaker's options allow (they may have changed since the snapshot).
   */
  #restore(snapshot: CircuitBreakerSnapshot, now: number): void {
    const maxRecoveryMs = this.#backoff?.maxMs ?? this.#baseRecoveryMs;
    this.#recoveryMs = Math.min(Math.max(snapshot.recoveryTimeoutMs ?? this.#baseRecoveryMs, this.#baseRecoveryMs), maxRecoveryMs);
    this.#state = snapshot.state;
    if (snapshot.state !== CircuitState.Open) return;
    this.#openUntil = snapshot.openUntil ?? now + this.#recoveryMs;
    if (this.#openUntil > now) this.#armRecoveryTimer(this.#openUntil - now);
    else if (this.#autoHalfOpen) this.#state = CircuitState.HalfOpen;
    else this.#recoveryDue = true;
  }

  /** Counts a probe that has run past `maxHalfOpenWaitMs` as failed and re-opens the circuit. */
  #expireStaleProbe(now: number): void {
    const oldest = this.#probes[0];
    if (oldest === undefined || now - oldest.startedAt < this.#maxHalfOpenWaitMs) return;
    oldest.expired = true;
    this.#owner.probeExpired();
    this.#moveTo(CircuitState.Open, 'probeTimedOut', now);
  }

  #moveTo(to: CircuitState, reason: StateChangeReason, now: number): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#epoch++;
    this.#clearTimer();
    this.#probes.length = 0;
    if (to === CircuitState.Open) {
      if (from === CircuitState.HalfOpen && this.#backoff !== undefined) {
        this.#recoveryMs = Math.min(this.#recoveryMs * this.#backoff.multiplier, this.#backoff.maxMs);
      }
      this.#openUntil = now + this.#recoveryMs;
      this.#armRecoveryTimer(this.#recoveryMs);
    } else if (to === CircuitState.HalfOpen) {
      this.#probeSuccesses = 0;
    } else if (to === CircuitState.Closed) {
      this.#health.reset();
      this.#recoveryMs = this.#baseRecoveryMs;
    }
    this.#owner.transitioned(from, to, reason, now);
  }

  /**
   * Ends the recovery timeout after `delayMs`: moves to half-open with `autoHalfOpen`, otherwise
   * lets the next call read the clock and probe. One timer per open period.
   */
  #armRecoveryTimer(delayMs: number): void {
    this.#recoveryDue = false;
    this.#arm(delayMs, this.#onRecoveryTimer);
  }

  readonly #onRecoveryTimer = (): void => {
    this.#timer = undefined;
    if (this.#state !== CircuitState.Open) return;
    if (this.#autoHalfOpen) this.#moveTo(CircuitState.HalfOpen, 'recoveryTimeout', this.#clock.now());
    else this.#recoveryDue = true;
  };

  /**
   * Times out the oldest running probe at `maxHalfOpenWaitMs`, so that a probe that never settles
   * re-opens the circuit then, not when the next call happens to arrive (`state` and `health()`
   * would say half-open meanwhile). Armed by the first probe of a half-open period; when it fires
   * for a probe that has settled, it re-arms for the oldest one still running.
   */
  readonly #onProbeTimer = (): void => {
    this.#timer = undefined;
    const oldest = this.#probes[0];
    if (this.#state !== CircuitState.HalfOpen || oldest === undefined) return;
    const now = this.#clock.now();
    const remainingMs = oldest.startedAt + this.#maxHalfOpenWaitMs - now;
    if (remainingMs > 0) this.#arm(remainingMs, this.#onProbeTimer);
    else this.#expireStaleProbe(now);
  };

  /** Sets the state's timer, replacing any; unref'd so that it never keeps the process alive. */
  #arm(delayMs: number, onFire: () => void): void {
    this.#clearTimer();
    const timer = this.#clock.setTimeout(onFire, delayMs);
    unrefTimer(timer);
    this.#timer = timer;
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
