import { describe, expect, it } from 'vitest';
import { Bulkhead } from '../../src/bulkhead/index';
import { Cache, CACHE_DEFAULTS } from '../../src/redis/index';
import { startRedisServer } from '../support/redis-server';
import { sleep, useThrowAwayServer } from './support';

const LOAD_MS = 20;
const MAX_LOADS = 4;
/**
 * What one getOrLoad may take while Redis dies: one Redis timeout, its loads, and scheduling slack
 * for a loaded 2-core machine — still well short of a second Redis timeout, which is the bug.
 */
const BOUND_MS = CACHE_DEFAULTS.redisTimeoutMs + 2 * LOAD_MS + 150;

describe('Cache when its Redis server is killed mid-load and restarted', () => {
  const fixture = useThrowAwayServer();

  it('answers every getOrLoad from the loader in time, opens its breaker, keeps loads within the loader policy, and uses Redis again once it is back', async () => {
    const cache = new Cache({
      redis: fixture.redis,
      prefix: 'outage',
      ttlMs: 60_000,
      registry: false,
      loaderPolicy: new Bulkhead({ maxInFlight: MAX_LOADS, maxQueue: 1_000, registry: false }),
    });
    let running = 0;
    let most = 0;
    let loads = 0;
    const loader = async (): Promise<string> => {
      loads++;
      most = Math.max(most, ++running);
      await sleep(LOAD_MS);
      running--;
      return 'loaded';
    };
    const timed = async (key: string): Promise<number> => {
      const started = performance.now();
      expect(await cache.getOrLoad(key, loader)).toBe('loaded');
      return performance.now() - started;
    };

    await timed('warm');
    expect(await cache.getOrLoad('warm', loader)).toBe('loaded');
    expect(loads).toBe(1);

    // Killed while loads are running: their writes meet a dead server.
    const midLoad = Array.from({ length: MAX_LOADS }, (_, i) => timed(`mid-${i}`));
    await sleep(LOAD_MS / 2);
    await fixture.server.stop({ kill: true });
    const durations = await Promise.all(midLoad);
    for (let wave = 0; wave < 6; wave++) {
      durations.push(...(await Promise.all(Array.from({ length: MAX_LOADS * 2 }, (_, i) => timed(`wave-${wave}-${i}`)))));
    }
    for (const duration of durations) expect(duration).toBeLessThan(BOUND_MS);
    expect(cache.health()).toMatchObject({ healthy: false, state: 'open' });
    expect(most).toBeLessThanOrEqual(MAX_LOADS);
    expect(cache.stats().degraded).toBeGreaterThan(0);

    fixture.server = await startRedisServer({ port: fixture.server.port });
    // Back: within the breaker's recovery time a probe finds Redis, and a key loaded once is then read from it.
    const deadline = Date.now() + CACHE_DEFAULTS.redisRecoveryTimeoutMs + 5_000;
    let servedFromRedis = false;
    for (let attempt = 0; !servedFromRedis && Date.now() < deadline; attempt++) {
      await cache.getOrLoad(`back-${attempt}`, loader);
      const loadsBefore = loads;
      await cache.getOrLoad(`back-${attempt}`, loader);
      servedFromRedis = loads === loadsBefore;
      if (!servedFromRedis) await sleep(100);
    }
    expect(servedFromRedis).toBe(true);
    expect(cache.health()).toEqual({ healthy: true });
    expect(fixture.unhandled).toEqual([]);
  }, 30_000);
});
