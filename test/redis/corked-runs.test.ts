import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { describe, expect, inject, it, vi } from 'vitest';
import { RateLimiter } from '../../src/index';
import { Cache, guardRedis, RedisStore } from '../../src/redis/index';
import { connect, useSharedRedis } from './support';

const shared = useSharedRedis(inject('redisUrl'), 'corked');

/**
 * Runs `send` (which sends its commands in one synchronous run) on a fresh connection, and
 * returns how many writes reached its socket, whether the socket was corked right after `send`
 * returned and whether it is still corked once every reply came back.
 */
async function writesOf(send: (redis: Redis) => Promise<unknown>[]): Promise<{ writes: number; corkedInRun: boolean; corkedAfter: boolean }> {
  const redis = await connect(inject('redisUrl'));
  try {
    const socket = redis.stream as Socket;
    const write = vi.spyOn(socket, '_write');
    const writev = vi.spyOn(socket, '_writev');
    const replies = send(redis);
    const corkedInRun = socket.writableCorked > 0;
    await Promise.all(replies);
    return { writes: write.mock.calls.length + writev.mock.calls.length, corkedInRun, corkedAfter: socket.writableCorked > 0 };
  } finally {
    redis.disconnect();
  }
}

describe('commands sent in one synchronous run', () => {
  it('leave a guarded client in one socket write, with every reply right', async () => {
    await shared.redis.set(`${shared.prefix}:k`, 'v');
    const outcome = await writesOf((redis) => {
      const guarded = guardRedis(redis, { registry: false });
      return Array.from({ length: 20 }, async () => expect(await guarded.get(`${shared.prefix}:k`)).toBe('v'));
    });
    expect(outcome).toEqual({ writes: 1, corkedInRun: true, corkedAfter: false });
  });

  it('leave a Cache that does not batch its reads in one socket write, every hit right', async () => {
    const cache = new Cache({ redis: shared.redis, prefix: `${shared.prefix}:cache`, ttlMs: 60_000, registry: false });
    await cache.set('user:1', { name: 'Ada' });
    const outcome = await writesOf((redis) => {
      const unbatched = new Cache({ redis, prefix: `${shared.prefix}:cache`, ttlMs: 60_000, registry: false, batchReads: false });
      return Array.from({ length: 20 }, async () => expect(await unbatched.getOrLoad('user:1', () => ({ name: 'loaded' }))).toEqual({ name: 'Ada' }));
    });
    expect(outcome).toEqual({ writes: 1, corkedInRun: true, corkedAfter: false });
  });

  it('leave a RedisStore in one socket write, each decision counted', async () => {
    const outcome = await writesOf((redis) => {
      const limiter = new RateLimiter({
        registry: false,
        algorithm: 'token-bucket',
        rate: { tokens: 1, perMs: 1_000 },
        burst: 10,
        store: new RedisStore({ redis, prefix: shared.prefix }),
      });
      return Array.from({ length: 20 }, async (_, i) => expect((await limiter.consume('user')).allowed).toBe(i < 10));
    });
    expect(outcome).toEqual({ writes: 1, corkedInRun: true, corkedAfter: false });
  });
});
