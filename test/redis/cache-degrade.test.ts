import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Bulkhead } from '../../src/bulkhead/index';
import { CircuitOpenError } from '../../src/circuit-breaker/index';
import type { Policy } from '../../src/core/policy';
import { Cache, type CacheOptions } from '../../src/redis/index';
import { Timeout } from '../../src/timeout/index';
import { keysUnder } from './support';
import { cacheSuite } from './cache-support';

/** A Redis policy whose every call fails as an open circuit would. */
const brokenRedis: Policy = {
  name: 'broken',
  execute: () => Promise.reject(new CircuitOpenError('redis', 'circuitOpen', 1_000)),
};

describe('Cache degrading when Redis fails', () => {
  const suite = cacheSuite('cache-degrade');
  const { prefix } = suite;
  const cache = (options: Partial<CacheOptions> = {}): Cache => suite.cache({ policy: brokenRedis, ...options });


  it('answers get with a miss, set and delete with false, and getOrLoad from the loader every time', async () => {
    const c = cache();
    let loads = 0;
    expect(await c.get('k')).toBeUndefined();
    expect(await c.set('k', 1)).toBe(false);
    expect(await c.delete('k')).toBe(false);
    expect(await c.getOrLoad('k', () => ++loads)).toBe(1);
    expect(await c.getOrLoad('k', () => ++loads)).toBe(2);
    expect(c.stats()).toMatchObject({ loads: 2, degraded: 5 });
  });

  it('rejects with the Redis failure instead under onRedisError: throw, without calling the loader', async () => {
    const c = cache({ onRedisError: 'throw' });
    let loads = 0;
    await expect(c.get('k')).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(c.set('k', 1)).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(c.delete('k')).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(c.getOrLoad('k', () => ++loads)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(loads).toBe(0);
  });

  it('bounds the loads of a Redis outage by the default loader policy: at most 10 at once', async () => {
    const c = cache();
    let running = 0;
    let most = 0;
    const loader = async (): Promise<string> => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return 'v';
    };
    const all = await Promise.all(Array.from({ length: 100 }, (_, i) => c.getOrLoad(`k${i}`, loader)));
    expect(all).toHaveLength(100);
    expect(most).toBe(10);
  });

  it('runs loads through the loaderPolicy given, and rejects with its refusal', async () => {
    const c = cache({ loaderPolicy: new Bulkhead({ maxInFlight: 1, maxQueue: 0, registry: false }) });
    let release!: () => void;
    const first = c.getOrLoad('a', () => new Promise<string>((resolve) => (release = () => resolve('a'))));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await expect(c.getOrLoad('b', () => 'b')).rejects.toMatchObject({ name: 'BulkheadRejectedError' });
    release();
    expect(await first).toBe('a');
  });

  it('still shares one load among concurrent misses of a key while Redis fails', async () => {
    const c = cache();
    let loads = 0;
    const all = await Promise.all(
      Array.from({ length: 50 }, () =>
        c.getOrLoad('k', async () => {
          loads++;
          await new Promise((resolve) => setTimeout(resolve, 5));
          return 'v';
        }),
      ),
    );
    expect(new Set(all)).toEqual(new Set(['v']));
    expect(loads).toBe(1);
  });

  it('sends nothing on a connection that is not connected, and degrades at once', async () => {
    const idle = new Redis(inject('redisUrl'), { lazyConnect: true, enableOfflineQueue: false });
    const c = new Cache({ redis: idle, prefix, ttlMs: 60_000, registry: false });
    const started = Date.now();
    expect(await c.getOrLoad('k', () => 'loaded')).toBe('loaded');
    expect(await c.set('k', 'v')).toBe(false);
    expect(Date.now() - started).toBeLessThan(150);
    expect(await keysUnder(suite.redis, prefix)).toEqual([]);
    idle.disconnect();
  });

  it('writes nothing after a load whose read failed, so what Redis holds is never overwritten blindly', async () => {
    let calls = 0;
    const passing = new Timeout({ timeoutMs: 1_000, registry: false });
    const firstCallFails: Policy = {
      name: 'first-fails',
      execute: (fn, options) => (++calls === 1 ? Promise.reject(new Error('read failed')) : passing.execute(fn, options)),
    };
    const writer = new Cache({ redis: suite.redis, prefix, ttlMs: 60_000, registry: false });
    await writer.set('k', 'in redis');
    const c = cache({ policy: firstCallFails });
    expect(await c.getOrLoad('k', () => 'loaded')).toBe('loaded');
    expect(await writer.get('k')).toBe('in redis');
    expect(calls).toBe(1);
  });
});
