import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { RateLimiter, type RateLimitRule } from '../../src/rate-limiter/index';
import { RedisStore, RedisStoreError } from '../../src/redis/index';
import { findFreePort, LOCALHOST, startRedisServer } from '../support/redis-server';
import { connect, sleep, useSharedRedis } from './support';

const rule: RateLimitRule = { algorithm: 'sliding-log', windows: [{ limit: 1, windowMs: 10_000 }] };
const shared = useSharedRedis(inject('redisUrl'), 'connecting');
const prefix = shared.prefix;

/** Resolves to the rejection of `promise`, or undefined if it fulfils. */
function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** A limiter on a RedisStore over `redis`, counting under this file's prefix. */
function limiterOn(redis: Redis, name: string, limit: number, timeoutMs = 2_000): RateLimiter {
  return new RateLimiter({ name, registry: false, limit, windowMs: 10_000, store: new RedisStore({ redis, prefix, timeoutMs }) });
}

describe('RedisStore on a connection that is still connecting', () => {
  it('decides in Redis what is asked before the connection is ready: 1 of 2 concurrent calls at limit 1', async () => {
    // What a service does at start-up: a client with ioredis's defaults (offline queue on), used at once.
    const redis = new Redis(inject('redisUrl'));
    try {
      const limiter = limiterOn(redis, 'at-start-2', 1);
      expect(redis.status).not.toBe('ready');
      const answers = await Promise.all([limiter.consume('k'), limiter.consume('k')]);
      expect(answers.filter((answer) => answer.allowed)).toHaveLength(1);
      expect(limiter.stats()).toMatchObject({ admitted: 1, rejected: 1, storeErrors: 0 });
    } finally {
      redis.disconnect();
    }
  });

  it('admits exactly 50 of 200 concurrent calls at limit 50, and leaves nothing queued to count twice', async () => {
    const redis = new Redis(inject('redisUrl'));
    try {
      const limiter = limiterOn(redis, 'at-start-200', 50);
      expect(redis.status).not.toBe('ready');
      const answers = await Promise.all(Array.from({ length: 200 }, () => limiter.consume('hot')));
      expect(answers.filter((answer) => answer.allowed)).toHaveLength(50);
      expect(limiter.stats()).toMatchObject({ admitted: 50, rejected: 150, storeErrors: 0 });
      const [key] = new RedisStore({ redis, prefix }).keysFor('hot', limiter.rule);
      await sleep(50);
      expect(await shared.redis.zcard(key as string)).toBe(50);
      expect(redis.listenerCount('end')).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  it('waits at most timeoutMs for a connection that does not come, then fails and stops listening', async () => {
    const port = await findFreePort();
    const redis = new Redis({ host: LOCALHOST, port, enableOfflineQueue: false, retryStrategy: () => 20 });
    redis.on('error', () => {});
    try {
      const store = new RedisStore({ redis, prefix, timeoutMs: 80 });
      const started = Date.now();
      const failures = await Promise.all(Array.from({ length: 30 }, () => failureOf(store.consume('k', 1, rule))));
      const tookMs = Date.now() - started;
      expect(tookMs).toBeGreaterThanOrEqual(78);
      expect(tookMs).toBeLessThan(80 + 80);
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(RedisStoreError);
        expect((failure as Error).message).toMatch(/did not become ready within 80 ms \(status: (re)?connecting\)/);
      }
      expect(store.pending).toBe(0);
      // The store listens for 'ready' and 'end' only while a decision waits (ioredis itself never listens for 'end').
      expect(redis.listenerCount('end')).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  it('fails at once on a connection closed for good, or one that nothing connects (lazyConnect)', async () => {
    const closed = await connect(inject('redisUrl'));
    const ended = new Promise((resolve) => closed.once('end', resolve));
    closed.disconnect();
    await ended;
    const lazy = new Redis(inject('redisUrl'), { lazyConnect: true });
    const started = Date.now();
    const [closedFailure, lazyFailure] = await Promise.all([
      failureOf(new RedisStore({ redis: closed, prefix, timeoutMs: 5_000 }).consume('k', 1, rule)),
      failureOf(new RedisStore({ redis: lazy, prefix, timeoutMs: 5_000 }).consume('k', 1, rule)),
    ]);
    expect(Date.now() - started).toBeLessThan(100);
    expect((closedFailure as Error).message).toMatch(/closed for good \(status: end\)/);
    expect((lazyFailure as Error).message).toMatch(/lazyConnect and connect\(\) not called/);
    expect(lazy.status).toBe('wait');
  });

  it('waits through a reconnect, so that calls made while Redis restarts are decided by Redis', async () => {
    let server = await startRedisServer();
    const redis = await connect(server.url);
    redis.on('error', () => {});
    try {
      const limiter = limiterOn(redis, 'reconnect', 3, 5_000);
      expect((await limiter.consume('warm-up')).allowed).toBe(true);
      await server.stop({ kill: true });
      for (let i = 0; i < 100 && redis.status === 'ready'; i++) await sleep(10);
      expect(redis.status).not.toBe('ready');
      const answers = Array.from({ length: 10 }, () => limiter.consume('k'));
      server = await startRedisServer({ port: server.port });
      const allowed = (await Promise.all(answers)).filter((answer) => answer.allowed);
      expect(allowed).toHaveLength(3);
      expect(limiter.stats()).toMatchObject({ storeErrors: 0, storeFailing: false });
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });
});
