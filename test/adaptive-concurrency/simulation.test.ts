/**
 * Proves each algorithm against the simulated server of simulation.ts: the limit must settle
 * within ±25 % of the server's capacity from far below and far above it, and follow the capacity
 * down when it halves. bench/adaptive-plot.ts draws the same runs into docs/images/.
 */
import { describe, expect, it } from 'vitest';
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
