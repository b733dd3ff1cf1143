/**
 * Gradient2: the limit follows the ratio of a long-term to the current round-trip time.
 * @module
 * @internal
 */
import { clamp, type LimitAlgorithm } from './algorithm';
import type { LimitChangeReason } from './events';

/** Settings of {@link Gradient2Limit}. */
export interface Gradient2Settings {
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  readonly smoothing: number;
  readonly rttTolerance: number;
  readonly longWindow: number;
  readonly queueSize: number;
}

/** Samples averaged plainly before the long-term average becomes exponential (Netflix's warm-up). */
const WARMUP_SAMPLES = 10;

/**
 * Netflix `Gradient2Limit`. Per success, with `short` its round-trip time and `long` an
 * exponential average of them over `longWindow` samples:
 *
 * ```
 * gradient = clamp(rttTolerance × long / short, 0.5, 1)
 * target   = limit × gradient + (short ≤ long ? queueSize : 0)
 * limit    = limit × (1 − smoothing) + target × smoothing, within [minLimit, maxLimit]
 * ```
 *
 * so the limit grows by `queueSize × smoothing` per sample while round trips are no slower than
 * the long-term average, holds while they are slower but within the tolerance, and shrinks (by
 * at most half the smoothing) as they rise above it. When `long` exceeds twice `short` (load has passed), `long` is cut by 5% per sample
 * instead of waiting for the average to decay. A success that started with less than half the
 * limit in flight leaves the limit alone (the app, not the dependency, limits the calls).
 *
 * Two changes to Netflix's code, because the original drifts:
 * - a drop counts as the steepest gradient, 0.5 (Netflix ignores drops, so a dependency that
 *   times out at a steady latency lets the limit grow to `maxLimit`), and its round-trip time is
 *   not a latency sample (a fast failure would otherwise look like a fast dependency);
 * - the queue allowance is added only while the round trip is no slower than the long-term
 *   average. Added always, it makes the limit creep up for ever under moderate overload, where
 *   `limit × gradient + queueSize` balances above the dependency's capacity (Netflix's issue
 *   #134); added while the gradient is 1, i.e. within the tolerance, it still creeps under
 *   sustained overload: the long-term average follows the latency the growth causes, so the
 *   gradient stays 1 and each step is followed by the next (+0.9 calls/s for a minute on end in
 *   bench:overload).
 *
 * Cost: O(1) per sample, a few numbers of memory.
 *
 * @see https://github.com/Netflix/concurrency-limits/blob/main/concurrency-limits-core/src/main/java/com/netflix/concurrency/limits/limit/Gradient2Limit.java
 * @see https://github.com/Netflix/concurrency-limits/pull/134 (drops and the queue allowance)
 * @see https://github.com/Netflix/concurrency-limits/issues/137 (growth to the maximum on steady timeouts)
 */
export class Gradient2Limit implements LimitAlgorithm {
  limit: number;
  reason: LimitChangeReason = 'latency';
  readonly #settings: Gradient2Settings;
  readonly #longFactor: number;
  #estimate: number;
  #longRtt = 0;
  #longSamples = 0;

  constructor(settings: Gradient2Settings) {
    this.#settings = settings;
    this.#estimate = settings.initialLimit;
    this.limit = settings.initialLimit;
    this.#longFactor = 2 / (settings.longWindow + 1);
  }

  update(rttMs: number, inFlight: number, dropped: boolean): number {
    const settings = this.#settings;
    const estimate = this.#estimate;
    let gradient = 0.5;
    let queueing = true;
    if (!dropped) {
      if (!(rttMs > 0)) return this.limit;
      const longRtt = this.#addLongSample(rttMs);
      if (longRtt / rttMs > 2) this.#longRtt = longRtt * 0.95;
      if (inFlight < estimate / 2) return this.limit;
      gradient = Math.max(0.5, Math.min(1, (settings.rttTolerance * longRtt) / rttMs));
      queueing = rttMs > longRtt;
    }
    // Not queueing means rttMs ≤ longRtt, so the gradient is 1: the allowance goes only to a limit in step.
    const target = estimate * gradient + (queueing ? 0 : settings.queueSize);
    const next = clamp(estimate * (1 - settings.smoothing) + target * settings.smoothing, settings.minLimit, settings.maxLimit);
    this.#estimate = next;
    const limit = Math.floor(next);
    if (limit !== this.limit) {
      this.limit = limit;
      this.reason = dropped ? 'drop' : 'latency';
    }
    return limit;
  }

  /** Adds a sample to the long-term average: plain over the first samples, then exponential. */
  #addLongSample(rttMs: number): number {
    if (this.#longSamples < WARMUP_SAMPLES) {
      this.#longSamples++;
      this.#longRtt += (rttMs - this.#longRtt) / this.#longSamples;
    } else {
      this.#longRtt += (rttMs - this.#longRtt) * this.#longFactor;
    }
    return this.#longRtt;
  }
}
