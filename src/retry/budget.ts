/**
 * A retry budget: retries may add at most a fixed fraction to the load on a dependency, so that an
 * outage is not multiplied by every client's retries (Finagle's RetryBudget, as a token bucket).
 * @module
 */
import { z } from 'zod';
import { systemClock, type Clock } from '../core/clock';
import { parseOptions, positiveInt } from '../core/config';

/** Options of a {@link RetryBudget}. */
export interface RetryBudgetOptions {
  /**
   * Tokens each call deposits; a retry spends one. 0.1 lets retries add at most 10 % to the calls.
   * @defaultValue 0.1
   */
  ratio?: number;
  /**
   * Retries per second always allowed, whatever the deposits, so that a quiet service can still
   * retry. @defaultValue 10
   */
  minPerSecond?: number;
  /**
   * Most tokens a quiet period can save up, which bounds the burst of retries at the start of an
   * outage. @defaultValue 100
   */
  maxTokens?: number;
}

/** Defaults of {@link RetryBudgetOptions}. */
export const RETRY_BUDGET_DEFAULTS = {
  /** Retries may add 10 % to the calls. */
  ratio: 0.1,
  /** 10 retries per second are always allowed. */
  minPerSecond: 10,
  /** At most 100 tokens saved up. */
  maxTokens: 100,
} as const;

/** Schema of {@link RetryBudgetOptions}. @internal */
export const retryBudgetOptionsSchema = z.strictObject({
  ratio: z.number().gt(0, { message: 'must be > 0' }).max(1, { message: 'must be ≤ 1' }).default(RETRY_BUDGET_DEFAULTS.ratio),
  minPerSecond: z.number().finite().min(0, { message: 'must be ≥ 0' }).default(RETRY_BUDGET_DEFAULTS.minPerSecond),
  maxTokens: positiveInt.default(RETRY_BUDGET_DEFAULTS.maxTokens),
});

/**
 * Limits retries to `ratio` of the calls plus `minPerSecond`. Share one budget between the Retry
 * policies that call the same dependency to budget them together.
 *
 * Cost: O(1) per call, no timer; the per-second floor is refilled lazily from the clock, only when
 * a retry finds the ratio tokens spent.
 */
export class RetryBudget {
  readonly #ratio: number;
  readonly #minPerSecond: number;
  readonly #maxTokens: number;
  readonly #clock: Clock;
  #tokens = 0;
  #floorTokens: number;
  #floorRefilledAt: number;

  /**
   * @param options - ratio, floor and reserve; see {@link RetryBudgetOptions}
   * @param clock - time source of the per-second floor
   * @throws {@link ConfigError} when an option is invalid
   */
  constructor(options: RetryBudgetOptions = {}, clock: Clock = systemClock) {
    const resolved = parseOptions(retryBudgetOptionsSchema, options, 'RetryBudget options');
    this.#ratio = resolved.ratio;
    this.#minPerSecond = resolved.minPerSecond;
    this.#maxTokens = resolved.maxTokens;
    this.#clock = clock;
    this.#floorTokens = resolved.minPerSecond;
    this.#floorRefilledAt = clock.now();
  }

  /** Tokens saved up from calls, not counting the per-second floor. */
  get tokens(): number {
    return this.#tokens;
  }

  /** Records a call; called by Retry once per call, not per try. */
  deposit(): void {
    const tokens = this.#tokens + this.#ratio;
    this.#tokens = tokens < this.#maxTokens ? tokens : this.#maxTokens;
  }

  /** Spends one token for a retry; false when the budget has none left. */
  tryWithdraw(): boolean {
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    this.#refillFloor();
    if (this.#floorTokens >= 1) {
      this.#floorTokens -= 1;
      return true;
    }
    return false;
  }

  #refillFloor(): void {
    const now = this.#clock.now();
    const elapsedMs = now - this.#floorRefilledAt;
    if (elapsedMs <= 0) return;
    this.#floorTokens = Math.min(this.#minPerSecond, this.#floorTokens + (elapsedMs / 1000) * this.#minPerSecond);
    this.#floorRefilledAt = now;
  }
}
