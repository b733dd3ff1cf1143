import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors';
import { MemoryStore, RateLimiter, RATE_LIMITER_DEFAULTS } from '../../src/rate-limiter/index';
import { configErrorOf } from './support';

describe('RateLimiter options', () => {
  it('rejects a limiter with neither limit and windowMs nor limits, naming both fields', () => {
    const { paths, message } = configErrorOf(() => new RateLimiter({} as never));
    expect(paths).toEqual(['limit', 'windowMs']);
    expect(message).toMatch(/limit: is required \(with windowMs\) unless limits is given/);
  });

  it('rejects limit without windowMs and windowMs without limit', () => {
    expect(configErrorOf(() => new RateLimiter({ limit: 5 })).paths).toEqual(['windowMs']);
    expect(configErrorOf(() => new RateLimiter({ windowMs: 1_000 })).paths).toEqual(['limit']);
  });

  it('rejects limit and windowMs given together with limits', () => {
    const { paths, message } = configErrorOf(
      () => new RateLimiter({ limit: 5, windowMs: 1_000, limits: [{ limit: 5, windowMs: 1_000 }] }),
    );
    expect(paths).toEqual(['limit', 'windowMs']);
    expect(message).toMatch(/either limit and windowMs, or limits, not both/);
  });

  it('rejects wrong types, negatives, bad windows and unknown keys in one ConfigError naming each field', () => {
    const { paths, message } = configErrorOf(
      () =>
        new RateLimiter({
          limits: [{ limit: 0, windowMs: -1 }, { limit: 2, windowMs: 10, extra: true }],
          algorithm: 'leaky-bucket',
          mode: 'queue',
          onStoreError: 'ignore',
          cost: 1.5,
          key: { id: 42 },
          store: {},
          name: '',
          limt: 3,
        } as never),
    );
    expect(paths).toEqual(
      [
        'limits.0.limit',
        'limits.0.windowMs',
        'limits.1.extra',
        'algorithm',
        'mode',
        'onStoreError',
        'cost',
        'key',
        'store',
        'name',
        'limt',
      ].sort(),
    );
    expect(message).toMatch(/limits\.0\.limit: must be an integer ≥ 1, got 0/);
    expect(message).toMatch(/limt: unknown option/);
    expect(message).toMatch(/store: expected a store with a consume method/);
  });

  it('rejects an empty limits list, a negative maxWaitMs and a non-object', () => {
    expect(configErrorOf(() => new RateLimiter({ limits: [] })).paths).toEqual(['limits']);
    expect(configErrorOf(() => new RateLimiter({ limit: 1, windowMs: 1, mode: 'wait', maxWaitMs: -1 })).paths).toEqual([
      'maxWaitMs',
    ]);
    expect(() => new RateLimiter(5 as never)).toThrow(ConfigError);
  });

  it('rejects options that would do nothing: maxWaitMs without wait mode, fallback settings without fallback, handle and ignore', () => {
    const { paths } = configErrorOf(
      () =>
        new RateLimiter({
          limit: 10,
          windowMs: 1_000,
          maxWaitMs: 100,
          fallbackLimit: 2,
          expectedInstances: 3,
          exceptions: { handle: [Error], ignore: [TypeError] },
        }),
    );
    expect(paths).toEqual(['exceptions.handle', 'exceptions.ignore', 'expectedInstances', 'fallbackLimit', 'maxWaitMs']);
  });

  it('rejects fallbackLimit with several windows', () => {
    const { paths, message } = configErrorOf(
      () =>
        new RateLimiter({
          limits: [
            { limit: 10, windowMs: 1_000 },
            { limit: 100, windowMs: 60_000 },
          ],
          onStoreError: 'fallback',
          fallbackLimit: 2,
        }),
    );
    expect(paths).toEqual(['fallbackLimit']);
    expect(message).toMatch(/use expectedInstances with limits/);
  });

  it("rejects a token-bucket limits that is not a list of objects with a ConfigError naming the field, not a TypeError", () => {
    const notAList = configErrorOf(() => new RateLimiter({ algorithm: 'token-bucket', limits: 5 } as never));
    expect(notAList.paths).toEqual(['limits']);
    const badEntries = configErrorOf(() => new RateLimiter({ algorithm: 'token-bucket', limits: [null, 3] } as never));
    expect(badEntries.paths).toEqual(['limits.0', 'limits.1']);
  });

  it('rejects two token buckets in limits that refill in the same time, naming the second (they would share a RedisStore key)', () => {
    const { paths, message } = configErrorOf(
      () =>
        new RateLimiter({
          limits: [
            { rate: { tokens: 1, perMs: 500 }, burst: 2 },
            { limit: 5, windowMs: 1_000 },
            { rate: { tokens: 10, perMs: 1_000 }, burst: 10 },
          ],
        }),
    );
    expect(paths).toEqual(['limits.2']);
    expect(message).toMatch(/limits\.2: refills in 1000 ms, as limits\.0 does/);
  });

  it('rejects invalid MemoryStore options', () => {
    const { paths } = configErrorOf(() => new MemoryStore({ maxKeys: 0, clock: 5, size: 1 } as never));
    expect(paths).toEqual(['clock', 'maxKeys', 'size']);
  });

  it('uses sliding-log, reject mode, fail-open, key "default" and cost 1 by default, and waits at most the longest window', () => {
    const limiter = new RateLimiter({ registry: false, limits: [{ limit: 1, windowMs: 1_000 }, { limit: 5, windowMs: 60_000 }] });
    expect(limiter.rule.algorithm).toBe(RATE_LIMITER_DEFAULTS.algorithm);
    expect(limiter.rule.algorithm).toBe('sliding-log');
    expect(limiter.mode).toBe('reject');
    expect(limiter.onStoreError).toBe('allow');
    expect(limiter.maxWaitMs).toBe(60_000);
    expect(limiter.patternType).toBe('rateLimiter');
    expect(limiter.name).toMatch(/^rateLimiter-\d+$/);
    expect(new MemoryStore().maxKeys).toBe(10_000);
  });
});
