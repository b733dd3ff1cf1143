import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/core/errors';
import { RateLimiter, RateLimitError, type RateLimiterOptions } from '../../src/rate-limiter/index';
import { ManualClock } from '../support/manual-clock';
import { FlakyStore, limiterOnClock } from './support';

/** A key as a JavaScript caller (or a cast) may pass it, whatever the types say. */
const asKey = (key: unknown): string => key as string;

/** A limit of 2 per key, on the default MemoryStore and on an asynchronous store. */
function limiters(options: Partial<RateLimiterOptions> = {}): { label: string; limiter: RateLimiter; store?: FlakyStore }[] {
  const clock = new ManualClock();
  const store = new FlakyStore(clock);
  store.async = true;
  return [
    { label: 'MemoryStore', limiter: limiterOnClock({ limit: 2, windowMs: 1_000, ...options }).limiter },
    { label: 'asynchronous store', limiter: new RateLimiter({ registry: false, clock, store, limit: 2, windowMs: 1_000, ...options }), store },
  ];
}

describe('RateLimiter keys', () => {
  for (const { label, limiter } of limiters()) {
    it(`takes a number as the same key as its decimal text, in consume and execute (${label})`, async () => {
      expect(await limiter.consume(42)).toMatchObject({ allowed: true, remaining: 1 });
      expect(await limiter.consume('42')).toMatchObject({ allowed: true, remaining: 0 });
      expect((await limiter.consume(42)).allowed).toBe(false);
      await expect(limiter.execute(() => 'ran', { key: asKey(42) })).rejects.toBeInstanceOf(RateLimitError);
      expect(await limiter.execute(() => 'ran', { key: asKey(-0) })).toBe('ran');
      expect((await limiter.consume('0')).remaining).toBe(0);
      expect(limiter.stats()).toMatchObject({ storeErrors: 0, storeFailing: false });
    });
  }

  it('takes a number as the key option and as the result of a key function', async () => {
    const fixed = limiterOnClock({ limit: 1, windowMs: 1_000, key: 7 }).limiter;
    await fixed.execute(() => 0);
    expect((await fixed.consume('7')).allowed).toBe(false);
    const byUser = limiterOnClock({ limit: 1, windowMs: 1_000, key: (ctx) => Number(ctx.priority === 'high') }).limiter;
    await byUser.execute(() => 0, { priority: 'high' });
    expect((await byUser.consume('1')).allowed).toBe(false);
    expect((await byUser.consume('0')).allowed).toBe(true);
  });

  it('refuses a key option that is neither a string, a finite number nor a function', () => {
    for (const key of [Number.NaN, Infinity, {}, null]) {
      expect(() => new RateLimiter({ limit: 1, windowMs: 1_000, registry: false, key: key as never })).toThrow(/key: /);
    }
  });

  for (const { label, limiter, store } of limiters({ onStoreError: 'allow' })) {
    it(`rejects a key no store can take as the caller's error with a TypeError, never as a store outage (${label})`, async () => {
      const storeErrors = vi.fn();
      limiter.events.on('storeError', storeErrors);
      const fn = vi.fn();
      const bad: [string, unknown][] = [
        ['an object', { id: 1 }],
        ['a symbol', Symbol('user')],
        ['NaN', Number.NaN],
        ['Infinity', Infinity],
        ['a bigint', 42n],
        ['a boolean', true],
      ];
      for (const [got, key] of bad) {
        const message = `RateLimiter key must be a string or a finite number, got ${got}`;
        await expect(limiter.consume(asKey(key))).rejects.toThrow(new TypeError(message));
        // execute() checks its options first: a bad key there is a ConfigError naming `key`.
        await expect(limiter.execute(fn, { key: asKey(key) })).rejects.toThrow(ConfigError);
        await expect(limiter.execute(fn, { key: asKey(key) })).rejects.toThrow(/key: expected a string or a finite number/);
      }
      // consume() has no default key.
      for (const key of [null, undefined]) {
        await expect(limiter.consume(asKey(key))).rejects.toThrow(`a string or a finite number, got ${String(key)}`);
      }
      const byFunction = new RateLimiter({ registry: false, limit: 2, windowMs: 1_000, key: () => asKey(undefined) });
      await expect(byFunction.execute(fn)).rejects.toThrow(new TypeError('RateLimiter key must be a string or a finite number, got undefined'));
      expect(fn).not.toHaveBeenCalled();
      expect(storeErrors).not.toHaveBeenCalled();
      expect(limiter.stats()).toMatchObject({ admitted: 0, storeErrors: 0, storeFailing: false });
      if (store !== undefined) expect(store.calls).toBe(0);
    });
  }
});
