import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RateLimitRule } from '../../src/rate-limiter/index';
import { RedisStore } from '../../src/redis/index';
import { connect, deleteUnder, uniquePrefix } from './support';

let redis: Redis;
let other: Redis;
const prefix = uniquePrefix('concurrency');

beforeAll(async () => {
  redis = await connect(inject('redisUrl'));
  other = await connect(inject('redisUrl'));
});

afterAll(async () => {
  await deleteUnder(redis, prefix);
  redis.disconnect();
  other.disconnect();
});

describe('RedisStore under real concurrency', () => {
  it('admits exactly limit of 200 concurrent consume() calls on one key within one window', async () => {
    const store = new RedisStore({ redis, prefix, namespace: 'burst', timeoutMs: 5_000 });
    const rule: RateLimitRule = { algorithm: 'sliding-log', windows: [{ limit: 50, windowMs: 30_000 }] };
    const results = await Promise.all(Array.from({ length: 200 }, () => store.consume('hot', 1, rule)));
    expect(results.filter((result) => result.allowed)).toHaveLength(50);
    expect(new Set(results.filter((result) => result.allowed).map((result) => result.remaining)).size).toBe(50);
  });

  it('never admits more than limit in any window of windowMs by server time, with 200 consumers on two connections', async () => {
    const limit = 20;
    const windowMs = 100;
    // The second, generous window keeps every admitted unit with its server time (µs) as the score.
    const rule: RateLimitRule = {
      algorithm: 'sliding-log',
      windows: [
        { limit, windowMs },
        { limit: 1_000_000, windowMs: 60_000 },
      ],
    };
    const stores = [redis, other].map((connection) => new RedisStore({ redis: connection, prefix, namespace: 'hammer', timeoutMs: 5_000 }));
    const until = Date.now() + 600;
    let admitted = 0;
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const store = stores[i % 2] as RedisStore;
        while (Date.now() < until) {
          if ((await store.consume('hot', 1, rule)).allowed) admitted++;
        }
      }),
    );
    const logKey = (stores[0] as RedisStore).keysFor('hot', rule)[1] as string;
    const scored = await redis.zrange(logKey, '0', '-1', 'WITHSCORES');
    const times = scored.filter((_, index) => index % 2 === 1).map((score) => Number(score) / 1_000); // µs → ms
    expect(times).toHaveLength(admitted);
    for (let i = 0; i + limit < times.length; i++) {
      expect((times[i + limit] as number) - (times[i] as number)).toBeGreaterThanOrEqual(windowMs);
    }
    // No over-rejection: at least most of what ~600 ms of 100 ms windows allow was admitted.
    expect(admitted).toBeGreaterThanOrEqual(limit * 4);
  });
});
