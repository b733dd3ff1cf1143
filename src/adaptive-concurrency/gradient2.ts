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
  readonly queueSize: number;
}

/**
 * Netflix `Gradient2Limit`, measured against the fastest round trip rather than a long-term
 * average. Per success, with `short` its round-trip time, `fastest` the fastest seen and
 * `band = rttTolerance × fastest`:
 *
 * ```
 * gradient = clamp(band / short, 0.5, 1)
 * target   = limit × gradient + (short ≤ band ? queueSize : 0)
 * limit    = limit × (1 − smoothing) + target × smoothing, within [minLimit, maxLimit]
 * ```
 *
 * so the limit grows by `queueSize × smoothing` per sample while round trips stay within the
 * tolerance of the fastest, and shrinks (by at most half the smoothing) as they rise above it: it
 * settles where round trips are `rttTolerance` times the fastest, which for a dependency whose
 * latency grows with its load is that many times its concurrency, whatever the load and wherever
 * the limit comes from. A success that started with less than half the limit in flight leaves the
 * limit alone (the app, not the dependency, limits the calls).
 *
 * The fastest round trip ages as `'aimd'`'s does: a sample slower than the band while the limit
 * is at `minLimit` becomes the new fastest, since with that few calls in flight the dependency is
 * slower for good, not queueing. The limit then grows back within the new band.
 *
 * Changes to Netflix's code, because the original drifts:
 * - a drop counts as the steepest gradient, 0.5 (Netflix ignores drops, so a dependency that
 *   times out at a steady latency lets the limit grow to `maxLimit`), and its round-trip time is
 *   not a latency sample (a fast failure would otherwise look like a fast dependency);
 * - the baseline is the fastest round trip, not an exponential average of round trips: the
 *   average follows the latency the limit's own growth causes, so with the queue allowance added
 *   always the limit creeps up for ever under moderate overload (Netflix's issue #134); added
 *   while the round trip is no slower than the average, it still creeps under sustained overload
 *   (+0.9 calls/s for a minute on end in bench:overload), and added only below the average, it
 *   parks the limit at the concurrency + 1–3, where every ms of jitter costs goodput, and holds it
 *   at 1.6× the concurrency after the capacity halves.
 *
 * Cost: O(1) per sample, a few numbers of memory.
 *
 * @see https://github.com/Netflix/concurrency-limits/blob/main/concurrency-limits-core/src/main/java/com/netflix/concurrency/limits/limit/Gradient2Limit.java
 * @see https://github.com/Netflix/concurrency-limits/pull/134 (drops and the queue allowance)
 * @see https://github.com/Netflix/concurrency-limits/issues/137 (growth to the maximum on steady timeouts)
 * @see https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/adaptive_concurrency_filter (the minimum round trip and its 25 % buffer)
 */
export class Gradient2Limit implements LimitAlgorithm {
  limit: number;
  reason: LimitChangeReason = 'latency';
  readonly #settings: Gradient2Settings;
  #estimate: number;
  /** The fastest round trip of a success seen, in ms; replaced by a slower one at `minLimit`. */
  #fastestRtt = Number.POSITIVE_INFINITY;

  constructor(settings: Gradient2Settings) {
    this.#settings = settings;
    this.#estimate = settings.initialLimit;
    this.limit = settings.initialLimit;
  }

  update(rttMs: number, inFlight: number, dropped: boolean): number {
    const settings = this.#settings;
    const estimate = this.#estimate;
    let gradient = 0.5;
    let queueing = true;
    if (!dropped) {
      if (!(rttMs > 0)) return this.limit;
      if (rttMs < this.#fastestRtt) this.#fastestRtt = rttMs;
      if (inFlight < estimate / 2) return this.limit;
      const band = settings.rttTolerance * this.#fastestRtt;
      queueing = rttMs > band;
      if (queueing && estimate <= settings.minLimit) {
        this.#fastestRtt = rttMs;
        queueing = false;
      }
      gradient = queueing ? Math.max(0.5, band / rttMs) : 1;
    }
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
}
