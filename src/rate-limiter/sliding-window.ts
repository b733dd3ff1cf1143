/**
 * The approximate, O(1)-memory algorithm: a two-bucket weighted counter per key and window.
 * @module
 * @internal
 */
import type { WindowCounter } from './window-counter';

/**
 * Counts admissions in fixed buckets of `windowMs` (aligned to multiples of `windowMs` since the
 * epoch) and estimates the sliding count as `previous × (1 − f) + current`, where `f` is the
 * fraction of the current bucket elapsed: the previous bucket's admissions are assumed spread
 * evenly. Three numbers per key and window.
 *
 * Error bound (see docs/rate-limiter.md): no aligned bucket ever holds more than `limit` units,
 * and no span of `windowMs` more than `2 × limit − 1` (the worst case: a full previous bucket
 * admitted at its very end). It may also refuse while the true sliding count is below `limit`,
 * when the previous bucket's admissions came early in it.
 */
export class SlidingWindowCounter implements WindowCounter {
  readonly #limit: number;
  readonly #windowMs: number;
  #start = -Infinity;
  #current = 0;
  #previous = 0;

  /**
   * @param limit - units admitted per window
   * @param windowMs - window length, in ms
   */
  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  retryAfterMs(now: number, cost: number): number {
    this.#roll(now);
    const limit = this.#limit;
    if (cost > limit) return Infinity;
    if (this.#estimate(now) + cost <= limit) return 0;
    const windowMs = this.#windowMs;
    const current = this.#current;
    // When the current bucket alone leaves no room, wait into the next one, where this bucket's
    // count becomes the previous count: the room needed appears at fraction f of it.
    const fraction =
      current + cost > limit ? 1 + (1 - (limit - cost) / current) : 1 - (limit - current - cost) / this.#previous;
    return Math.max(1, Math.ceil(this.#start + fraction * windowMs - now));
  }

  add(now: number, cost: number): number {
    this.#roll(now);
    this.#current += cost;
    return Math.max(0, Math.floor(this.#limit - this.#estimate(now)));
  }

  remaining(now: number): number {
    this.#roll(now);
    return Math.max(0, Math.floor(this.#limit - this.#estimate(now)));
  }

  resetMs(now: number): number {
    return Math.max(0, this.expiresAt() - now);
  }

  expiresAt(): number {
    if (this.#current > 0) return this.#start + 2 * this.#windowMs;
    if (this.#previous > 0) return this.#start + this.#windowMs;
    return -Infinity;
  }

  /** Moves to the bucket holding `now`, when time has left the current one. */
  #roll(now: number): void {
    const windowMs = this.#windowMs;
    if (now >= this.#start && now < this.#start + windowMs) return;
    const start = Math.floor(now / windowMs) * windowMs;
    if (start === this.#start) return;
    this.#previous = start - this.#start === windowMs ? this.#current : 0;
    this.#current = 0;
    this.#start = start;
  }

  /** The estimated units in the sliding window ending now. */
  #estimate(now: number): number {
    return (this.#previous * (this.#windowMs - (now - this.#start))) / this.#windowMs + this.#current;
  }
}
