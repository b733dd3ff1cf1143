/**
 * Vegas: the limit keeps a small queue, estimated from the minimum round-trip time.
 * @module
 * @internal
 */
import { clamp, type LimitAlgorithm } from './algorithm';
import type { LimitChangeReason } from './events';

/** Settings of {@link VegasLimit}. */
export interface VegasSettings {
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  readonly smoothing: number;
  readonly probeMultiplier: number;
  readonly random: () => number;
}

/** What a sample with a drop multiplies the limit by (before smoothing). */
const DROP_RATIO = 0.9;

/** What a probe multiplies the limit by, so that the dependency's queue drains while it measures. */
const PROBE_RATIO = 0.5;

/** A probe of the no-load round-trip time under way. */
interface Probe {
  /** The limit before the probe, restored after it. */
  readonly restoreTo: number;
  /** Whether the sample of the calls admitted before the cut has passed. */
  settled: boolean;
}

/** `max(1, ⌊log10(limit)⌋)`: Netflix's `Log10RootFunction`, the step by which Vegas moves. */
function log10Root(limit: number): number {
  return Math.max(1, Math.floor(Math.log10(limit)));
}

/**
 * Netflix `VegasLimit`, after TCP Vegas. With `noLoad` the lowest round-trip time seen, a success
 * taking `rtt` estimates the calls queued at the dependency as
 * `queue = ⌈limit × (1 − noLoad / rtt)⌉`; with `step = max(1, ⌊log10(limit)⌋)`:
 *
 * | queue | new limit |
 * |---|---|
 * | ≤ step (no queueing) | `limit + 6 × step` |
 * | < beta / 2 (alpha) | `limit + step` |
 * | > beta = min(6 × step, limit / 3) | `limit − step` |
 * | otherwise | unchanged |
 *
 * then `limit × (1 − smoothing) + new × smoothing`, within `[minLimit, maxLimit]`. A drop lowers
 * the limit by `step`. A success that started with less than half the limit in flight leaves the
 * limit alone. Every `probeMultiplier × limit` samples (times a random factor in [0.5, 1), so
 * that clients do not probe together) it probes: it halves the limit, skips the next sample (of
 * calls admitted before the cut), takes the one after as the new `noLoad` and restores the
 * limit, so that a dependency that became slower for good is not read as queueing for ever.
 *
 * Three changes to Netflix's code:
 * - beta is at most a third of the limit (and alpha half of beta): Netflix's 3 and 6 queued calls,
 *   meant for limits in the hundreds, let a limit of 16 queue 6 calls at a dependency that serves
 *   10, 1.6× its concurrency; a queue of at most a third of the limit keeps the limit within 1.5×
 *   of what the dependency serves at its no-load time. Limits of 18 and more are unchanged;
 * - a drop's round-trip time is not a sample: a fast failure would set `noLoad` near zero and
 *   make every later call look queued;
 * - Netflix's probe takes the next round trip as `noLoad` at the current limit, where under
 *   sustained overload it includes the queue the limit allows: each probe then raises the limit
 *   by the allowed queue, and the limit creeps. Measuring under half the limit (as Envoy's
 *   adaptive concurrency filter measures its minimum round trip at a low fixed concurrency)
 *   drains that queue first.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/adaptive_concurrency_filter
 *
 * Cost: O(1) per sample, a few numbers of memory.
 *
 * @see https://github.com/Netflix/concurrency-limits/blob/main/concurrency-limits-core/src/main/java/com/netflix/concurrency/limits/limit/VegasLimit.java
 * @see https://en.wikipedia.org/wiki/TCP_Vegas
 */
export class VegasLimit implements LimitAlgorithm {
  limit: number;
  reason: LimitChangeReason = 'latency';
  readonly #settings: VegasSettings;
  #estimate: number;
  #noLoadRtt = 0;
  #probeCount = 0;
  #probeJitter: number;
  /** The probe under way, if any. */
  #probe: Probe | undefined;

  constructor(settings: VegasSettings) {
    this.#settings = settings;
    this.#estimate = settings.initialLimit;
    this.limit = settings.initialLimit;
    this.#probeJitter = this.#nextJitter();
  }

  update(rttMs: number, inFlight: number, dropped: boolean): number {
    const estimate = this.#estimate;
    if (dropped) return this.#set(estimate * DROP_RATIO, 'drop');
    if (!(rttMs > 0)) return this.limit;
    if (this.#probe !== undefined) return this.#probeStep(rttMs);
    if (this.#probeJitter * this.#settings.probeMultiplier * estimate <= ++this.#probeCount) {
      this.#probeJitter = this.#nextJitter();
      this.#probeCount = 0;
      this.#probe = { restoreTo: estimate, settled: false };
      return this.#set(Math.max(1, estimate * PROBE_RATIO), 'latency', 1);
    }
    if (this.#noLoadRtt === 0 || rttMs < this.#noLoadRtt) {
      this.#noLoadRtt = rttMs;
      return this.limit;
    }
    if (inFlight * 2 < estimate) return this.limit;
    const step = log10Root(estimate);
    const beta = Math.min(6 * step, estimate / 3);
    const queue = Math.ceil(estimate * (1 - this.#noLoadRtt / rttMs));
    if (queue <= step) return this.#set(estimate + 6 * step, 'latency');
    if (queue < beta / 2) return this.#set(estimate + step, 'latency');
    if (queue > beta) return this.#set(estimate - step, 'latency');
    return this.limit;
  }

  /**
   * One sample of a probe: the first, of calls admitted before the cut, is skipped; the second,
   * of calls admitted under the cut limit, gives the new no-load time, and the limit returns to
   * where it was.
   */
  #probeStep(rttMs: number): number {
    const probe = this.#probe as Probe;
    if (!probe.settled) {
      probe.settled = true;
      return this.limit;
    }
    this.#probe = undefined;
    this.#noLoadRtt = rttMs;
    return this.#set(probe.restoreTo, 'latency', 1);
  }

  #set(target: number, reason: LimitChangeReason, smoothing = this.#settings.smoothing): number {
    const settings = this.#settings;
    const estimate = this.#estimate;
    const next = clamp(estimate * (1 - smoothing) + target * smoothing, settings.minLimit, settings.maxLimit);
    this.#estimate = next;
    const limit = Math.floor(next);
    if (limit !== this.limit) {
      this.limit = limit;
      this.reason = reason;
    }
    return limit;
  }

  #nextJitter(): number {
    return 0.5 + 0.5 * this.#settings.random();
  }
}
