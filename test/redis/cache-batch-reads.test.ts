import { Redis } from 'ioredis';
import { describe, expect, inject, it, vi } from 'vitest';
import { bus } from '../../src/index';
import { Cache } from '../../src/redis/index';
import { cacheSuite } from './cache-support';
import { uniquePrefix, useThrowAwayServer } from './support';

describe('Cache batchReads: the reads of one tick in one MGET', () => {
  const suite = cacheSuite('cache-batch');
  const { cache } = suite;

  it('sends 120 concurrent reads as one MGET by default: hits answered from it, each miss loaded once', async () => {
    const c = cache();
    const cached = Array.from({ length: 100 }, (_, i) => `hit:${i}`);
    const missing = Array.from({ length: 20 }, (_, i) => `miss:${i}`);
    await Promise.all(cached.map((key) => c.set(key, { key })));
    const mget = vi.spyOn(suite.redis, 'mget');
    const get = vi.spyOn(suite.redis, 'get');
    const loaded: string[] = [];
    const values = await Promise.all(
      [...cached, ...missing].map((key) =>
        c.getOrLoad(key, () => {
          loaded.push(key);
          return { key, loaded: true };
        }),
      ),
    );
    expect(values).toEqual([...cached.map((key) => ({ key })), ...missing.map((key) => ({ key, loaded: true }))]);
    expect(loaded.sort()).toEqual([...missing].sort());
    expect(mget).toHaveBeenCalledTimes(1);
    expect(mget.mock.calls[0]).toHaveLength(120);
    expect(get).not.toHaveBeenCalled();
    expect(c.stats()).toMatchObject({ hits: 100, misses: 20, degraded: 0 });
    expect(await Promise.all(missing.map((key) => c.get(key)))).toEqual(missing.map((key) => ({ key, loaded: true })));
    expect(mget).toHaveBeenCalledTimes(2);
  });

  it('batches reads made in the microtasks of one task too, and sends a read alone in its tick as a GET', async () => {
    const c = cache();
    await c.set('a', 1);
    await c.set('b', 2);
    const mget = vi.spyOn(suite.redis, 'mget');
    const get = vi.spyOn(suite.redis, 'get');
    const later = Promise.resolve().then(() => c.get('b'));
    expect(await Promise.all([c.get('a'), later])).toEqual([1, 2]);
    expect(mget).toHaveBeenCalledTimes(1);
    expect(await c.get('a')).toBe(1);
    expect(await c.getOrLoad('b', () => 0)).toBe(2);
    expect(get).toHaveBeenCalledTimes(2);
    expect(mget).toHaveBeenCalledTimes(1);
  });

  it('fails each read of a batch whose Redis call fails: degraded to the loader, or rejected under onRedisError: throw', async () => {
    // Never connected: every Redis call of the cache fails.
    const offline = new Redis(inject('redisUrl'), { lazyConnect: true, enableOfflineQueue: false });
    try {
      const degrading = cache({ redis: offline, batchReads: true });
      const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
      expect(await Promise.all(keys.map((key) => degrading.getOrLoad(key, () => `loaded:${key}`)))).toEqual(keys.map((key) => `loaded:${key}`));
      expect(degrading.stats()).toMatchObject({ degraded: 30, loads: 30, hits: 0 });

      const throwing = cache({ redis: offline, batchReads: true, onRedisError: 'throw' });
      const outcomes = await Promise.allSettled(keys.map((key) => throwing.get(key)));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(keys.map(() => 'rejected'));
    } finally {
      offline.disconnect();
    }
  });

  it('reads one at a time with a GET each with batchReads: false', async () => {
    const c = cache({ batchReads: false });
    await c.set('a', 1);
    const mget = vi.spyOn(suite.redis, 'mget');
    const get = vi.spyOn(suite.redis, 'get');
    expect(await Promise.all([c.get('a'), c.getOrLoad('a', () => 0)])).toEqual([1, 1]);
    expect(get).toHaveBeenCalledTimes(2);
    expect(mget).not.toHaveBeenCalled();
  });
});

describe('Cache reads on a stalled server (process paused, connection still ready)', () => {
  const fixture = useThrowAwayServer();

  it.each([true, false])(
    'counts each timed-out read for the default breaker, batched or not (batchReads: %s): one wave of 30 opens the circuit',
    async (batchReads) => {
      const c = new Cache({ redis: fixture.redis, prefix: uniquePrefix('stalled'), ttlMs: 60_000, registry: false, batchReads });
      const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
      const mget = vi.spyOn(fixture.redis, 'mget');
      process.kill(fixture.server.pid, 'SIGSTOP');
      try {
        const values = await Promise.all(keys.map((key) => c.getOrLoad(key, () => `loaded:${key}`)));
        expect(values).toEqual(keys.map((key) => `loaded:${key}`));
        expect(mget).toHaveBeenCalledTimes(batchReads ? 1 : 0);
        expect(c.health()).toMatchObject({ healthy: false, state: 'open' });
        expect(c.stats()).toMatchObject({ hits: 0, loads: 30 });
        expect(c.stats().degraded).toBeGreaterThanOrEqual(30);
      } finally {
        process.kill(fixture.server.pid, 'SIGCONT');
        mget.mockRestore();
      }
      expect(fixture.unhandled).toEqual([]);
    },
  );

  it('announces one timed-out batched MGET as one failure event, and still counts each of its 30 reads (a bus listener watching)', async () => {
    const c = new Cache({ redis: fixture.redis, prefix: uniquePrefix('stalled'), ttlMs: 60_000, registry: false });
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    const failures: unknown[] = [];
    using _ = bus.on('circuitBreaker:failure', (event) => {
      if (event.patternName === `${c.name}:redis`) failures.push(event.error);
    });
    process.kill(fixture.server.pid, 'SIGSTOP');
    try {
      await Promise.all(keys.map((key) => c.getOrLoad(key, () => `loaded:${key}`)));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ name: 'OperationTimeoutError' });
      expect(c.health()).toMatchObject({ healthy: false, state: 'open' });
    } finally {
      process.kill(fixture.server.pid, 'SIGCONT');
    }
    expect(fixture.unhandled).toEqual([]);
  });
});
