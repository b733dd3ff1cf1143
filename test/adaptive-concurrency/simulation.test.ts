/**
 * Proves each algorithm against the simulated server of simulation.ts: the limit must settle
 * within ±25 % of the server's capacity from far below and far above it, and follow the capacity
 * down when it halves; then under sustained open-loop overload (overload-simulation.ts).
 * bench/adaptive-plot.ts draws the same runs into docs/images/.
 */
import { describe, expect, it } from 'vitest';
import type { LimitAlgorithmName } from '../../src/adaptive-concurrency/index';
import { OVERLOAD_SERVER, simulateOverload, type OverloadScenario, type OverloadTrace } from './overload-simulation';
import { DEFAULT_SERVER, HALVING_AT_MS, scenarios, simulate, type Trace } from './simulation';

/** Every recorded limit between `fromMs` (inclusive) and `toMs` (inclusive) is within ±25 % of `capacity`. */
function expectSettled(trace: Trace, fromMs: number, toMs: number, capacity: number): void {
  const window = trace.points.filter((point) => point.timeMs >= fromMs && point.timeMs <= toMs);
  expect(window.length).toBeGreaterThan(100);
  const outside = window.filter((point) => point.limit < 0.75 * capacity || point.limit > 1.25 * capacity);
  expect(outside.map(({ timeMs, limit }) => `${limit} at ${timeMs} ms`)).toEqual([]);
}

function meanLimit(trace: Trace, fromMs: number, toMs: number): number {
  const window = trace.points.filter((point) => point.timeMs >= fromMs && point.timeMs <= toMs);
  return window.reduce((sum, point) => sum + point.limit, 0) / window.length;
}

const capacity = DEFAULT_SERVER.capacity;

describe.each(['aimd', 'gradient2', 'vegas'] as const)('%s against a server of capacity 60', (algorithm) => {
  const runs = scenarios(algorithm);

  it('settles within ±25 % of the capacity from a limit 10× below it', async () => {
    const trace = await simulate(runs.fromBelow);
    expect(trace.points[0]?.limit).toBe(6);
    expectSettled(trace, runs.fromBelow.durationMs - 4_000, runs.fromBelow.durationMs, capacity);
  });

  it('settles within ±25 % of the capacity from a limit 8× above it', async () => {
    const trace = await simulate(runs.fromAbove);
    expect(trace.points[0]?.limit).toBe(480);
    expectSettled(trace, runs.fromAbove.durationMs - 4_000, runs.fromAbove.durationMs, capacity);
  });

  it('follows the capacity down to within ±25 % of it when it halves mid-run', async () => {
    const trace = await simulate(runs.capacityHalves);
    expectSettled(trace, HALVING_AT_MS / 2, HALVING_AT_MS, capacity);
    expectSettled(trace, HALVING_AT_MS + 4_000, runs.capacityHalves.durationMs, capacity / 2);
    expect(meanLimit(trace, HALVING_AT_MS + 4_000, runs.capacityHalves.durationMs)).toBeLessThan(
      0.6 * meanLimit(trace, HALVING_AT_MS / 2, HALVING_AT_MS),
    );
  });
});

/**
 * Sustained overload, open loop (overload-simulation.ts): requests keep arriving at 2× and 4× what
 * the dependency serves, for 60 simulated seconds, and the capacity halves in a second run. The
 * limit must stay near the dependency's concurrency (no creep), and the goodput near its capacity.
 * The band is the goal, ±50 %, wider than above: each algorithm lets latency rise to its
 * tolerance before it shrinks (`'aimd'` and `'gradient2'` 1.25× the base latency, `'vegas'` a
 * queue of a sixth to a third of the limit), and in this dependency latency grows with
 * concurrency, so the limit settles up to that much above the concurrency.
 */
const OVERLOAD_MS = 60_000;
const HALVES_AT_MS = 30_000;

/** Every recorded limit from `fromMs` to `toMs` is within [0.5, 1.5] × `concurrency`. */
function expectNearConcurrency(trace: OverloadTrace, fromMs: number, toMs: number, concurrency: number): void {
  const window = trace.points.filter((point) => point.timeMs >= fromMs && point.timeMs <= toMs);
  expect(window.length).toBeGreaterThan(20);
  const outside = window.filter((point) => point.limit < 0.5 * concurrency || point.limit > 1.5 * concurrency);
  expect(outside.map(({ timeMs, limit }) => `${limit} at ${timeMs} ms`)).toEqual([]);
}

/** The p-th percentile of `values`. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

const overload = (algorithm: LimitAlgorithmName, load: number, capacityChanges: OverloadScenario['capacityChanges'] = []) =>
  simulateOverload({ algorithm, ...OVERLOAD_SERVER, load, capacityChanges, durationMs: OVERLOAD_MS, sampleEveryMs: 100 });

describe.each(['aimd', 'gradient2', 'vegas'] as const)('%s under sustained open-loop overload (capacity 20, 1,000 calls/s)', (algorithm) => {
  const servedPerSecond = 1_000;

  it.each([2, 4])('keeps its limit near the concurrency for 60 s at %d× the capacity, with goodput of at least 97 percent of the capacity and p99 ≤ 2× the base latency', async (load) => {
    const trace = await overload(algorithm, load);
    expectNearConcurrency(trace, 2_000, OVERLOAD_MS, OVERLOAD_SERVER.capacity);
    const seconds = trace.goodputPerSecond.slice(2);
    expect(seconds.reduce((sum, goodput) => sum + goodput, 0)).toBeGreaterThanOrEqual(0.97 * servedPerSecond * seconds.length);
    expect(seconds.filter((goodput) => goodput < 0.9 * servedPerSecond)).toEqual([]);
    expect(percentile(trace.latencies, 0.99)).toBeLessThanOrEqual(2 * OVERLOAD_SERVER.baseLatencyMs);
  });

  it('keeps its limit near the concurrency and goodput of at least 99 percent at 2× when requests arrive at random instants', async () => {
    const trace = await simulateOverload({ algorithm, ...OVERLOAD_SERVER, load: 2, capacityChanges: [], durationMs: 20_000, sampleEveryMs: 100, arrivals: 'random' });
    expectNearConcurrency(trace, 2_000, 20_000, OVERLOAD_SERVER.capacity);
    const seconds = trace.goodputPerSecond.slice(2);
    expect(seconds.reduce((sum, goodput) => sum + goodput, 0)).toBeGreaterThanOrEqual(0.99 * servedPerSecond * seconds.length);
  });

  it('keeps goodput of at least 96 percent at 2× when every call also lags by about 1 ms, as timers and the event loop do', async () => {
    // Each call holds its slot about 1.16 ms longer than the dependency's model says: a limit parked at the
    // concurrency + 1 (gradient2 measured against its long-term average) got 95.1 %, one at 1.25× it 96.0–96.3 %.
    const trace = await simulateOverload({ algorithm, ...OVERLOAD_SERVER, load: 2, capacityChanges: [], durationMs: 20_000, sampleEveryMs: 100, arrivals: 'random', lagMs: 0.5 });
    expectNearConcurrency(trace, 2_000, 20_000, OVERLOAD_SERVER.capacity);
    const seconds = trace.goodputPerSecond.slice(2);
    expect(seconds.reduce((sum, goodput) => sum + goodput, 0)).toBeGreaterThanOrEqual(0.96 * servedPerSecond * seconds.length);
    expect(percentile(trace.latencies, 0.99)).toBeLessThanOrEqual(2 * OVERLOAD_SERVER.baseLatencyMs);
  });

  it('does not raise its limit while the traffic leaves most of it unused (a quarter of the capacity for 60 s)', async () => {
    const trace = await overload(algorithm, 0.25);
    expect(trace.rejected).toBe(0);
    expect(Math.max(...trace.points.map((point) => point.limit))).toBeLessThanOrEqual(trace.points[0]?.limit as number);
  });

  it('follows a dependency that becomes twice as slow for good (not queueing) back to its concurrency within 12 s', async () => {
    const trace = await simulateOverload({
      algorithm, ...OVERLOAD_SERVER, load: 2, capacityChanges: [], latencyChanges: [{ atMs: HALVES_AT_MS, baseLatencyMs: 40 }], durationMs: OVERLOAD_MS, sampleEveryMs: 100,
    });
    expectNearConcurrency(trace, HALVES_AT_MS + 12_000, OVERLOAD_MS, OVERLOAD_SERVER.capacity);
    const last = trace.goodputPerSecond.slice(-15);
    expect(last.filter((goodput) => goodput < 0.9 * (servedPerSecond / 2))).toEqual([]);
  });

  it.each([2, 4])('follows the capacity down within 5 s when it halves at %d× load, without a goodput collapse', async (load) => {
    const half = OVERLOAD_SERVER.capacity / 2;
    const trace = await overload(algorithm, load, [{ atMs: HALVES_AT_MS, capacity: half }]);
    expectNearConcurrency(trace, 2_000, HALVES_AT_MS, OVERLOAD_SERVER.capacity);
    expectNearConcurrency(trace, HALVES_AT_MS + 5_000, OVERLOAD_MS, half);
    const after = trace.goodputPerSecond.slice(HALVES_AT_MS / 1_000);
    expect(after.filter((goodput) => goodput < 0.9 * (servedPerSecond / 2))).toEqual([]);
  });
});
