/**
 * AIMD: additive increase, multiplicative decrease, as TCP's congestion window.
 * @module
 * @internal
 */
import { clamp, type LimitAlgorithm } from './algorithm';
import type { LimitChangeReason } from './events';

/** Settings of {@link AimdLimit}. */
export interface AimdSettings {
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
  readonly backoffRatio: number;
  /** A success slower than this many times the fastest round trip seen is a latency signal. */
  readonly rttTolerance: number;
  /** A success slower than this, in ms, is a latency signal; infinite when not set. */
  readonly latencyThresholdMs: number;
}

/** Weight of each success in the average round trip that `rttTolerance` judges (about the last 20). */
const RTT_SMOOTHING = 0.1;

/**
 * Raises the limit by 1 after `successThreshold` fast successes in a row, each of which started
 * with at least half the limit in flight (a limit far above what is used proves nothing, so it
 * does not grow: Netflix `AIMDLimit`'s app-limited check). Lowers it to `limit × backoffRatio`
 * (and by at least 1) on a signal of overload:
 * - `failureThreshold` drops since the limit last changed (aioresilience's thresholds, counted
 *   rather than as rates);
 * - a slow success: one whose round trip exceeds `latencyThresholdMs`, or after which the
 *   average round trip (exponential, over about the last 20 successes, so that one call's jitter
 *   is not read as queueing) exceeds `rttTolerance` times the fastest round trip seen. Netflix's
 *   AIMD backs off on a timeout only; without this, a dependency that queues rather than fails
 *   lets the limit grow until calls outlast their callers' patience.
 *
 * A signal from a call that started before the last decrease does not count: it was admitted
 * under the old limit, and counting it would cut the limit again for the same overload (TCP
 * reduces its window once per round trip, for the same reason). Without that rule, one overload
 * of `n` in-flight calls would cut the limit `n` times. After a cut for latency, "before" extends
 * by the slow call's round trip (the calls admitted before the cut may run that long, and calls
 * started meanwhile queue behind them), such calls do not enter the average, and the average
 * restarts from the fastest round trip: otherwise the queue the cut is draining reads as a new
 * overload, and the limit is cut two or three times in a row, to 0.73× rather than 0.9×.
 *
 * A slow success while the limit is at `minLimit` becomes the new fastest round trip: the
 * dependency is slower for good, not queueing.
 *
 * Cost: O(1) per sample, a few numbers of memory.
 *
 * @see https://github.com/Netflix/concurrency-limits/blob/main/concurrency-limits-core/src/main/java/com/netflix/concurrency/limits/limit/AIMDLimit.java
 * @see https://github.com/xonming/aioresilience/blob/main/aioresilience/adaptive_concurrency.py
 */
export class AimdLimit implements LimitAlgorithm {
  limit: number;
  reason: LimitChangeReason = 'success';
  readonly #settings: AimdSettings;
  #successes = 0;
  #failures = 0;
  /** When the last decrease happened; signals from calls started earlier are not counted. */
  #decreasedAt = Number.NEGATIVE_INFINITY;
  /** The fastest round trip of a success seen, in ms. */
  #minRtt = Number.POSITIVE_INFINITY;
  /** The average round trip of recent successes, in ms; 0 before the first. */
  #avgRtt = 0;

  constructor(settings: AimdSettings) {
    this.#settings = settings;
    this.limit = settings.initialLimit;
  }

  update(rttMs: number, inFlight: number, dropped: boolean, startedAt: number): number {
    const settings = this.#settings;
    if (dropped) {
      if (startedAt <= this.#decreasedAt) return this.limit;
      this.#successes = 0;
      if (++this.#failures < settings.failureThreshold) return this.limit;
      return this.#decrease(startedAt + rttMs, 'drop');
    }
    if (rttMs < this.#minRtt) this.#minRtt = rttMs;
    if (startedAt <= this.#decreasedAt) {
      if (rttMs > settings.latencyThresholdMs || rttMs > settings.rttTolerance * this.#minRtt) return this.limit;
    } else {
      this.#avgRtt = this.#avgRtt === 0 ? rttMs : this.#avgRtt + (rttMs - this.#avgRtt) * RTT_SMOOTHING;
      if (rttMs > settings.latencyThresholdMs || this.#avgRtt > settings.rttTolerance * this.#minRtt) {
        if (this.limit === settings.minLimit) this.#minRtt = this.#avgRtt;
        this.#avgRtt = this.#minRtt;
        return this.#decrease(startedAt + 2 * rttMs, 'latency');
      }
    }
    if (inFlight * 2 < this.limit) return this.limit;
    if (++this.#successes < settings.successThreshold) return this.limit;
    return this.#set(Math.min(this.limit + 1, settings.maxLimit), 'success');
  }

  #decrease(now: number, reason: LimitChangeReason): number {
    const settings = this.#settings;
    this.#decreasedAt = now;
    const lowered = Math.min(this.limit - 1, Math.floor(this.limit * settings.backoffRatio));
    return this.#set(clamp(lowered, settings.minLimit, settings.maxLimit), reason);
  }

  #set(limit: number, reason: LimitChangeReason): number {
    this.#successes = 0;
    this.#failures = 0;
    if (limit !== this.limit) {
      this.limit = limit;
      this.reason = reason;
    }
    return limit;
  }
}
