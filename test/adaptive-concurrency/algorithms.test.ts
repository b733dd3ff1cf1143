/**
 * The decision half on its own: each algorithm's arithmetic, one sample at a time.
 */
import { describe, expect, it } from 'vitest';
import { AimdLimit } from '../../src/adaptive-concurrency/aimd';
import type { LimitAlgorithm } from '../../src/adaptive-concurrency/algorithm';
import type { LimitChangeReason } from '../../src/adaptive-concurrency/index';
import { Gradient2Limit, type Gradient2Settings } from '../../src/adaptive-concurrency/gradient2';
import { WindowedLimit } from '../../src/adaptive-concurrency/sample-window';
import { VegasLimit, type VegasSettings } from '../../src/adaptive-concurrency/vegas';

describe('AimdLimit', () => {
  const aimd = (overrides: Partial<ConstructorParameters<typeof AimdLimit>[0]> = {}) =>
    new AimdLimit({ initialLimit: 10, minLimit: 1, maxLimit: 100, successThreshold: 2, failureThreshold: 1, backoffRatio: 0.9, rttTolerance: 1.5, latencyThresholdMs: Infinity, ...overrides });

  it('adds 1 per successThreshold successes near the limit, and ignores successes far below it', () => {
    const limit = aimd();
    expect(limit.update(5, 4, false, 0)).toBe(10);
    expect(limit.update(5, 4, false, 0)).toBe(10);
    expect(limit.update(5, 5, false, 0)).toBe(10);
    expect(limit.update(5, 9, false, 0)).toBe(11);
    expect(limit.reason).toBe('success');
  });

  it('restarts the success count after a drop', () => {
    const limit = aimd({ failureThreshold: 5 });
    limit.update(5, 10, false, 0);
    limit.update(5, 10, true, 0);
    expect(limit.update(5, 10, false, 0)).toBe(10);
    expect(limit.update(5, 10, false, 0)).toBe(11);
  });

  it('multiplies by backoffRatio on a drop, by at least 1, and counts no drop of a call started before the cut', () => {
    const limit = aimd({ initialLimit: 100, backoffRatio: 0.9 });
    expect(limit.update(50, 100, true, 1_000)).toBe(90);
    expect(limit.reason).toBe('drop');
    expect(limit.update(60, 100, true, 1_040)).toBe(90);
    expect(limit.update(5, 90, true, 1_051)).toBe(81);
    const small = aimd({ initialLimit: 5, backoffRatio: 0.99 });
    expect(small.update(1, 5, true, 0)).toBe(4);
  });

  it('counts drops since the limit last changed against failureThreshold', () => {
    const limit = aimd({ failureThreshold: 3, successThreshold: 1 });
    limit.update(1, 10, true, 0);
    limit.update(1, 10, true, 1);
    expect(limit.update(1, 10, false, 2)).toBe(11);
    limit.update(1, 10, true, 3);
    limit.update(1, 10, true, 4);
    expect(limit.limit).toBe(11);
    expect(limit.update(1, 10, true, 5)).toBe(9);
  });

  it('cuts the limit once the average round trip exceeds rttTolerance × the fastest, then restarts the average and waits for the queue to drain', () => {
    const limit = aimd({ initialLimit: 20, successThreshold: 100 });
    expect(limit.update(10, 20, false, 0)).toBe(20);
    expect(limit.update(40, 20, false, 1)).toBe(20); // one slow call: the average is 13 ms, within 15
    expect(limit.update(40, 20, false, 2)).toBe(18); // the average is 15.7 ms: cut at 42
    expect(limit.reason).toBe('latency');
    expect(limit.update(40, 20, false, 30)).toBe(18); // started before the cut
    expect(limit.update(400, 18, false, 82)).toBe(18); // started while calls admitted before the cut (40 ms each) could still run
    expect(limit.update(40, 18, false, 83)).toBe(18); // the average restarted from 10 ms: 13 ms, within 15
    expect(limit.update(40, 18, false, 84)).toBe(16); // 15.7 ms
  });

  it('cuts the limit on a success slower than latencyThresholdMs', () => {
    const limit = aimd({ initialLimit: 20, latencyThresholdMs: 50, rttTolerance: 100 });
    expect(limit.update(40, 20, false, 0)).toBe(20);
    expect(limit.update(51, 20, false, 1)).toBe(18);
  });

  it('takes a slow success at minLimit as the new fastest round trip: the dependency got slower for good', () => {
    const limit = aimd({ initialLimit: 2, minLimit: 2, successThreshold: 1 });
    limit.update(10, 0, false, 0);
    limit.update(40, 0, false, 1);
    expect(limit.update(40, 2, false, 2)).toBe(2); // average 15.7 ms at the floor: it becomes the fastest
    expect(limit.update(16, 2, false, 50)).toBe(3); // the average 15.7 ms is within 1.5 × 15.7 ms
    expect(limit.reason).toBe('success');
  });

  it('stays within minLimit and maxLimit', () => {
    const limit = aimd({ initialLimit: 3, minLimit: 2, maxLimit: 4, successThreshold: 1, backoffRatio: 0.5 });
    for (let i = 0; i < 5; i++) limit.update(1, 4, false, i);
    expect(limit.limit).toBe(4);
    for (let i = 10; i < 15; i++) limit.update(1, 4, true, i * 10);
    expect(limit.limit).toBe(2);
  });
});

describe('Gradient2Limit', () => {
  const settings: Gradient2Settings = {
    initialLimit: 20,
    minLimit: 1,
    maxLimit: 200,
    smoothing: 0.2,
    rttTolerance: 1.5,
    queueSize: 4,
  };
  /** A limit that has seen `rttMs` as its fastest round trip, from a sample that left the limit where it started. */
  const measured = (rttMs: number, overrides: Partial<Gradient2Settings> = {}) => {
    const limit = new Gradient2Limit({ ...settings, ...overrides });
    limit.update(rttMs, 1, false);
    return limit;
  };

  it('grows by queueSize × smoothing per sample while round trips are within the tolerance of the fastest', () => {
    const limit = measured(10);
    expect(limit.limit).toBe(20);
    expect(limit.update(10, 20, false)).toBe(20); // 20.8
    expect(limit.update(15, 20, false)).toBe(21); // 21.6: 15 ms is within 1.5 × 10 ms
    expect(limit.reason).toBe('latency');
  });

  it('keeps growing while round trips stay within the tolerance, however long they have been that slow', () => {
    const limit = measured(10);
    // An average of the round trips would follow them to 14 ms and stop the growth there.
    for (let i = 0; i < 100; i++) limit.update(14, 200, false);
    expect(limit.limit).toBe(100); // 20 + 100 × 0.8
  });

  it('shrinks in proportion to the gradient against the fastest round trip, by at most half the smoothing', () => {
    const limit = measured(10);
    // gradient = 1.5 × 10 / 16 = 0.9375: 20 × 0.8 + 20 × 0.9375 × 0.2 = 19.75
    expect(limit.update(16, 20, false)).toBe(19);
    const steep = measured(10);
    // gradient clamped to 0.5: 20 × 0.8 + 10 × 0.2 = 18
    expect(steep.update(1_000, 20, false)).toBe(18);
  });

  it('settles near the limit where round trips are rttTolerance times the fastest, however long they stay there', () => {
    const limit = measured(10);
    // A dependency of concurrency 20 whose latency grows in proportion to its load: 10 ms × limit / 20.
    for (let i = 0; i < 2_000; i++) limit.update(10 * Math.max(1, limit.limit / 20), limit.limit, false);
    expect(limit.limit).toBeGreaterThanOrEqual(28);
    expect(limit.limit).toBeLessThanOrEqual(31);
  });

  it('takes a slower round trip at minLimit as the new fastest, and grows back from there', () => {
    const limit = measured(10, { minLimit: 2 });
    // The dependency is 3× slower for good: the limit falls to minLimit, then grows within the new band.
    for (let i = 0; i < 100 && limit.limit > 2; i++) limit.update(30, limit.limit, false);
    expect(limit.limit).toBe(2);
    // A few more samples take the estimate down to minLimit itself; from there, 0.8 per sample.
    for (let i = 0; i < 50; i++) limit.update(30, limit.limit, false);
    expect(limit.limit).toBeGreaterThanOrEqual(35);
  });

  it('counts a drop as the steepest gradient, whatever its round-trip time', () => {
    const limit = measured(10);
    expect(limit.update(0, 20, true)).toBe(18);
    expect(limit.reason).toBe('drop');
    expect(limit.update(0, 1, true)).toBe(16); // 16.2: drops cut even with few calls in flight
  });

  it('leaves the limit alone while less than half of it is in flight', () => {
    const limit = measured(10);
    expect(limit.update(10, 9, false)).toBe(20);
    expect(limit.update(100, 9, false)).toBe(20);
  });

  it('takes a faster round trip as the new fastest at once', () => {
    const limit = measured(100);
    expect(limit.update(10, 20, false)).toBe(20); // 20.8
    // 40 ms was within 1.5 × 100 ms; against 10 ms it is 4× the fastest: gradient 0.5
    expect(limit.update(40, 20, false)).toBe(18);
  });

  it('stays within minLimit and maxLimit', () => {
    const limit = measured(10, { minLimit: 15, maxLimit: 22 });
    for (let i = 0; i < 50; i++) limit.update(10, 30, false);
    expect(limit.limit).toBe(22);
    for (let i = 0; i < 50; i++) limit.update(0, 30, true);
    expect(limit.limit).toBe(15);
  });

  it('ignores a success with no measurable round trip', () => {
    const limit = measured(10);
    expect(limit.update(0, 20, false)).toBe(20);
  });
});

describe('VegasLimit', () => {
  const settings: VegasSettings = {
    initialLimit: 20,
    minLimit: 1,
    maxLimit: 1_000,
    smoothing: 1,
    probeMultiplier: 30,
    random: () => 0.999_999,
  };
  /** A limit that has seen `noLoadMs` as its fastest round trip. */
  const measured = (noLoadMs: number, overrides: Partial<VegasSettings> = {}) => {
    const limit = new VegasLimit({ ...settings, ...overrides });
    limit.update(noLoadMs, 20, false);
    return limit;
  };

  it('takes the first round trip as the no-load time, without moving', () => {
    const limit = new VegasLimit(settings);
    expect(limit.update(10, 20, false)).toBe(20);
  });

  it('moves by the estimated queue: +6 steps with none, +1 below alpha, −1 above beta, none between', () => {
    expect(measured(10).update(10, 20, false)).toBe(26); // queue 0
    expect(measured(10).update(10.9, 20, false)).toBe(21); // queue ⌈20 × 0.083⌉ = 2 < alpha 3
    expect(measured(10).update(11.2, 20, false)).toBe(20); // queue ⌈20 × 0.107⌉ = 3: alpha, not below it
    expect(measured(10).update(12.5, 20, false)).toBe(20); // queue 4: between alpha 3 and beta 6
    expect(measured(10).update(20, 20, false)).toBe(19); // queue 10 > beta 6
  });

  it('below a limit of 18, lets at most a third of the limit queue (beta) and grows below a sixth (alpha)', () => {
    // limit 12: beta 4, alpha 2 (Netflix's 6 and 3 would hold at a queue of 5 and grow at 2)
    expect(measured(10, { initialLimit: 12 }).update(16, 12, false)).toBe(11); // queue ⌈12 × 0.375⌉ = 5 > 4
    expect(measured(10, { initialLimit: 12 }).update(14, 12, false)).toBe(12); // queue ⌈12 × 0.286⌉ = 4: beta, not above it
    expect(measured(10, { initialLimit: 12 }).update(11.5, 12, false)).toBe(12); // queue 2: alpha, not below it
    expect(measured(10, { initialLimit: 18 }).update(14, 18, false)).toBe(18); // from 18 on, Netflix's beta 6: queue ⌈18 × 0.286⌉ = 6
    expect(measured(10, { initialLimit: 18 }).update(11.8, 18, false)).toBe(18); // and alpha 3: queue ⌈18 × 0.153⌉ = 3
  });

  it('takes steps of ⌊log10(limit)⌋ once the limit reaches 100', () => {
    expect(measured(10, { initialLimit: 150 }).update(10, 150, false)).toBe(162);
    expect(measured(10, { initialLimit: 150 }).update(20, 150, false)).toBe(148);
  });

  it('cuts the limit by 10 % on a drop, and ignores the drop’s round trip', () => {
    const limit = measured(10);
    expect(limit.update(0.001, 20, true)).toBe(18);
    expect(limit.reason).toBe('drop');
    expect(limit.update(10, 20, false)).toBe(24); // the no-load time is still 10 ms: no queue
  });

  it('leaves the limit alone while less than half of it is in flight', () => {
    expect(measured(10).update(10, 9, false)).toBe(20);
  });

  it('applies smoothing to each move', () => {
    expect(measured(10, { smoothing: 0.5 }).update(10, 20, false)).toBe(23);
  });

  it('probes every probeMultiplier × limit × jitter samples: halves the limit, skips a sample, takes the next as the no-load time', () => {
    // jitter 0.5: probes when the samples since the last probe reach 0.5 × 1 × limit
    const limit = measured(10, { random: () => 0, probeMultiplier: 1, initialLimit: 10 });
    expect(limit.update(40, 10, false)).toBe(9); // sample 2 of 5: queue ⌈10 × 0.75⌉ = 8 > beta 6
    expect(limit.update(40, 10, false)).toBe(8); // sample 3 of 4.5: queue 7 > beta
    expect(limit.update(40, 10, false)).toBe(4); // sample 4 of 4: the probe halves the limit
    expect(limit.update(40, 10, false)).toBe(4); // calls admitted before the cut: skipped
    expect(limit.update(12, 4, false)).toBe(8); // under the cut: 12 ms is the no-load time, the limit returns
    expect(limit.update(12, 8, false)).toBe(14); // no queue against 12 ms: +6
  });

  it('stays within minLimit and maxLimit', () => {
    const limit = measured(10, { minLimit: 18, maxLimit: 24 });
    expect(limit.update(10, 20, false)).toBe(24);
    for (let i = 0; i < 10; i++) limit.update(0, 20, true);
    expect(limit.limit).toBe(18);
  });
});

describe('WindowedLimit', () => {
  /** A delegate that records the samples it is fed. */
  class Recorder implements LimitAlgorithm {
    limit = 10;
    reason: LimitChangeReason = 'latency';
    readonly samples: Array<[number, number, boolean]> = [];
    update(rttMs: number, inFlight: number, dropped: boolean): number {
      this.samples.push([rttMs, inFlight, dropped]);
      return this.limit;
    }
  }

  it('feeds one sample per window: the average round trip of its successes, the most in flight, any drop', () => {
    const delegate = new Recorder();
    const windowed = new WindowedLimit(delegate, { minWindowMs: 100, windowSize: 3 });
    windowed.update(10, 1, false, 0);
    windowed.update(10, 4, false, 20);
    expect(delegate.samples).toEqual([]);
    windowed.update(30, 7, false, 40); // the third call: the first window closes, the next at 70 + 100
    expect(delegate.samples).toEqual([[50 / 3, 7, false]]);
    windowed.update(5, 2, true, 50);
    windowed.update(20, 3, false, 145); // ends at 165, before 170
    expect(delegate.samples).toHaveLength(1);
    windowed.update(20, 5, false, 160); // ends at 180: closes the window
    expect(delegate.samples).toEqual([
      [50 / 3, 7, false],
      [20, 5, true],
    ]);
  });

  it('lasts at least twice the fastest round trip of the window before', () => {
    const delegate = new Recorder();
    const windowed = new WindowedLimit(delegate, { minWindowMs: 0, windowSize: 1 });
    windowed.update(40, 1, false, 0); // closes at 40 + 2 × 40 = 120
    windowed.update(40, 1, false, 70);
    expect(delegate.samples).toEqual([[40, 1, false]]);
    windowed.update(40, 1, false, 81);
    expect(delegate.samples).toEqual([
      [40, 1, false],
      [40, 1, false],
    ]);
  });

  it('keeps a window open until it holds windowSize calls, however long that takes', () => {
    // Discarded instead (Netflix), a window never counts once the limit is too low to fill one: a
    // limit of 3 at 40 ms fits 7.5 calls in 100 ms, and stays at 3 for good.
    const delegate = new Recorder();
    const windowed = new WindowedLimit(delegate, { minWindowMs: 10, windowSize: 5 });
    for (let t = 0; t < 100; t += 20) windowed.update(1, 1, false, t);
    expect(delegate.samples).toHaveLength(1);
    for (let t = 200; t < 600; t += 100) windowed.update(1, 1, false, t);
    expect(delegate.samples).toHaveLength(1);
    windowed.update(1, 1, false, 600);
    expect(delegate.samples).toHaveLength(2);
  });

  it('passes a window of drops only as a drop with no round trip', () => {
    const delegate = new Recorder();
    const windowed = new WindowedLimit(delegate, { minWindowMs: 10, windowSize: 2 });
    windowed.update(1, 1, true, 0);
    windowed.update(1, 5, true, 5); // the second call closes the first window
    expect(delegate.samples).toEqual([[0, 5, true]]);
    expect(windowed.limit).toBe(10);
    expect(windowed.reason).toBe('latency');
  });
});
