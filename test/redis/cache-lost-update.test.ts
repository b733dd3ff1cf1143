import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Cache } from '../../src/redis/index';
import { deferred } from '../support/async';
import { connect } from './support';
import { cacheSuite, loadsInProgress } from './cache-support';


describe('Cache lost-update rule: a load never overwrites a newer write', () => {
  let other: Redis;
  const suite = cacheSuite('cache-lost-update');
  const { prefix } = suite;
  const { cache } = suite;

  beforeAll(async () => {
    other = await connect(inject('redisUrl'));
  });
  afterAll(() => other.quit());

  it('keeps a set that finished while a slow load of a cold key ran', async () => {
    const c = cache();
    const slow = deferred<string>();
    const load = c.getOrLoad('k', () => slow.promise);
    await loadsInProgress(c);
    await c.set('k', 'newer');
    slow.resolve('older');
    expect(await load).toBe('older');
    expect(await c.get('k')).toBe('newer');
  });

  it('keeps a set that replaced an expired value while its reload ran', async () => {
    const c = cache();
    await c.set('k', 'first');
    await suite.redis.set(`${prefix}:{k}`, (await suite.redis.get(`${prefix}:{k}`))!.replace(/^(bwc1\|[^|]*\|)\d+/, '$11'));
    const slow = deferred<string>();
    const load = c.getOrLoad('k', () => slow.promise);
    await loadsInProgress(c);
    await c.set('k', 'newer');
    slow.resolve('older');
    await load;
    expect(await c.get('k')).toBe('newer');
  });

  it('keeps a delete that finished while a slow load ran: the key stays a miss', async () => {
    const c = cache();
    await c.set('k', 'v1');
    await c.delete('k');
    const slow = deferred<string>();
    const load = c.getOrLoad('k', () => slow.promise);
    await loadsInProgress(c);
    await c.delete('k');
    slow.resolve('stale');
    expect(await load).toBe('stale');
    expect(await c.get('k')).toBeUndefined();
  });

  it('keeps the value of a newer load in another process', async () => {
    const here = cache();
    const there = new Cache({ redis: other, prefix, ttlMs: 60_000, lockWaitMs: 0, registry: false });
    const slow = deferred<string>();
    const load = here.getOrLoad('k', () => slow.promise);
    await loadsInProgress(here);
    expect(await there.getOrLoad('k', () => 'from the other process')).toBe('from the other process');
    slow.resolve('from this process');
    expect(await load).toBe('from this process');
    expect(await here.get('k')).toBe('from the other process');
  });

  it('starts a new load after a set or delete instead of joining the older one in progress', async () => {
    const c = cache();
    const slow = deferred<string>();
    const old = c.getOrLoad('k', () => slow.promise);
    await loadsInProgress(c);
    await c.delete('k');
    expect(await c.getOrLoad('k', () => 'after delete')).toBe('after delete');
    slow.resolve('before delete');
    await old;
    expect(await c.get('k')).toBe('after delete');
  });

  it('lets a load overwrite a deletion marker written before it began', async () => {
    const c = cache();
    await c.delete('k');
    expect(await c.getOrLoad('k', () => 'after marker')).toBe('after marker');
    expect(await c.get('k')).toBe('after marker');
  });
});
