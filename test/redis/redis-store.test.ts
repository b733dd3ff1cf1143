import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, isBulwarkError } from '../../src/core/errors';
import { RateLimiter, type RateLimitRule } from '../../src/rate-limiter/index';
import { REDIS_STORE_DEFAULTS, RedisStore, RedisStoreError } from '../../src/redis/index';
import { connect, deleteUnder, keysUnder, uniquePrefix } from './support';

let redis: Redis;
const prefixes: string[] = [];

/** A prefix for one test, deleted after the file. */
function prefixFor(label: string): string {
  const prefix = uniquePrefix(label);
  prefixes.push(prefix);
  return prefix;
}

beforeAll(async () => {
  redis = await connect(inject('redisUrl'));
});

afterAll(async () => {
  for (const prefix of prefixes) await deleteUnder(redis, prefix);
  redis.disconnect();
});

const rule = (algorithm: RateLimitRule['algorithm'], ...windows: [number, number][]): RateLimitRule => ({
  algorithm,
  windows: windows.map(([limit, windowMs]) => ({ limit, windowMs })),
});

describe('RedisStore options', () => {
  it('rejects unknown keys, wrong types, a braced prefix, an empty namespace and a non-positive timeout, naming each field', () => {
    const bad = { redis, prefix: 'a{b}', namespace: '', timeoutMs: 0, timeSource: 'moon', extra: 1 };
    expect(() => new RedisStore(bad as never)).toThrow(ConfigError);
    try {
      new RedisStore(bad as never);
    } catch (error) {
      const fields = (error as ConfigError).issues.map((issue) => issue.path).sort();
      expect(fields).toEqual(['extra', 'namespace', 'prefix', 'timeSource', 'timeoutMs']);
    }
  });

  it('refuses a timeoutMs beyond the longest timer delay (Node would fire it after 1 ms) and a maxPending that is not an integer ≥ 1', () => {
    for (const timeoutMs of [3e9, 2 ** 31, Infinity]) {
      expect(() => new RedisStore({ redis, timeoutMs })).toThrow(/timeoutMs: (must be ≤ 2147483647|.*received Infinity)/);
    }
    expect(new RedisStore({ redis, timeoutMs: 2 ** 31 - 1 }).timeoutMs).toBe(2 ** 31 - 1);
    for (const maxPending of [0, 1.5, -1, Number.NaN]) {
      expect(() => new RedisStore({ redis, maxPending })).toThrow(/maxPending: (must be an integer ≥ 1|.*received NaN)/);
    }
  });

  it('refuses the key segment under its old option name, name, with a ConfigError', () => {
    let caught: unknown;
    try {
      new RedisStore({ redis, name: 'api' } as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues).toEqual([expect.objectContaining({ path: 'name' })]);
    expect((caught as ConfigError).message).toMatch(/name: unknown option/);
  });

  it('requires an ioredis connection', () => {
    expect(() => new RedisStore({} as never)).toThrow(/redis/);
    expect(() => new RedisStore({ redis: {} } as never)).toThrow(/ioredis/);
  });

  it('applies the documented defaults', () => {
    const store = new RedisStore({ redis });
    expect(store).toMatchObject({ prefix: 'bulwark:rl', namespace: undefined, timeoutMs: 100, maxPending: 1_000, timeSource: 'server' });
    expect(REDIS_STORE_DEFAULTS).toEqual({ prefix: 'bulwark:rl', namespace: 'default', timeoutMs: 100, maxPending: 1_000, timeSource: 'server' });
    expect(store.keysFor('u', { name: 'api', algorithm: 'sliding-log', windows: [{ limit: 1, windowMs: 10 }] })[0]).toMatch(
      /^bulwark:rl:api:\{u\}/,
    );
    expect(store.keysFor('u', { algorithm: 'sliding-log', windows: [{ limit: 1, windowMs: 10 }] })[0]).toMatch(
      /^bulwark:rl:default:\{u\}/,
    );
  });
});

describe('RedisStore keys', () => {
  it('names keys prefix:namespace:{userKey}:windowMs:algorithm, all in one hash tag', () => {
    const store = new RedisStore({ redis, prefix: 'p', namespace: 'api' });
    expect(store.keysFor('user-1', rule('sliding-log', [10, 1_000], [100, 60_000]))).toEqual([
      'p:api:{user-1}:1000:log',
      'p:api:{user-1}:60000:log',
    ]);
    expect(store.keysFor('user-1', rule('sliding-window', [10, 1_000]))).toEqual(['p:api:{user-1}:1000:sw']);
  });

  it('hashes user keys longer than 128 bytes, keys holding } and the empty key with sha256, in a namespace of their own', async () => {
    const prefix = prefixFor('long');
    const store = new RedisStore({ redis, prefix });
    const long = 'é'.repeat(65); // 130 bytes
    const hex = (text: string): string => createHash('sha256').update(text).digest('hex');
    const one = rule('sliding-log', [1, 1_000]);
    expect(store.keysFor(long, one)).toEqual([`${prefix}:default:#{${hex(long)}}:1000:log`]);
    expect(store.keysFor('x'.repeat(128), one)).toEqual([`${prefix}:default:{${'x'.repeat(128)}}:1000:log`]);
    expect(store.keysFor('}a', one)).toEqual([`${prefix}:default:#{${hex('}a')}}:1000:log`]);
    expect(store.keysFor('', one)).toEqual([`${prefix}:default:#{${hex('')}}:1000:log`]);
    expect(store.keysFor('{a', one)).toEqual([`${prefix}:default:{{a}:1000:log`]);
    await store.consume(long, 1, one);
    expect(await keysUnder(redis, prefix)).toEqual([`${prefix}:default:#{${hex(long)}}:1000:log`]);
  });

  it('never lets a user key equal to the sha256 of another share its counter', async () => {
    const prefix = prefixFor('collision');
    const store = new RedisStore({ redis, prefix, timeoutMs: 1_000 });
    const limiter = new RateLimiter({ name: 'collide', registry: false, limit: 1, windowMs: 10_000, store });
    const long = 'k'.repeat(200);
    for (const hashed of [long, 'a}b', '']) {
      const lookalike = createHash('sha256').update(hashed).digest('hex');
      expect((await limiter.consume(hashed)).allowed).toBe(true);
      expect((await limiter.consume(lookalike)).allowed).toBe(true);
      expect((await limiter.consume(hashed)).allowed).toBe(false);
      expect((await limiter.consume(lookalike)).allowed).toBe(false);
    }
    expect(limiter.stats()).toMatchObject({ admitted: 6, rejected: 6, storeErrors: 0 });
  });

  it('gives every key it writes a TTL of at least its window, for both algorithms', async () => {
    const prefix = prefixFor('ttl');
    const store = new RedisStore({ redis, prefix });
    for (const algorithm of ['sliding-log', 'sliding-window'] as const) {
      const windows = rule(algorithm, [5, 2_000], [50, 30_000]);
      for (let i = 0; i < 8; i++) await store.consume(`user-${i % 3}`, 1, windows);
    }
    const keys = await keysUnder(redis, prefix);
    expect(keys).toHaveLength(12);
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      const windowMs = Number(key.split(':').at(-2));
      expect(ttl).toBeGreaterThan(windowMs - 1_000);
      expect(ttl).toBeLessThanOrEqual(2 * windowMs);
    }
  });

  it('decides windows of a fractional windowMs, with a TTL rounded up to whole ms', async () => {
    const prefix = prefixFor('fraction');
    const store = new RedisStore({ redis, prefix });
    for (const algorithm of ['sliding-log', 'sliding-window', 'token-bucket'] as const) {
      const windows = rule(algorithm, [2, 1_500.5]);
      expect((await store.consume('k', 1, windows)).allowed).toBe(true);
      expect((await store.consume('k', 1, windows)).allowed).toBe(true);
      expect(await store.consume('k', 1, windows)).toMatchObject({ allowed: false, limit: 2, remaining: 0 });
      const ttl = await redis.pttl(store.keysFor('k', windows)[0] as string);
      expect(ttl).toBeGreaterThan(1_000);
      expect(ttl).toBeLessThanOrEqual(3_001);
    }
  });

  it("gives a bucket's key a TTL until the bucket is full again, writes nothing when refusing, and leaves none once full", async () => {
    const prefix = prefixFor('bucket-ttl');
    const store = new RedisStore({ redis, prefix });
    const slow = rule('token-bucket', [10, 10_000]); // a token a second
    await store.consume('k', 3, slow);
    const [key] = store.keysFor('k', slow) as [string];
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(2_900);
    expect(ttl).toBeLessThanOrEqual(3_000);
    const before = await redis.dump(key);
    const refused = await store.consume('k', 8, slow);
    expect(await redis.dump(key)).toEqual(before);
    expect(refused).toMatchObject({ allowed: false, remaining: 7 });
    expect(refused.retryAfterMs).toBeGreaterThan(950);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000);
    expect(Math.abs(refused.resetMs - ttl)).toBeLessThanOrEqual(5);
    expect(await redis.pttl(key)).toBeLessThanOrEqual(ttl);
    const fast = rule('token-bucket', [4, 40]);
    await store.consume('k', 4, fast);
    expect(await redis.pttl(store.keysFor('k', fast)[0] as string)).toBeLessThanOrEqual(40);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await keysUnder(redis, prefix)).toEqual([key]);
  });

  it('reports which of two buckets of one size refused, and the limiter names that bucket by its rate', async () => {
    const store = new RedisStore({ redis, prefix: prefixFor('bucket-index') });
    const limiter = new RateLimiter({
      registry: false,
      store,
      name: 'api',
      limits: [{ rate: { tokens: 1, perMs: 100 }, burst: 2 }, { rate: { tokens: 1, perMs: 60_000 }, burst: 2 }],
    });
    expect(await limiter.consume('k', 2)).toMatchObject({ allowed: true, limit: 2, remaining: 0 });
    expect(await limiter.consume('k')).toMatchObject({ allowed: false, limit: 2, windowIndex: 1 });
    const error = await limiter.execute(() => 'ok', { key: 'k' }).catch((caught: unknown) => caught);
    expect(isBulwarkError(error) && error.message).toBe('Rate limiter "api" allows bursts of up to 2, refilled at 1 per 60000 ms: the call was not made');
  });

  it('leaves no key behind once the window has passed', async () => {
    const prefix = prefixFor('expire');
    const store = new RedisStore({ redis, prefix });
    await store.consume('a', 1, rule('sliding-log', [5, 50]));
    await store.consume('a', 1, rule('sliding-window', [5, 50]));
    await store.consume('a', 5, rule('token-bucket', [5, 50]));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await keysUnder(redis, prefix)).toEqual([]);
  });
});

describe('RedisStore decisions', () => {
  for (const algorithm of ['sliding-log', 'sliding-window', 'token-bucket'] as const) {
    it(`checks several windows and a cost atomically: a refused request writes nothing (${algorithm})`, async () => {
      const prefix = prefixFor('atomic');
      const store = new RedisStore({ redis, prefix });
      const windows = rule(algorithm, [5, 10_000], [8, 60_000]);
      expect(await store.consume('k', 4, windows)).toMatchObject({ allowed: true, limit: 5, remaining: 1 });
      const before = await Promise.all(store.keysFor('k', windows).map((key) => redis.dump(key)));
      expect(await store.consume('k', 2, windows)).toMatchObject({ allowed: false, limit: 5 });
      const after = await Promise.all(store.keysFor('k', windows).map((key) => redis.dump(key)));
      expect(after).toEqual(before);
      expect(await store.consume('k', 1, windows)).toMatchObject({ allowed: true, remaining: 0 });
    });
  }

  for (const algorithm of ['sliding-log', 'sliding-window'] as const) {
    it(`decides a token bucket with ${algorithm} windows in one script: a refusal by either writes nothing in any key`, async () => {
      const prefix = prefixFor('mixed');
      const store = new RedisStore({ redis, prefix });
      // A bucket of 5 refilling a token per 10 s, 3 per minute and 8 per hour: the minute refuses first.
      const limiter = new RateLimiter({
        name: `mixed-${algorithm}`,
        registry: false,
        algorithm,
        store,
        limits: [{ rate: { tokens: 1, perMs: 10_000 }, burst: 5 }, { limit: 3, windowMs: 60_000 }, { limit: 8, windowMs: 3_600_000 }],
      });
      const keys = store.keysFor('k', limiter.rule);
      const suffix = algorithm === 'sliding-log' ? 'log' : 'sw';
      expect(keys.map((key) => key.slice(key.indexOf('}')))).toEqual(['}:50000:tb', `}:60000:${suffix}`, `}:3600000:${suffix}`]);
      const dump = (): Promise<(Buffer | null)[]> => Promise.all(keys.map((key) => redis.dumpBuffer(key)));
      expect(await limiter.consume('k', 2)).toMatchObject({ allowed: true, limit: 3, remaining: 1 });
      expect((await dump()).every((value) => value !== null)).toBe(true);
      let before = await dump();
      const byWindow = await limiter.consume('k', 2);
      expect(byWindow).toMatchObject({ allowed: false, limit: 3, remaining: 1 });
      expect(byWindow.retryAfterMs).toBeGreaterThan(10_000);
      expect(await dump()).toEqual(before);
      expect(await limiter.consume('k', 1)).toMatchObject({ allowed: true, limit: 3, remaining: 0 });
      // Another key and rule: the bucket (1 token left) refuses while the window would admit.
      const bucketFirst = new RateLimiter({
        name: `mixed-${algorithm}`,
        registry: false,
        algorithm,
        store,
        limits: [{ rate: { tokens: 1, perMs: 10_000 }, burst: 3 }, { limit: 6, windowMs: 60_000 }],
      });
      const otherKeys = store.keysFor('other', bucketFirst.rule);
      expect(await bucketFirst.consume('other', 2)).toMatchObject({ allowed: true, limit: 3, remaining: 1 });
      before = await Promise.all(otherKeys.map((key) => redis.dumpBuffer(key)));
      const byBucket = await bucketFirst.consume('other', 2);
      expect(byBucket).toMatchObject({ allowed: false, limit: 3, remaining: 1 });
      expect(byBucket.retryAfterMs).toBeGreaterThan(9_000);
      expect(byBucket.retryAfterMs).toBeLessThanOrEqual(10_000);
      expect(await Promise.all(otherKeys.map((key) => redis.dumpBuffer(key)))).toEqual(before);
      for (const key of [...keys, ...otherKeys]) {
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(2 * Number(key.split(':').at(-2)));
      }
    });
  }

  it('keeps one sorted-set member per admitted unit, unique even within one millisecond, and none for refusals', async () => {
    const prefix = prefixFor('members');
    const store = new RedisStore({ redis, prefix });
    const windows = rule('sliding-log', [30, 10_000]);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.consume('k', 2, windows)));
    expect(results.filter((result) => result.allowed)).toHaveLength(15);
    const [key] = store.keysFor('k', windows);
    expect(await redis.zcard(key as string)).toBe(30);
  });

  it('reports a wrong-type key as a store error, never as an admission', async () => {
    const prefix = prefixFor('wrongtype');
    const store = new RedisStore({ redis, prefix });
    const windows = rule('sliding-log', [5, 10_000]);
    await redis.set(store.keysFor('k', windows)[0] as string, 'not a sorted set');
    const failure = await store.consume('k', 1, windows).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(RedisStoreError);
    expect(isBulwarkError(failure, 'REDIS_STORE_FAILED')).toBe(true);
    expect(String((failure as RedisStoreError).message)).toMatch(/WRONGTYPE/);
  });

  /** A store whose connection answers every script call with `reply`, as ioredis would define it. */
  const storeAnswering = (reply: unknown): RedisStore => {
    const fake = {
      status: 'ready',
      defineCommand(this: Record<string, unknown>, command: string) {
        this[command] = () => Promise.resolve(reply);
        this[`${command}Buffer`] = () => Promise.resolve(reply);
      },
    };
    return new RedisStore({ redis: fake as never });
  };

  it('rejects every reply that is not a decision instead of admitting', async () => {
    const one = rule('sliding-log', [5, 10_000]);
    const two = rule('sliding-window', [5, 10_000], [50, 60_000]);
    const bucket = rule('token-bucket', [5, 10_000]); // a token every 2 s: the script answers µs until full
    const garbled: [unknown, RateLimitRule][] = [
      [[4, 10_000], bucket], // a single bucket's script answers one number
      [0, bucket],
      [2_000_000.5, bucket],
      [-1, bucket], // a refusal of a full bucket: it would have admitted
      [Buffer.from('2000000'), bucket],
      [2_000_000, one],
      [null, one],
      ['OK', one],
      [[], one],
      [[4], one],
      [[-1, 0], one],
      [[1.5, 0], one],
      [['4', 0], one],
      [[Buffer.from('4'), 0], one],
      [[4, 100, 1], one], // an index is only sent for rules of several windows
      [[4, 100], two], // … and always for them
      [[4, 100, 3], two],
      [[4, 100, 0], two],
      [[0, 100, 1, 0], one], // a refusal always has a wait
      [[0, 100, 1, -2], one],
      [[0, 100, 2, 50], one],
      [[0, 100, 1, 50, 0], one],
    ];
    for (const [reply, windows] of garbled) {
      const failure = await storeAnswering(reply)
        .consume('k', 1, windows)
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failure, JSON.stringify(reply)).toBeInstanceOf(RedisStoreError);
      expect((failure as Error).message).toMatch(/unexpected reply/);
    }
  });

  it('reads every reply shape the scripts send', async () => {
    const one = rule('sliding-log', [5, 10_000]);
    const two = rule('sliding-window', [5, 10_000], [50, 60_000]);
    expect(await storeAnswering([4, 10_000]).consume('k', 1, one)).toEqual({
      allowed: true,
      limit: 5,
      windowIndex: 0,
      remaining: 4,
      resetMs: 10_000,
      retryAfterMs: 0,
    });
    expect(await storeAnswering([30, 60_000, 2]).consume('k', 1, two)).toMatchObject({ allowed: true, limit: 50, windowIndex: 1, remaining: 30 });
    expect(await storeAnswering([0, 900, 1, 250]).consume('k', 1, two)).toEqual({
      allowed: false,
      limit: 5,
      windowIndex: 0,
      remaining: 0,
      resetMs: 900,
      retryAfterMs: 250,
    });
    expect(await storeAnswering([5, 0, 1, -1]).consume('k', 9, one)).toMatchObject({ allowed: false, retryAfterMs: Infinity });
    const bucket = rule('token-bucket', [5, 10_000]);
    expect(await storeAnswering(2_000_000).consume('k', 1, bucket)).toEqual({
      allowed: true,
      limit: 5,
      windowIndex: 0,
      remaining: 4,
      resetMs: 2_000,
      retryAfterMs: 0,
    });
    expect(await storeAnswering(-1 - 10_000_000).consume('k', 1, bucket)).toEqual({
      allowed: false,
      limit: 5,
      windowIndex: 0,
      remaining: 0,
      resetMs: 10_000,
      retryAfterMs: 2_000,
    });
    expect(await storeAnswering(-1).consume('k', 9, bucket)).toMatchObject({ allowed: false, remaining: 5, retryAfterMs: Infinity });
  });

  it('never runs a script another copy of bulwark defined on the same connection', async () => {
    const prefix = prefixFor('copies');
    const other = await connect(inject('redisUrl'));
    try {
      // What an older copy would have left on the connection under a plain name.
      for (const stem of ['bulwarkRateLimitWindow1', 'bulwarkRateLimitLog1', 'bulwarkRateLimitBucket1']) {
        other.defineCommand(stem, { numberOfKeys: 1, lua: 'return {1, 2, 3, 4, 5}' });
      }
      const store = new RedisStore({ redis: other, prefix });
      for (const algorithm of ['sliding-window', 'sliding-log', 'token-bucket'] as const) {
        expect(await store.consume('k', 1, rule(algorithm, [2, 10_000]))).toMatchObject({ allowed: true, limit: 2, remaining: 1 });
      }
    } finally {
      other.disconnect();
    }
  });

  it('counts two stores with different namespaces apart on the same user key and rule', async () => {
    const prefix = prefixFor('namespaces');
    const windows = rule('sliding-log', [1, 10_000]);
    const a = new RedisStore({ redis, prefix, namespace: 'a' });
    const b = new RedisStore({ redis, prefix, namespace: 'b' });
    expect((await a.consume('k', 1, windows)).allowed).toBe(true);
    expect((await a.consume('k', 1, windows)).allowed).toBe(false);
    expect((await b.consume('k', 1, windows)).allowed).toBe(true);
    expect((await b.consume('k', 1, windows)).allowed).toBe(false);
    expect((await keysUnder(redis, prefix)).sort()).toEqual([`${prefix}:a:{k}:10000:log`, `${prefix}:b:{k}:10000:log`]);
  });

  it('makes differently named limiters count together when their stores share a namespace', async () => {
    const prefix = prefixFor('shared-namespace');
    const make = (name: string): RateLimiter =>
      new RateLimiter({
        name,
        registry: false,
        limit: 2,
        windowMs: 10_000,
        store: new RedisStore({ redis, prefix, namespace: 'api', timeoutMs: 1_000 }),
      });
    const [checkout, search] = [make('checkout-service'), make('search-service')];
    expect((await checkout.consume('u')).allowed).toBe(true);
    expect((await search.consume('u')).allowed).toBe(true);
    expect((await checkout.consume('u')).allowed).toBe(false);
    expect(await keysUnder(redis, prefix)).toEqual([`${prefix}:api:{u}:10000:log`]);
  });

  it('takes a number as a key (the same key as its text) and refuses a key no store can take as the caller\'s error', async () => {
    const prefix = prefixFor('numbers');
    const store = new RedisStore({ redis, prefix, timeoutMs: 1_000 });
    const limiter = new RateLimiter({ name: 'numeric', registry: false, limit: 3, windowMs: 10_000, store });
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => limiter.consume(i % 2 === 0 ? 42 : '42')));
    expect(answers.filter((answer) => answer.allowed)).toHaveLength(3);
    await expect(limiter.execute(() => 'ran', { key: 42 as unknown as string })).rejects.toMatchObject({ name: 'RateLimitError' });
    await expect(limiter.consume({ id: 42 } as never)).rejects.toThrow(TypeError);
    await expect(limiter.execute(() => 'ran', { key: Symbol('u') as never })).rejects.toThrow(/key: expected a string or a finite number/);
    expect(limiter.stats()).toMatchObject({ admitted: 3, storeErrors: 0, storeFailing: false });
    expect(await keysUnder(redis, prefix)).toEqual([`${prefix}:numeric:{42}:10000:log`]);
    // Called directly, the store refuses a key that is not a string with a rejection, not a throw.
    await expect(store.consume(42 as never, 1, limiter.rule)).rejects.toThrow(new TypeError('RedisStore key must be a string, got number'));
  });

  it('keeps the counts of differently named limiters apart on one store', async () => {
    const prefix = prefixFor('names');
    const store = new RedisStore({ redis, prefix, timeoutMs: 1_000 });
    const login = new RateLimiter({ name: 'login', limit: 1, windowMs: 10_000, store, registry: false });
    const search = new RateLimiter({ name: 'search', limit: 1, windowMs: 10_000, store, registry: false });
    expect((await login.consume('u')).allowed).toBe(true);
    expect((await search.consume('u')).allowed).toBe(true);
    expect((await login.consume('u')).allowed).toBe(false);
    expect(await keysUnder(redis, prefix)).toEqual(
      expect.arrayContaining([expect.stringContaining(`${prefix}:login:`), expect.stringContaining(`${prefix}:search:`)]),
    );
  });

  it('serves a RateLimiter end to end, shared by two same-named limiters on two connections', async () => {
    const prefix = prefixFor('limiter');
    const other = await connect(inject('redisUrl'));
    try {
      const make = (connection: Redis): RateLimiter =>
        new RateLimiter({
          name: 'shared-api',
          registry: false,
          limit: 3,
          windowMs: 10_000,
          store: new RedisStore({ redis: connection, prefix, timeoutMs: 1_000 }),
        });
      const [one, two] = [make(redis), make(other)];
      const answers = [await one.consume('u'), await two.consume('u'), await one.consume('u'), await two.consume('u')];
      expect(answers.map((answer) => answer.allowed)).toEqual([true, true, true, false]);
      await expect(two.execute(() => 'ran', { key: 'u' })).rejects.toMatchObject({ name: 'RateLimitError' });
      expect(await one.execute(() => 'ran', { key: 'v' })).toBe('ran');
    } finally {
      other.disconnect();
    }
  });
});
