import { describe, expect, inject, it, vi } from 'vitest';
import { systemClock } from '../../src/core/clock';
import { deferred } from '../support/async';
import { ManualClock } from '../support/manual-clock';
import { cacheSuite, loadsInProgress } from './cache-support';
import { connect } from './support';

describe('Cache stampede protection across processes (a Redis lease per key)', () => {
  const suite = cacheSuite('cache-lease');
  const { prefix, cache } = suite;
  const lease = (key: string): string => `${prefix}:{${key}}:lease`;

  it('makes a miss wait for the load another process runs, and answers with its value without loading', async () => {
    const other = await connect(inject('redisUrl'));
    try {
      const here = cache();
      const there = cache({ redis: other });
      const slow = deferred<string>();
      const first = here.getOrLoad('k', () => slow.promise);
      await loadsInProgress(here);
      await vi.waitFor(async () => expect(await suite.redis.exists(lease('k'))).toBe(1));
      let loadsThere = 0;
      const waiting = there.getOrLoad('k', () => ++loadsThere);
      await loadsInProgress(there);
      slow.resolve('loaded once');
      expect(await first).toBe('loaded once');
      expect(await waiting).toBe('loaded once');
      expect(loadsThere).toBe(0);
      expect(await suite.redis.exists(lease('k'))).toBe(0);
    } finally {
      await other.quit();
    }
  });

  it('serves the stale value Redis still holds when the wait runs out', async () => {
    const past = { ...systemClock, now: () => Date.now() - 2_000 };
    await cache({ clock: past, ttlMs: 1_000, graceMs: 60_000, jitter: 0 }).set('k', 'old');
    await suite.redis.set(lease('k'), 'a process that hangs', 'PX', 10_000);
    let loads = 0;
    expect(await cache({ lockWaitMs: 50 }).getOrLoad('k', () => ++loads)).toBe('old');
    expect(loads).toBe(0);
  });

  it('loads by itself when the wait runs out and nothing stale is left', async () => {
    await suite.redis.set(lease('k'), 'a process that died', 'PX', 10_000);
    const c = cache({ lockWaitMs: 50 });
    const started = Date.now();
    expect(await c.getOrLoad('k', () => 'mine')).toBe('mine');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(await c.get('k')).toBe('mine');
  });

  it('drops the lease on set and delete, so that misses stop waiting for a load that may no longer write', async () => {
    const c = cache();
    await suite.redis.set(lease('a'), 'someone', 'PX', 10_000);
    await suite.redis.set(lease('b'), 'someone', 'PX', 10_000);
    await c.set('a', 1);
    await c.delete('b');
    expect(await suite.redis.exists(lease('a'), lease('b'))).toBe(0);
  });

  it('gives the lease back when a hung load is abandoned after loadTimeoutMs', async () => {
    const clock = new ManualClock(Date.now());
    const c = cache({ clock, loadTimeoutMs: 5_000 });
    void c.getOrLoad('k', () => new Promise<never>(() => {})).catch(() => {});
    await vi.waitFor(async () => expect(await suite.redis.exists(lease('k'))).toBe(1));
    await clock.advance(5_000);
    await vi.waitFor(async () => expect(await suite.redis.exists(lease('k'))).toBe(0));
  });
});
