/**
 * The decision half of a circuit breaker: from recorded outcomes, whether it must open. The
 * policy (circuit-breaker.ts) asks and tells the state machine (circuit-controller.ts); the two
 * modes answer differently.
 * @module
 * @internal
 */
import type { Clock } from '../core/clock';
import { CountWindow } from './count-window';
import { CIRCUIT_BREAKER_DEFAULTS, type ResolvedCircuitBreakerOptions } from './options';
import type { OutcomeWindow } from './outcome-window';
import { TimeWindow } from './time-window';

/** Why recorded outcomes open the circuit. */
export type TripReason = 'failureThreshold' | 'failureRate' | 'slowCallRate';

/** Recorded outcomes of the calls since the last reset, and the trip rule over them. */
export interface CallHealth {
  /** Records one call; returns why the circuit must open now, if it must. */
  record(failure: boolean, slow: boolean): TripReason | undefined;
  /** Calls, failures and slow calls in the window (consecutive mode: since the last reset). */
  totals(): { calls: number; failures: number; slowCalls: number };
  /** Failures since the last success. */
  readonly consecutiveFailures: number;
  /** Forgets every call. */
  reset(): void;
  /** Stops any timer it keeps. */
  dispose(): void;
}

/** Opens after `threshold` failures in a row; a success resets the count. */
class ConsecutiveHealth implements CallHealth {
  consecutiveFailures = 0;
  #calls = 0;
  #failures = 0;
  #slowCalls = 0;
  readonly #threshold: number;

  constructor(threshold: number) {
    this.#threshold = threshold;
  }

  record(failure: boolean, slow: boolean): TripReason | undefined {
    this.#calls++;
    if (slow) this.#slowCalls++;
    if (!failure) {
      this.consecutiveFailures = 0;
      return undefined;
    }
    this.#failures++;
    return ++this.consecutiveFailures >= this.#threshold ? 'failureThreshold' : undefined;
  }

  totals() {
    return { calls: this.#calls, failures: this.#failures, slowCalls: this.#slowCalls };
  }

  reset(): void {
    this.consecutiveFailures = 0;
    this.#calls = 0;
    this.#failures = 0;
    this.#slowCalls = 0;
  }

  dispose(): void {}
}

/**
 * Opens when the window holds at least `minimumCalls` and its failure rate or slow-call rate
 * reaches its threshold.
 */
class RateHealth implements CallHealth {
  consecutiveFailures = 0;
  readonly #window: OutcomeWindow;
  readonly #minimumCalls: number;
  readonly #failureRateThreshold: number;
  readonly #slowCallRateThreshold: number;

  constructor(window: OutcomeWindow, minimumCalls: number, failureRateThreshold: number, slowCallRateThreshold: number) {
    this.#window = window;
    this.#minimumCalls = minimumCalls;
    this.#failureRateThreshold = failureRateThreshold;
    this.#slowCallRateThreshold = slowCallRateThreshold;
  }

  record(failure: boolean, slow: boolean): TripReason | undefined {
    const window = this.#window;
    window.add(failure, slow);
    this.consecutiveFailures = failure ? this.consecutiveFailures + 1 : 0;
    const calls = window.calls;
    if (calls < this.#minimumCalls) return undefined;
    if (window.failures >= this.#failureRateThreshold * calls) return 'failureRate';
    if (window.slowCalls >= this.#slowCallRateThreshold * calls) return 'slowCallRate';
    return undefined;
  }

  totals() {
    const window = this.#window;
    window.advance();
    return { calls: window.calls, failures: window.failures, slowCalls: window.slowCalls };
  }

  reset(): void {
    this.consecutiveFailures = 0;
    this.#window.clear();
  }

  dispose(): void {
    this.#window.dispose();
  }
}

/** The health rule the options ask for: consecutive mode without `window`, rates over it with one. */
export function callHealthOf(options: ResolvedCircuitBreakerOptions, clock: Clock): CallHealth {
  const defaults = CIRCUIT_BREAKER_DEFAULTS;
  const window = options.window;
  if (window === undefined) return new ConsecutiveHealth(options.failureThreshold ?? defaults.failureThreshold);
  const outcomes =
    window.type === 'count'
      ? new CountWindow(window.size)
      : new TimeWindow(window.durationMs, window.buckets ?? defaults.timeWindowBuckets, clock);
  const minimumCalls = options.minimumCalls ?? defaults.minimumCalls;
  return new RateHealth(
    outcomes,
    window.type === 'count' ? Math.min(minimumCalls, window.size) : minimumCalls,
    options.failureRateThreshold ?? defaults.failureRateThreshold,
    options.slowCallRateThreshold ?? defaults.slowCallRateThreshold,
  );
}
