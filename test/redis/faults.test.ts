import type { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter, type RateLimitAlgorithm, type RateLimiterOptions, type RateLimitRule } from '../../src/rate-limiter/index';
import { RedisStore, RedisStoreError } from '../../src/redis/index';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server';
import { connect, sleep, useThrowAwayServer } from './support';

const rule: RateLimitRule = { algorithm: 'sliding-log', windows: [{ limit: 5, windowMs: 10_000 }] };

/** Resolves to the rejection of `promise`, or undefined if it fulfils. */
function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('RedisStore on a throw-away server', () => {
  let server: RedisServerHandle;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = await connect(server.url);
  });

  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('loads its script again by itself after SCRIPT FLUSH, keeping the counts', async () => {
    const store = new RedisStore({ redis, prefix: 'flush', timeoutMs: 2_000 });
    expect((await store.consume('k', 3, rule)).remaining).toBe(2);
    await redis.script('FLUSH');
    expect(await store.consume('k', 1, rule)).toMatchObject({ allowed: true, remaining: 1 });
    await redis.script('FLUSH');
    const all = await Promise.all(Array.from({ length: 5 }, () => store.consume('k', 1, rule)));
    expect(all.filter((result) => result.allowed)).toHaveLength(1);
  });

  it('loads its scripts again after SCRIPT FLUSH on ioredis 5 too', async () => {
    const redis5 = new Redis5(server.url, { enableOfflineQueue: false, lazyConnect: true });
    await redis5.connect();
    try {
      const store = new RedisStore({ redis: redis5 as never, prefix: 'flush-5', timeoutMs: 2_000 });
      const windows: RateLimitRule = { algorithm: 'sliding-window', windows: [{ limit: 3, windowMs: 10_000 }] };
      expect((await store.consume('k', 1, windows)).remaining).toBe(2);
      await redis5.script('FLUSH');
      expect((await store.consume('k', 1, windows)).remaining).toBe(1);
    } finally {
      redis5.disconnect();
    }
  });

  it('stays exact when SCRIPT FLUSH lands between concurrent decisions', async () => {
    const store = new RedisStore({ redis, prefix: 'flush-mid', timeoutMs: 2_000 });
    const wide: RateLimitRule = { algorithm: 'sliding-log', windows: [{ limit: 100, windowMs: 10_000 }] };
    const first = Array.from({ length: 100 }, () => store.consume('k', 1, wide));
    const flushed = redis.script('FLUSH');
    const second = Array.from({ length: 100 }, () => store.consume('k', 1, wide));
    await flushed;
    const results = await Promise.all([...first, ...second]);
    expect(results.filter((result) => result.allowed)).toHaveLength(100);
  });

  it('fails a decision after timeoutMs when Redis does not answer', async () => {
    const store = new RedisStore({ redis, prefix: 'slow', timeoutMs: 50 });
    await store.consume('k', 1, rule);
    await redis.call('CLIENT', 'PAUSE', '300', 'ALL');
    const started = Date.now();
    const failure = await failureOf(store.consume('k', 1, rule));
    expect(Date.now() - started).toBeLessThan(50 + 40);
    expect(failure).toBeInstanceOf(RedisStoreError);
    expect((failure as Error).message).toMatch(/within 50 ms/);
    await sleep(350);
    expect((await store.consume('k', 1, rule)).allowed).toBe(true);
  });
});

describe('RedisStore on a stalled server (process paused, connection still ready)', () => {
  it('keeps at most maxPending decisions outstanding and fails the rest at once; the timed-out ones count when Redis resumes', async () => {
    const server = await startRedisServer();
    const redis = await connect(server.url);
    let paused = false;
    try {
      const store = new RedisStore({ redis, prefix: 'stalled', timeoutMs: 50, maxPending: 20 });
      const wide: RateLimitRule = { algorithm: 'sliding-log', windows: [{ limit: 1_000, windowMs: 60_000 }] };
      await store.consume('k', 1, wide);
      process.kill(server.pid, 'SIGSTOP');
      paused = true;
      const sent = Array.from({ length: 20 }, () => failureOf(store.consume('k', 1, wide)));
      const started = Date.now();
      const refused = await Promise.all(Array.from({ length: 200 }, () => failureOf(store.consume('k', 1, wide))));
      expect(Date.now() - started).toBeLessThan(50);
      for (const failure of refused) {
        expect(failure).toBeInstanceOf(RedisStoreError);
        expect((failure as Error).message).toMatch(/20 decisions are outstanding already \(maxPending: 20\)/);
      }
      for (const failure of await Promise.all(sent)) expect((failure as Error).message).toMatch(/did not answer within 50 ms/);
      // Timed out, yet still in ioredis's command queue, and still counted against maxPending.
      expect(redis.status).toBe('ready');
      expect(store.pending).toBe(20);
      expect((await failureOf(store.consume('k', 1, wide))) as Error).toBeInstanceOf(RedisStoreError);

      process.kill(server.pid, 'SIGCONT');
      paused = false;
      for (let i = 0; i < 100 && store.pending > 0; i++) await sleep(10);
      expect(store.pending).toBe(0);
      // The 20 decisions that timed out were run when Redis resumed: 1 + 20 units, then this one.
      expect(await store.consume('k', 1, wide)).toMatchObject({ allowed: true, remaining: 1_000 - 22 });
    } finally {
      if (paused) process.kill(server.pid, 'SIGCONT');
      redis.disconnect();
      await server.stop();
    }
  });
});

/** `limit` per 10 s: a sliding log, or a bucket of `limit` refilling `limit` tokens per 10 s. */
const limitOf = (algorithm: RateLimitAlgorithm, limit: number): RateLimiterOptions =>
  algorithm === 'token-bucket'
    ? { algorithm, rate: { tokens: limit, perMs: 10_000 }, burst: limit }
    : { algorithm, limit, windowMs: 10_000 };

for (const algorithm of ['sliding-log', 'token-bucket'] as const) {
  describe(`RedisStore when the server is gone (${algorithm})`, () => {
    const fixture = useThrowAwayServer();

    it(`waits at most timeoutMs while not ready, and each onStoreError policy (allow, deny, fallback) answers within timeoutMs (${algorithm})`, async () => {
      const { server, redis, unhandled } = fixture;
      const store = new RedisStore({ redis, prefix: 'gone', timeoutMs: 100 });
      const allow = new RateLimiter({ ...limitOf(algorithm, 1), store, onStoreError: 'allow' });
      const deny = new RateLimiter({ ...limitOf(algorithm, 1), store, onStoreError: 'deny' });
      const fallback = new RateLimiter({ ...limitOf(algorithm, 4), store, onStoreError: 'fallback', expectedInstances: 2 });
      const limiters = [allow, deny, fallback];
      expect((await allow.consume('k')).allowed).toBe(true);
      expect((await allow.consume('k')).allowed).toBe(false);

      // Load in flight while the server is killed: every call still answers within timeoutMs + a margin.
      let loading = true;
      const slowest: number[] = [];
      const load = Array.from({ length: 21 }, async (_, i) => {
        while (loading) {
          const started = Date.now();
          await (limiters[i % 3] as RateLimiter).consume(`load-${i}`);
          slowest.push(Date.now() - started);
          await sleep(1);
        }
      });
      await sleep(30);
      await server.stop({ kill: true });
      for (let i = 0; i < 50 && redis.status === 'ready'; i++) await sleep(10);
      expect(redis.status).not.toBe('ready');
      await sleep(30);
      loading = false;
      await Promise.all(load);
      expect(Math.max(...slowest)).toBeLessThan(100 + 50);

      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 21 }, (_, i) => (limiters[i % 3] as RateLimiter).consume('k')));
      expect(Date.now() - started).toBeLessThan(100 + 50);
      const allowedBy = (policy: number): boolean[] => answers.filter((_, i) => i % 3 === policy).map((answer) => answer.allowed);
      expect(allowedBy(0).every(Boolean)).toBe(true);
      expect(allowedBy(1).some(Boolean)).toBe(false);
      // The fallback decides locally with limit / expectedInstances = 2 per window.
      expect(allowedBy(2)).toEqual([true, true, false, false, false, false, false]);
      await expect(deny.execute(() => 'ran', { key: 'k' })).rejects.toMatchObject({ name: 'RateLimitError' });
      expect(await allow.execute(() => 'ran', { key: 'k' })).toBe('ran');
      const failure = await failureOf(store.consume('k', 1, rule));
      expect(failure).toBeInstanceOf(RedisStoreError);
      expect((failure as Error).message).toMatch(/did not become ready within 100 ms/);
      await sleep(20);
      expect(unhandled).toEqual([]);
    });
  });
}

describe('RedisStore when the server restarts', () => {
  it('decides with the fallback while it is down, and shares decisions again once it is back', async () => {
    let server = await startRedisServer();
    const port = server.port;
    const [one, two] = [await connect(server.url), await connect(server.url)];
    for (const connection of [one, two]) connection.on('error', () => {});
    try {
      const make = (redis: Redis): RateLimiter =>
        new RateLimiter({
          name: 'restart-api',
          registry: false,
          limit: 4,
          windowMs: 10_000,
          store: new RedisStore({ redis, prefix: 'restart', timeoutMs: 200 }),
          onStoreError: 'fallback',
          expectedInstances: 2,
        });
      const [a, b] = [make(one), make(two)];
      expect((await a.consume('k')).allowed).toBe(true);

      await server.stop();
      for (let i = 0; i < 50 && one.status === 'ready'; i++) await sleep(10);
      // Each process enforces its share: 4 / 2 = 2 locally.
      const local = [await a.consume('k'), await a.consume('k'), await a.consume('k')];
      expect(local.map((answer) => answer.allowed)).toEqual([true, true, false]);
      expect(a.stats()).toMatchObject({ storeFailing: true });

      server = await startRedisServer({ port });
      for (let i = 0; i < 200 && (one.status !== 'ready' || two.status !== 'ready'); i++) await sleep(10);
      expect([one.status, two.status]).toEqual(['ready', 'ready']);
      // A fresh server: the counts start afresh, and both processes share them again.
      const shared = [await a.consume('k'), await b.consume('k'), await a.consume('k'), await b.consume('k'), await a.consume('k')];
      expect(shared.map((answer) => answer.allowed)).toEqual([true, true, true, true, false]);
      expect(a.stats()).toMatchObject({ storeFailing: false });
    } finally {
      one.disconnect();
      two.disconnect();
      await server.stop();
    }
  });
});
