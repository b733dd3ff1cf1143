import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors';
import { Cache, CACHE_DEFAULTS, type CacheSerializer } from '../../src/redis/index';
import { keysUnder } from './support';
import { cacheSuite } from './cache-support';

describe('Cache options', () => {
  const suite = cacheSuite('cache-options');
  const { prefix } = suite;


  it('names every bad field in one ConfigError', () => {
    const bad = {
      redis: {},
      prefix: 'a{b',
      ttlMs: -1,
      jitter: 1.5,
      staleTtlMs: -1,
      graceMs: 'long',
      negativeTtlMs: 0,
      negativeErrors: [1],
      serializer: { serialize: JSON.stringify },
      version: '',
      policy: 1,
      loaderPolicy: {},
      onRedisError: 'ignore',
      loadTimeoutMs: 0,
      name: '',
      colour: 'red',
    };
    let caught: unknown;
    try {
      new Cache(bad as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues.map((issue) => issue.path).sort()).toEqual(
      ['colour', 'graceMs', 'jitter', 'negativeErrors.0', 'negativeTtlMs', 'staleTtlMs', 'loadTimeoutMs', 'loaderPolicy', 'name', 'onRedisError', 'policy', 'prefix', 'redis', 'serializer', 'ttlMs', 'version'].sort(),
    );
  });

  it('requires suite.redis, prefix and ttlMs', () => {
    expect(() => new Cache({} as never)).toThrow(/redis: expected an ioredis Redis or Cluster, got undefined[\s\S]*prefix: is required[\s\S]*ttlMs: is required/);
  });

  it('refuses a ttlMs or loadTimeoutMs beyond the longest timer delay', () => {
    expect(() => new Cache({ redis: suite.redis, prefix, ttlMs: 2 ** 31, loadTimeoutMs: 2 ** 31, registry: false })).toThrow(
      /ttlMs: must be ≤ 2147483647[\s\S]*loadTimeoutMs: must be ≤ 2147483647/,
    );
  });

  it('exports its defaults', () => {
    expect(CACHE_DEFAULTS).toMatchObject({ jitter: 0.1, onRedisError: 'degrade', loadTimeoutMs: 30_000 });
  });

  it('stores JSON by default: a Date comes back as its ISO string', async () => {
    const cache = new Cache({ redis: suite.redis, prefix, ttlMs: 60_000, registry: false });
    const at = new Date('2026-01-02T03:04:05.678Z');
    await cache.set('when', { at, n: 1, nested: [true, null] });
    expect(await cache.get('when')).toEqual({ at: '2026-01-02T03:04:05.678Z', n: 1, nested: [true, null] });
  });

  it('stores through a pluggable serializer, keeping its this', async () => {
    class DateAware implements CacheSerializer {
      readonly tag = 'date:';
      serialize(value: unknown): string {
        return value instanceof Date ? this.tag + value.toISOString() : JSON.stringify(value);
      }
      deserialize(text: string): unknown {
        return text.startsWith(this.tag) ? new Date(text.slice(this.tag.length)) : JSON.parse(text);
      }
    }
    const cache = new Cache({ redis: suite.redis, prefix, ttlMs: 60_000, serializer: new DateAware(), registry: false });
    const at = new Date('2026-01-02T03:04:05.678Z');
    await cache.set('when', at);
    expect(await cache.get('when')).toEqual(at);
    const [key] = await keysUnder(suite.redis, prefix);
    expect(await suite.redis.get(key as string)).toMatch(/\|date:2026-01-02T03:04:05\.678Z$/);
  });

  it('rejects set of a value the serializer cannot store, writing nothing', async () => {
    const cache = new Cache({ redis: suite.redis, prefix, ttlMs: 60_000, registry: false });
    await expect(cache.set('k', undefined)).rejects.toThrow(TypeError);
    await expect(cache.set('k', 10n)).rejects.toThrow(TypeError);
    expect(await keysUnder(suite.redis, prefix)).toEqual([]);
  });

  it('keeps caches of different versions apart', async () => {
    const v1 = new Cache({ redis: suite.redis, prefix, ttlMs: 60_000, version: 1, registry: false });
    const v2 = new Cache({ redis: suite.redis, prefix, ttlMs: 60_000, version: 2, registry: false });
    await v1.set('k', 'one');
    expect(await v2.get('k')).toBeUndefined();
    expect(await v1.get('k')).toBe('one');
  });
});
