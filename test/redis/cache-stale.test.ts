import { describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { deferred } from '../support/async';
import { ManualClock } from '../support/manual-clock';
import type { Cache, CacheOptions } from '../../src/redis/index';
import { cacheSuite, missesCounted } from './cache-support';
import { connect, keysUnder } from './support';

/** Waits until the cache's background refreshes (and loads) have ended. */
const idle = (cache: Cache): Promise<void> => vi.waitFor(() => expect(cache.stats().loading).toBe(0));

describe('Cache stale-while-revalidate and stale-if-error', () => {
  const suite = cacheSuite('cache-stale');
  const { prefix, cache } = suite;

  /** A cache on a manual clock whose key `k` was written with `value`, `laterMs` ago. */
  async function written(value: string, laterMs: number, options: Partial<CacheOptions>): Promise<{ clock: ManualClock; c: Cache }> {
    const clock = new ManualClock(Date.now());
    const c = cache({ clock, jitter: 0, ...options });
    await c.set('k', value);
    await clock.advance(laterMs);
    return { clock, c };
  }

  it('returns a stale value at once, refreshes it once in the background, then serves the refreshed value', async () => {
    const { c } = await written('old', 1_500, { ttlMs: 1_000, staleTtlMs: 5_000 });
    const refresh = deferred<string>();
    let loads = 0;
    const loader = (): Promise<string> => {
      loads++;
      return refresh.promise;
    };
    const answers = await Promise.all(Array.from({ length: 50 }, () => c.getOrLoad('k', loader)));
    expect(new Set(answers)).toEqual(new Set(['old']));
    await vi.waitFor(() => expect(loads).toBe(1));
    expect(await c.getOrLoad('k', loader)).toBe('old');
    expect(c.stats()).toMatchObject({ staleServed: 51, loading: 1 });
    refresh.resolve('new');
    await idle(c);
    expect(await c.getOrLoad('k', loader)).toBe('new');
    expect(loads).toBe(1);
  });

  it('keeps serving the stale value when the refresh fails, and tries again on a later read', async () => {
    const { c } = await written('old', 1_500, { ttlMs: 1_000, staleTtlMs: 5_000 });
    let loads = 0;
    const failing = (): never => {
      loads++;
      throw new Error('database down');
    };
    expect(await c.getOrLoad('k', failing)).toBe('old');
    await idle(c);
    expect(await c.getOrLoad('k', failing)).toBe('old');
    await idle(c);
    expect(loads).toBe(2);
    expect(await c.getOrLoad('k', () => 'new')).toBe('old');
    await idle(c);
    expect(await c.getOrLoad('k', failing)).toBe('new');
  });

  it('refreshes once across processes: the one holding the Redis lease loads, the others keep serving stale', async () => {
    const other = await connect(inject('redisUrl'));
    try {
      const { clock, c: here } = await written('old', 1_500, { ttlMs: 1_000, staleTtlMs: 5_000 });
      const there = cache({ clock, ttlMs: 1_000, staleTtlMs: 5_000, jitter: 0, redis: other });
      const refresh = deferred<string>();
      let loads = 0;
      const loader = (): Promise<string> => {
        loads++;
        return refresh.promise;
      };
      expect(await here.getOrLoad('k', loader)).toBe('old');
      await vi.waitFor(() => expect(loads).toBe(1));
      expect(await there.getOrLoad('k', loader)).toBe('old');
      await idle(there);
      expect(loads).toBe(1);
      refresh.resolve('new');
      await idle(here);
      expect(await there.getOrLoad('k', loader)).toBe('new');
      expect((await keysUnder(suite.redis, prefix)).filter((key) => key.endsWith(':lease'))).toEqual([]);
    } finally {
      await other.quit();
    }
  });

  it('loads in the foreground once the stale window is over', async () => {
    const { c } = await written('old', 2_000, { ttlMs: 1_000, staleTtlMs: 1_000 });
    expect(await c.getOrLoad('k', () => 'new')).toBe('new');
  });

  it('keeps an entry in Redis for its fresh time plus the longer of the stale and grace windows', async () => {
    const c = cache({ ttlMs: 1_000, staleTtlMs: 3_000, graceMs: 8_000, jitter: 0 });
    await c.set('a', 1);
    await c.getOrLoad('b', () => 2);
    for (const key of await keysUnder(suite.redis, prefix)) {
      const pttl = await suite.redis.pttl(key);
      expect(pttl).toBeGreaterThan(8_000);
      expect(pttl).toBeLessThanOrEqual(9_000);
    }
  });

  it('returns the expired value when the load fails inside graceMs, and the error after it', async () => {
    const { clock, c } = await written('last known', 5_000, { ttlMs: 1_000, graceMs: 10_000 });
    const failure = deferred<never>();
    const calls = Array.from({ length: 10 }, () => c.getOrLoad('k', () => failure.promise));
    await missesCounted(c, 10);
    failure.reject(new Error('database down'));
    const answers = await Promise.all(calls);
    expect(new Set(answers)).toEqual(new Set(['last known']));
    expect(c.stats()).toMatchObject({ loads: 1, loadErrors: 1, staleServed: 1 });
    await clock.advance(6_000);
    await expect(c.getOrLoad('k', () => failure.promise)).rejects.toThrow('database down');
  });
});
