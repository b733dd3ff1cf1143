/**
 * Sampling windows: several calls summed up as one sample, so that an algorithm that reads
 * round-trip times moves once per window rather than once per call.
 * @module
 * @internal
 */
import type { LimitAlgorithm } from './algorithm';
import type { LimitChangeReason } from './events';

/** Settings of {@link WindowedLimit}. */
export interface SampleWindowSettings {
  /** Shortest window, in ms. */
  readonly minWindowMs: number;
  /** Fewest calls in a window: it stays open until it holds them. */
  readonly windowSize: number;
}

/**
 * Netflix `WindowedLimit`: feeds `delegate` one sample per window, made of the average round-trip
 * time of the window's successes, the most calls in flight when any of them started, and whether
 * any was dropped. A window lasts at least `minWindowMs` and twice the fastest round trip it saw
 * (so that it spans round trips, and a limit change shows in it), and holds at least
 * `windowSize` calls; it closes with the first call that ends after both.
 *
 * Why: per call, an algorithm moves `n` times per round trip with `n` calls in flight, long
 * before the calls admitted under its last move come back; its growth then overshoots, and one
 * overload cuts it once per dropped call. Per window, it moves about once per round trip, as TCP
 * does.
 *
 * Unlike Netflix's code, a drop's round-trip time is not averaged in (a fast failure is not a
 * fast dependency): a window of drops only is a drop with no round-trip time; and a window with
 * fewer than `windowSize` calls stays open rather than being discarded. Discarded, no window
 * counts once the limit is too low to fill one (a limit of 3 at 40 ms fits 7.5 calls in 100 ms),
 * and the limit stays there for good.
 *
 * Cost: O(1) per call, a few numbers of memory.
 *
 * @see https://github.com/Netflix/concurrency-limits/blob/main/concurrency-limits-core/src/main/java/com/netflix/concurrency/limits/limit/WindowedLimit.java
 */
export class WindowedLimit implements LimitAlgorithm {
  readonly #delegate: LimitAlgorithm;
  readonly #minWindowMs: number;
  readonly #windowSize: number;
  /** When the current window may close, on the limiter's stopwatch; the first call closes the first one. */
  #closesAt = Number.NEGATIVE_INFINITY;
  #calls = 0;
  #rttSum = 0;
  #rttCount = 0;
  #minRtt = Number.POSITIVE_INFINITY;
  #maxInFlight = 0;
  #dropped = false;

  constructor(delegate: LimitAlgorithm, settings: SampleWindowSettings) {
    this.#delegate = delegate;
    this.#minWindowMs = settings.minWindowMs;
    this.#windowSize = settings.windowSize;
  }

  get limit(): number {
    return this.#delegate.limit;
  }

  get reason(): LimitChangeReason {
    return this.#delegate.reason;
  }

  update(rttMs: number, inFlight: number, dropped: boolean, startedAt: number): number {
    this.#calls++;
    if (dropped) {
      this.#dropped = true;
    } else if (rttMs > 0) {
      this.#rttSum += rttMs;
      this.#rttCount++;
      if (rttMs < this.#minRtt) this.#minRtt = rttMs;
    }
    if (inFlight > this.#maxInFlight) this.#maxInFlight = inFlight;
    const endedAt = startedAt + rttMs;
    if (endedAt < this.#closesAt) return this.#delegate.limit;
    if (this.#calls < this.#windowSize || (!this.#dropped && this.#rttCount === 0)) return this.#delegate.limit;
    const fastest = this.#minRtt === Number.POSITIVE_INFINITY ? 0 : this.#minRtt;
    this.#closesAt = endedAt + Math.max(this.#minWindowMs, 2 * fastest);
    const averageRtt = this.#rttCount === 0 ? 0 : this.#rttSum / this.#rttCount;
    const maxInFlight = this.#maxInFlight;
    const anyDropped = this.#dropped;
    this.#calls = 0;
    this.#rttSum = 0;
    this.#rttCount = 0;
    this.#minRtt = Number.POSITIVE_INFINITY;
    this.#maxInFlight = 0;
    this.#dropped = false;
    return this.#delegate.update(averageRtt, maxInFlight, anyDropped, startedAt);
  }
}
