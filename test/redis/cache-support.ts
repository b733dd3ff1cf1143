import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, inject, vi } from 'vitest';
import { Cache, type CacheOptions } from '../../src/redis/index';
import { connect, deleteUnder, uniquePrefix } from './support';

/** The shared Redis, an own key prefix emptied after each test, and a Cache factory on both. */
export interface CacheSuite {
  /** The connection (set in `beforeAll`). */
  readonly redis: Redis;
  /** This suite's key prefix. */
  readonly prefix: string;
  /** A Cache on the suite's connection and prefix: ttlMs 60 s, no registry, the suite's defaults, then `options`. */
  cache(options?: Partial<CacheOptions>): Cache;
}

/**
 * Registers the hooks of a Cache suite on the shared Redis (`inject('redisUrl')`).
 * @param defaults - options every cache of the suite gets before the test's own (e.g. `batchReads`)
 */
export function cacheSuite(label: string, defaults: Partial<CacheOptions> = {}): CacheSuite {
  let redis: Redis | undefined;
  const prefix = uniquePrefix(label);
  const suite: CacheSuite = {
    get redis(): Redis {
      if (redis === undefined) throw new Error('the suite is not connected yet (use it inside tests)');
      return redis;
    },
    prefix,
    cache: (options = {}) => new Cache({ redis: suite.redis, prefix, ttlMs: 60_000, registry: false, ...defaults, ...options }),
  };
  beforeAll(async () => {
    redis = await connect(inject('redisUrl'));
  });
  afterEach(() => deleteUnder(suite.redis, prefix));
  afterAll(() => suite.redis.quit());
  return suite;
}

/** Waits until `cache` has `count` loads (and refreshes) in progress. */
export function loadsInProgress(cache: Cache, count = 1): Promise<void> {
  return vi.waitFor(() => expect(cache.stats().loading).toBe(count));
}

/** Waits until `count` reads of `cache` have missed (each then joined or started a load). */
export function missesCounted(cache: Cache, count: number): Promise<void> {
  return vi.waitFor(() => expect(cache.stats().misses).toBe(count));
}
