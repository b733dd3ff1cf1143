import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock';
import { Cache, type CacheOptions } from '../../src/redis/index';
import { Timeout } from '../../src/timeout/index';
import { useThrowAwayCluster } from '../support/redis-cluster';

const MASTERS = 3;

describe('Cache on a 3-master Redis Cluster', () => {
  const fixture = useThrowAwayCluster(MASTERS);
  const keys = Array.from({ length: 60 }, (_, i) => `user:${i}`).concat(['', 'a}b', 'x'.repeat(300)]);

  const cache = (options: Partial<CacheOptions> = {}): Cache =>
    new Cache({ redis: fixture.cluster, prefix: 'c', ttlMs: 60_000, registry: false, policy: new Timeout({ timeoutMs: 5_000, registry: false }), ...options });

  it('loads, reads and overwrites keys in every slot with getOrLoad, set and delete, without CROSSSLOT', async () => {
    const c = cache({ prefix: 'single', onRedisError: 'throw' });
    expect(await Promise.all(keys.map((key) => c.getOrLoad(key, () => `v:${key}`)))).toEqual(keys.map((key) => `v:${key}`));
    expect(await Promise.all(keys.map((key) => c.getOrLoad(key, () => 'reloaded')))).toEqual(keys.map((key) => `v:${key}`));
    await Promise.all(keys.map((key) => c.set(key, 'set')));
    await Promise.all(keys.map((key) => c.delete(key)));
    expect(await Promise.all(keys.map((key) => c.get(key)))).toEqual(keys.map(() => undefined));
    const nodes = new Set(Object.values(fixture.cluster.slots).map((owners) => owners[0]));
    expect(nodes.size).toBe(MASTERS);
  });

  it('batches concurrent reads of keys in every slot into one MGET per slot, without CROSSSLOT', async () => {
    const c = cache({ prefix: 'batched', onRedisError: 'throw', batchReads: true });
    await Promise.all(keys.map((key) => c.set(key, `v:${key}`)));
    expect(await Promise.all(keys.map((key) => c.getOrLoad(key, () => 'loaded')))).toEqual(keys.map((key) => `v:${key}`));
    expect(c.stats()).toMatchObject({ hits: keys.length, degraded: 0 });
  });

  it('reads many keys across slots and writes the batch back, without CROSSSLOT', async () => {
    const c = cache({ prefix: 'many', onRedisError: 'throw' });
    await c.set('user:1', 'cached');
    const batches: string[][] = [];
    const values = await c.getManyOrLoad(keys, (missing) => {
      batches.push(missing);
      return missing.map((key) => `loaded:${key}`);
    });
    expect(values).toEqual(keys.map((key) => (key === 'user:1' ? 'cached' : `loaded:${key}`)));
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(keys.length - 1);
    expect(await c.getManyOrLoad(keys, () => [])).toEqual(values);
  });

  it('invalidates a tag whose entries live in every slot, without CROSSSLOT', async () => {
    const c = cache({ prefix: 'tags', onRedisError: 'throw' });
    await Promise.all(keys.map((key) => c.set(key, key, { tags: ['all'] })));
    expect(await c.invalidateTag('all')).toBe(keys.length);
    expect(await c.getManyOrLoad(keys, (missing) => missing.map(() => 'again'))).toEqual(keys.map(() => 'again'));
  });

  it('takes the stampede and refresh leases beside their keys, without CROSSSLOT', async () => {
    const past = { ...systemClock, now: () => Date.now() - 2_000 };
    await Promise.all(keys.map((key) => cache({ prefix: 'swr', clock: past, ttlMs: 1_000, staleTtlMs: 60_000, jitter: 0 }).set(key, 'old')));
    const c = cache({ prefix: 'swr', ttlMs: 60_000, staleTtlMs: 60_000, onRedisError: 'throw' });
    expect(await Promise.all(keys.map((key) => c.getOrLoad(key, () => 'new')))).toEqual(keys.map(() => 'old'));
    while (c.stats().loading > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await Promise.all(keys.map((key) => c.get(key)))).toEqual(keys.map(() => 'new'));
    expect(c.stats().degraded).toBe(0);
  });
});
