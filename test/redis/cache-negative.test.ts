import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors';
import { Cache } from '../../src/redis/index';
import { ManualClock } from '../support/manual-clock';
import { keysUnder } from './support';
import { cacheSuite } from './cache-support';

class NotFoundError extends Error {
  constructor(readonly id: string) {
    super(`no row ${id}`);
  }
  override get name(): string {
    return 'NotFoundError';
  }
}

describe('Cache negative caching and TTL jitter', () => {
  const suite = cacheSuite('cache-negative');
  const { prefix } = suite;
  const { cache } = suite;


  it('caches a loaded undefined for negativeTtlMs, then loads again', async () => {
    const clock = new ManualClock(Date.now());
    const c = cache({ clock, negativeTtlMs: 2_000, jitter: 0 });
    let loads = 0;
    const loader = (): undefined => {
      loads++;
      return undefined;
    };
    expect(await c.getOrLoad('missing', loader)).toBeUndefined();
    expect(await c.getOrLoad('missing', loader)).toBeUndefined();
    expect(loads).toBe(1);
    const [key] = await keysUnder(suite.redis, prefix);
    const pttl = await suite.redis.pttl(key as string);
    expect(pttl).toBeGreaterThan(1_000);
    expect(pttl).toBeLessThanOrEqual(2_000);
    await clock.advance(2_000);
    expect(await c.getOrLoad('missing', () => 'found now')).toBe('found now');
    expect(await c.get('missing')).toBe('found now');
  });

  it('caches an error of a named class: later calls reject with a like error without the loader', async () => {
    const c = cache({ negativeTtlMs: 5_000, negativeErrors: [NotFoundError] });
    let loads = 0;
    const loader = (): never => {
      loads++;
      throw new NotFoundError('42');
    };
    await expect(c.getOrLoad('row:42', loader)).rejects.toBeInstanceOf(NotFoundError);
    const again = await c.getOrLoad('row:42', loader).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(NotFoundError);
    expect(again).toMatchObject({ name: 'NotFoundError', message: 'no row 42' });
    expect((again as Error).stack).toContain('NotFoundError: no row 42');
    expect(loads).toBe(1);
    expect(await c.get('row:42')).toBeUndefined();
    expect(await new Cache({ redis: suite.redis, prefix, ttlMs: 1, registry: false }).getOrLoad('row:42', () => 'other')).toBe('other');
  });

  it('never caches an error of a class it was not given', async () => {
    const c = cache({ negativeTtlMs: 5_000, negativeErrors: [NotFoundError] });
    let loads = 0;
    const loader = (): never => {
      loads++;
      throw new TypeError('bug');
    };
    await expect(c.getOrLoad('k', loader)).rejects.toThrow(TypeError);
    await expect(c.getOrLoad('k', loader)).rejects.toThrow(TypeError);
    expect(loads).toBe(2);
    expect(await keysUnder(suite.redis, prefix)).toEqual([]);
  });

  it('needs negativeTtlMs for negativeErrors', () => {
    expect(() => cache({ negativeErrors: [NotFoundError] })).toThrow(ConfigError);
    expect(() => cache({ negativeErrors: [NotFoundError] })).toThrow(/negativeErrors: has no effect without negativeTtlMs/);
  });

  it('spreads the time to live of keys written together across ttlMs ± jitter', async () => {
    const c = cache({ ttlMs: 10_000, jitter: 0.2 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => c.set(`k${i}`, i)));
    const ttls = await Promise.all((await keysUnder(suite.redis, prefix)).map((key) => suite.redis.pttl(key)));
    expect(ttls).toHaveLength(200);
    for (const ttl of ttls) {
      expect(ttl).toBeGreaterThan(8_000 - 1_000);
      expect(ttl).toBeLessThanOrEqual(12_000);
    }
    const quarters = [0, 0, 0, 0];
    for (const ttl of ttls) quarters[Math.min(3, Math.max(0, Math.floor((ttl - 8_000) / 1_000)))]! += 1;
    for (const count of quarters) expect(count).toBeGreaterThan(20);
  });

  it('writes every key with the same time to live when jitter is 0', async () => {
    const c = cache({ ttlMs: 10_000, jitter: 0 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => c.set(`k${i}`, i)));
    const ttls = await Promise.all((await keysUnder(suite.redis, prefix)).map((key) => suite.redis.pttl(key)));
    expect(Math.max(...ttls) - Math.min(...ttls)).toBeLessThan(500);
  });
});
