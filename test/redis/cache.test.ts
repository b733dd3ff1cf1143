import { Redis as Redis5 } from 'ioredis5';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { ExecutionContext } from '../../src/core/policy';
import { Cache } from '../../src/redis/index';
import { deferred, settled } from '../support/async';
import { ManualClock } from '../support/manual-clock';
import { keysUnder } from './support';
import { cacheSuite, loadsInProgress, missesCounted } from './cache-support';

describe.each([
  { mode: 'reads of a tick batched (the default)', batchReads: true },
  { mode: 'one GET per read (batchReads: false)', batchReads: false },
])('Cache get, set, delete and getOrLoad, $mode', ({ batchReads }) => {
  const suite = cacheSuite(`cache-${String(batchReads)}`, { batchReads });
  const { prefix } = suite;
  const { cache } = suite;


  it('answers a miss with undefined, then what set stored, then a miss after delete', async () => {
    const c = cache();
    expect(await c.get('k')).toBeUndefined();
    expect(await c.set('k', { a: 1 })).toBe(true);
    expect(await c.get('k')).toEqual({ a: 1 });
    expect(await c.delete('k')).toBe(true);
    expect(await c.get('k')).toBeUndefined();
    expect(c.stats()).toMatchObject({ hits: 1, misses: 2, hitRatio: 1 / 3 });
  });

  it('treats a value past its fresh time as a miss, by the injected clock', async () => {
    const clock = new ManualClock(Date.now());
    const c = cache({ clock, jitter: 0, ttlMs: 1_000 });
    await c.set('k', 'v');
    await clock.advance(999);
    expect(await c.get('k')).toBe('v');
    await clock.advance(1);
    expect(await c.get('k')).toBeUndefined();
    expect(await c.getOrLoad('k', () => 'reloaded')).toBe('reloaded');
  });

  it('loads on a miss, writes the value, and answers later calls from Redis without the loader', async () => {
    const c = cache();
    const calls: (string | undefined)[] = [];
    const loader = (ctx: ExecutionContext): string => {
      calls.push(ctx.key);
      return `value of ${ctx.key}`;
    };
    expect(await c.getOrLoad('user:1', loader)).toBe('value of user:1');
    expect(await c.getOrLoad('user:1', loader)).toBe('value of user:1');
    expect(await new Cache({ redis: suite.redis, prefix, ttlMs: 1, registry: false, batchReads }).get('user:1')).toBe('value of user:1');
    expect(calls).toEqual(['user:1']);
    expect(c.stats()).toMatchObject({ hits: 1, misses: 1, loads: 1, loading: 0 });
  });

  it('calls the loader once for 200 concurrent misses of one key, and every caller gets its value', async () => {
    const c = cache();
    const gate = deferred<string>();
    let loads = 0;
    const calls = Array.from({ length: 200 }, () =>
      c.getOrLoad('cold', () => {
        loads++;
        return gate.promise;
      }),
    );
    await missesCounted(c, 200);
    gate.resolve('warm');
    expect(new Set(await Promise.all(calls))).toEqual(new Set(['warm']));
    expect(loads).toBe(1);
    expect(await c.get('cold')).toBe('warm');
  });

  it('never caches a rejected load: every waiting caller rejects, the next call loads again', async () => {
    const c = cache();
    const gate = deferred<string>();
    let loads = 0;
    const failing = Array.from({ length: 20 }, () =>
      settled(
        c.getOrLoad('k', () => {
          loads++;
          return gate.promise;
        }),
      ),
    );
    await missesCounted(c, 20);
    const boom = new Error('database down');
    gate.reject(boom);
    for (const outcome of await Promise.all(failing)) expect(outcome).toEqual({ ok: false, error: boom });
    expect(await keysUnder(suite.redis, prefix)).toEqual([]);
    expect(await c.getOrLoad('k', () => 'recovered')).toBe('recovered');
    expect(loads).toBe(1);
    expect(c.stats()).toMatchObject({ loads: 2, loadErrors: 1, loading: 0 });
  });

  it('returns a loaded undefined without caching it', async () => {
    const c = cache();
    let loads = 0;
    const loader = (): undefined => {
      loads++;
      return undefined;
    };
    expect(await c.getOrLoad('missing', loader)).toBeUndefined();
    expect(await c.getOrLoad('missing', loader)).toBeUndefined();
    expect(loads).toBe(2);
    expect(await keysUnder(suite.redis, prefix)).toEqual([]);
  });

  it('lets a load that hangs hold its key for loadTimeoutMs only, aborts its signal, and never writes its late result', async () => {
    const clock = new ManualClock(Date.now());
    const c = cache({ clock, loadTimeoutMs: 5_000 });
    const hung = deferred<string>();
    let hungSignal: AbortSignal | undefined;
    const first = c.getOrLoad('k', (ctx) => {
      hungSignal = ctx.signal;
      return hung.promise;
    });
    await loadsInProgress(c);
    await clock.advance(5_000);
    expect(hungSignal?.aborted).toBe(true);
    expect(c.stats().loading).toBe(0);

    const second = deferred<string>();
    let loads = 0;
    const next = c.getOrLoad('k', () => {
      loads++;
      return second.promise;
    });
    await loadsInProgress(c);
    hung.resolve('late');
    expect(await first).toBe('late');
    // The abandoned load, settling, must not remove the newer load from the map.
    const joined = c.getOrLoad('k', () => {
      loads++;
      return 'third';
    });
    second.resolve('fresh');
    expect(await next).toBe('fresh');
    expect(await joined).toBe('fresh');
    expect(loads).toBe(1);
    expect(await c.get('k')).toBe('fresh');
  });

  it('rejects an aborted caller at once with its reason, while the load goes on for the others and is written', async () => {
    const c = cache();
    const gate = deferred<string>();
    const controller = new AbortController();
    const leaving = c.getOrLoad('k', () => gate.promise, { signal: controller.signal });
    const staying = c.getOrLoad('k', () => 'unused');
    await loadsInProgress(c);
    controller.abort(new Error('caller left'));
    await expect(leaving).rejects.toThrow('caller left');
    gate.resolve('loaded');
    expect(await staying).toBe('loaded');
    expect(await c.get('k')).toBe('loaded');
    await expect(c.getOrLoad('k', () => 'x', { signal: AbortSignal.abort(new Error('already')) })).rejects.toThrow('already');
  });

  it('writes with the per-call ttlMs of set and getOrLoad', async () => {
    const c = cache({ jitter: 0 });
    await c.set('a', 1, { ttlMs: 3_000 });
    await c.getOrLoad('b', () => 2, { ttlMs: 4_000 });
    const [a, b] = await Promise.all([suite.redis.pttl(`${prefix}:{a}`), suite.redis.pttl(`${prefix}:{b}`)]);
    expect(a).toBeGreaterThan(2_000);
    expect(a).toBeLessThanOrEqual(3_000);
    expect(b).toBeGreaterThan(3_000);
    expect(b).toBeLessThanOrEqual(4_000);
    await expect(c.set('c', 1, { ttlMs: 0 })).rejects.toThrow(RangeError);
  });

  it('rejects a key that is not a string', async () => {
    const c = cache();
    await expect(c.get(1 as never)).rejects.toThrow(TypeError);
    await expect(c.set(null as never, 1)).rejects.toThrow(TypeError);
    await expect(c.delete({} as never)).rejects.toThrow(TypeError);
    await expect(c.getOrLoad(undefined as never, () => 1)).rejects.toThrow(TypeError);
  });

  it('works the same on an ioredis 5 connection', async () => {
    const redis5 = new Redis5(inject('redisUrl'), { enableOfflineQueue: false, lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis5.connect();
    try {
      const c = new Cache({ redis: redis5 as never, prefix, ttlMs: 60_000, registry: false, batchReads });
      const slow = deferred<string>();
      const load = c.getOrLoad('k', () => slow.promise);
      await loadsInProgress(c);
      await c.set('k', 'newer');
      slow.resolve('older');
      expect(await load).toBe('older');
      expect(await c.get('k')).toBe('newer');
      expect(await c.getOrLoad('k', () => 'unused')).toBe('newer');
      await c.delete('k');
      expect(await c.getOrLoad('k', () => 'reloaded')).toBe('reloaded');
    } finally {
      await redis5.quit();
    }
  });
});
