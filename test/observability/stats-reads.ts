/**
 * Counts how often an exporter reads each live instance's `stats()`, through a spy on every
 * instance of a registry.
 */
import { expect, vi } from 'vitest';
import type { Registry } from '../../src/index';

/** The instances {@link drivePatterns} makes whose `stats()` feed the metric set. */
const STATS_FED = ['cb', 'bh', 'ls', 'acl', 'rl', 'bp'];

/**
 * Spies on the `stats()` of every instance of `instances` that has one; the returned function
 * gives the calls since then, by instance name.
 */
export function countStatsReads(instances: Registry): () => Record<string, number> {
  const spies = new Map<string, { mock: { calls: unknown[] } }>();
  for (const instance of instances.list()) {
    const withStats = instance as unknown as { stats: () => object };
    if (typeof withStats.stats === 'function') spies.set(instance.name, vi.spyOn(withStats, 'stats'));
  }
  return () => Object.fromEntries([...spies].map(([name, spy]) => [name, spy.mock.calls.length]));
}

/**
 * Asserts that each instance {@link drivePatterns} made whose `stats()` feed the metric set was
 * read `times` times, and no instance more.
 */
export function expectStatsReads(reads: Record<string, number>, times: number): void {
  expect(Object.fromEntries(STATS_FED.map((name) => [name, reads[name]]))).toEqual(Object.fromEntries(STATS_FED.map((name) => [name, times])));
  expect(Math.max(...Object.values(reads))).toBe(times);
}
