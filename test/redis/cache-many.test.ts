import { describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/core/clock';
import type { Policy } from '../../src/core/policy';
import { deferred } from '../support/async';
import { cacheSuite, loadsInProgress } from './cache-support';
import { keysUnder } from './support';

describe('Cache getManyOrLoad', () => {
  const suite = cacheSuite('cache-many');
  const { prefix, cache } = suite;

  it('reads every key in one MGET, loads only the misses in one batch, and writes them in one pipeline', async () => {
    const c = cache();
    await c.set('a', 'A');
    await c.set('c', 'C');
    const mget = vi.spyOn(suite.redis, 'mget');
    const pipeline = vi.spyOn(suite.redis, 'pipeline');
    const batches: string[][] = [];
    const values = await c.getManyOrLoad(['a', 'b', 'c', 'd', 'b'], (keys) => {
      batches.push(keys);
      return keys.map((key) => key.toUpperCase());
    });
    expect(values).toEqual(['A', 'B', 'C', 'D', 'B']);
    expect(batches).toEqual([['b', 'd']]);
    expect(mget).toHaveBeenCalledTimes(1);
    expect(pipeline).toHaveBeenCalledTimes(1);
    expect(await c.getManyOrLoad(['b', 'd'], () => [])).toEqual(['B', 'D']);
    expect(c.stats()).toMatchObject({ hits: 4, misses: 2, loads: 1 });
  });

  it('joins a load of one of the keys already in progress instead of loading it again', async () => {
    const c = cache();
    const slow = deferred<string>();
    const single = c.getOrLoad('a', () => slow.promise);
    await loadsInProgress(c);
    const batches: string[][] = [];
    const many = c.getManyOrLoad(['a', 'b'], (keys) => {
      batches.push(keys);
      return keys.map((key) => `${key} from batch`);
    });
    await vi.waitFor(() => expect(batches).toEqual([['b']]));
    slow.resolve('a from single');
    expect(await single).toBe('a from single');
    expect(await many).toEqual(['a from single', 'b from batch']);
  });

  it('caches nothing of a batch that fails, and refuses a batch of the wrong length', async () => {
    const c = cache();
    await expect(c.getManyOrLoad(['a', 'b'], () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    await expect(c.getManyOrLoad(['a', 'b'], () => ['only one'])).rejects.toThrow(TypeError);
    expect(await keysUnder(suite.redis, prefix)).toEqual([]);
    expect(c.stats()).toMatchObject({ loads: 2, loadErrors: 2, loading: 0 });
  });

  it('keeps a set that finished while the batch load ran', async () => {
    const c = cache();
    const slow = deferred<string[]>();
    const many = c.getManyOrLoad(['a', 'b'], () => slow.promise);
    await loadsInProgress(c, 2);
    await c.set('a', 'newer');
    slow.resolve(['older a', 'b']);
    expect(await many).toEqual(['older a', 'b']);
    expect(await c.get('a')).toBe('newer');
    expect(await c.get('b')).toBe('b');
  });

  it('caches an undefined of the batch for negativeTtlMs only', async () => {
    const c = cache({ negativeTtlMs: 5_000 });
    let loads = 0;
    const loader = (keys: string[]): undefined[] => {
      loads++;
      return keys.map(() => undefined);
    };
    expect(await c.getManyOrLoad(['x'], loader)).toEqual([undefined]);
    expect(await c.getManyOrLoad(['x'], loader)).toEqual([undefined]);
    expect(loads).toBe(1);
    const plain = cache({ prefix: `${prefix}:plain` });
    expect(await plain.getManyOrLoad(['x'], () => [undefined])).toEqual([undefined]);
    expect(await keysUnder(suite.redis, `${prefix}:plain`)).toEqual([]);
  });

  it('loads every key in one batch and writes nothing while Redis fails', async () => {
    const broken: Policy = { name: 'broken', execute: () => Promise.reject(new Error('redis down')) };
    const c = cache({ policy: broken });
    expect(await c.getManyOrLoad(['a', 'b'], (keys) => keys)).toEqual(['a', 'b']);
    await expect(cache({ policy: broken, onRedisError: 'throw' }).getManyOrLoad(['a'], (keys) => keys)).rejects.toThrow('redis down');
    expect(await keysUnder(suite.redis, prefix)).toEqual([]);
  });

  it('answers an empty list without Redis or the loader, and rejects a key that is not a string', async () => {
    const c = cache();
    const loader = vi.fn(() => []);
    expect(await c.getManyOrLoad([], loader)).toEqual([]);
    expect(loader).not.toHaveBeenCalled();
    await expect(c.getManyOrLoad(['a', 1 as never], loader)).rejects.toThrow(TypeError);
  });
});

describe('Cache tags and versions', () => {
  const suite = cacheSuite('cache-tags');
  const { prefix, cache } = suite;

  it('removes every entry written with a tag, in any process, and leaves the others', async () => {
    const c = cache();
    await c.set('profile:42', 'p', { tags: ['user:42'] });
    await c.set('orders:42', 'o', { tags: ['user:42', 'orders'] });
    await c.set('profile:7', 'q', { tags: ['user:7'] });
    expect(await cache().invalidateTag('user:42')).toBe(2);
    expect(await c.get('profile:42')).toBeUndefined();
    expect(await c.get('orders:42')).toBeUndefined();
    expect(await c.get('profile:7')).toBe('q');
    expect(await c.invalidateTag('user:42')).toBe(0);
  });

  it('keeps a load that began before the invalidation from writing back', async () => {
    const past = { ...systemClock, now: () => Date.now() - 2_000 };
    await cache({ clock: past, ttlMs: 1_000, graceMs: 60_000, jitter: 0 }).set('k', 'expired', { tags: ['t'] });
    const c = cache();
    const slow = deferred<string>();
    const load = c.getOrLoad('k', () => slow.promise);
    await loadsInProgress(c);
    expect(await c.invalidateTag('t')).toBe(1);
    slow.resolve('from before');
    expect(await load).toBe('from before');
    expect(await c.get('k')).toBeUndefined();
  });

  it('keeps a tag set alive as long as its longest-lived entry, for tags of any characters', async () => {
    const c = cache({ jitter: 0 });
    const odd = ['', '}{', 'x'.repeat(500), 'tag with spaces'];
    await c.set('short', 1, { tags: odd, ttlMs: 1_000 });
    await c.set('long', 2, { tags: odd, ttlMs: 50_000 });
    const tagKeys = (await keysUnder(suite.redis, `${prefix}:tag:`)).sort();
    expect(tagKeys).toHaveLength(odd.length);
    for (const key of tagKeys) expect(await suite.redis.pttl(key)).toBeGreaterThan(45_000);
    for (const tag of odd) expect(await c.invalidateTag(tag)).toBe(2);
    expect(await c.getManyOrLoad(['short', 'long'], (keys) => keys)).toEqual(['short', 'long']);
  });

  it('leaves every entry of an old version behind when the version is bumped', async () => {
    await cache({ version: 1 }).set('k', 'v1 shape');
    expect(await cache({ version: 2 }).getOrLoad('k', () => 'v2 shape')).toBe('v2 shape');
    expect(await cache({ version: 1 }).get('k')).toBe('v1 shape');
  });
});
