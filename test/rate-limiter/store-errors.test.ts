import { afterEach, describe, expect, it, vi } from 'vitest';
import { setLogger, type Logger } from '../../src/core/logger';
import { Registry } from '../../src/core/registry';
import { RateLimiter, RateLimitError, type RateLimiterOptions } from '../../src/rate-limiter/index';
import { ManualClock } from '../support/manual-clock';
import { FlakyStore } from './support';

afterEach(() => {
  setLogger();
});

function limiterOnFlakyStore(options: Partial<RateLimiterOptions>) {
  const clock = new ManualClock();
  const store = new FlakyStore(clock);
  const single = options.limits === undefined ? { limit: 2, windowMs: 1_000 } : {};
  const limiter = new RateLimiter({ registry: false, clock, store, ...single, ...options });
  const storeErrors: unknown[] = [];
  limiter.events.on('storeError', (event) => storeErrors.push(event));
  const logger: Logger = { error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn() };
  setLogger(logger);
  return { clock, store, limiter, storeErrors, logger };
}

describe('onStoreError', () => {
  for (const failure of ['throw', 'reject'] as const) {
    it(`fails open by default when the store fails (${failure}), announcing the outage once`, async () => {
      const { store, limiter, storeErrors, logger } = limiterOnFlakyStore({});
      store.mode = failure;
      for (let i = 0; i < 5; i++) expect(await limiter.consume('k')).toMatchObject({ allowed: true, limit: 2, remaining: 2 });
      await expect(limiter.execute(() => 'ran')).resolves.toBe('ran');
      expect(storeErrors).toHaveLength(1);
      expect(storeErrors[0]).toMatchObject({ type: 'storeError', onStoreError: 'allow', error: expect.any(Error) });
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(limiter.stats()).toMatchObject({ storeErrors: 6, storeFailing: true, admitted: 6 });
    });
  }

  it("fails closed with 'deny', rejecting execute with RateLimitError retrying after the shortest window", async () => {
    const { store, limiter } = limiterOnFlakyStore({
      onStoreError: 'deny',
      limits: [
        { limit: 100, windowMs: 60_000 },
        { limit: 5, windowMs: 1_000 },
      ],
    });
    store.mode = 'reject';
    const fn = vi.fn();
    const error = await limiter.execute(fn).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ reason: 'limitReached', limit: 5, retryAfterMs: 1_000 });
    expect(fn).not.toHaveBeenCalled();
    expect(await limiter.consume('k')).toEqual({ allowed: false, limit: 5, windowIndex: 1, remaining: 0, resetMs: 1_000, retryAfterMs: 1_000 });
  });

  it("decides with a local MemoryStore limited to limit / expectedInstances with 'fallback'", async () => {
    const { store, limiter } = limiterOnFlakyStore({ onStoreError: 'fallback', limit: 10, expectedInstances: 3 });
    store.mode = 'throw';
    const results = [];
    for (let i = 0; i < 4; i++) results.push((await limiter.consume('k')).allowed);
    expect(results).toEqual([true, true, true, false]);
  });

  it("uses fallbackLimit when given, per key, on the limiter's clock", async () => {
    const { store, limiter, clock } = limiterOnFlakyStore({ onStoreError: 'fallback', limit: 10, fallbackLimit: 1 });
    store.mode = 'reject';
    expect((await limiter.consume('a')).allowed).toBe(true);
    expect((await limiter.consume('a')).allowed).toBe(false);
    expect((await limiter.consume('b')).allowed).toBe(true);
    await clock.advance(1_000);
    expect((await limiter.consume('a')).allowed).toBe(true);
  });

  it('uses the store again as soon as it works, and announces a new outage after a recovery', async () => {
    const { store, limiter, storeErrors, logger } = limiterOnFlakyStore({ onStoreError: 'deny' });
    store.async = true;
    store.mode = 'reject';
    expect((await limiter.consume('k')).allowed).toBe(false);
    expect((await limiter.consume('k')).allowed).toBe(false);
    store.mode = 'ok';
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, remaining: 1 });
    expect(limiter.stats().storeFailing).toBe(false);
    expect(logger.info).toHaveBeenCalledTimes(1);
    store.mode = 'throw';
    expect((await limiter.consume('k')).allowed).toBe(false);
    expect(storeErrors).toHaveLength(2);
    expect(logger.warn).toHaveBeenCalledTimes(2);
    expect(store.calls).toBe(4);
  });

  it('warns once per outage with a process warning when no logger is set, so that failing open is never silent', async () => {
    const { store, limiter } = limiterOnFlakyStore({ name: 'quiet-api' });
    setLogger();
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    store.mode = 'reject';
    for (let i = 0; i < 5; i++) expect((await limiter.consume('k')).allowed).toBe(true);
    expect(emitWarning).toHaveBeenCalledTimes(1);
    expect(emitWarning).toHaveBeenCalledWith(
      'rate limiter "quiet-api": store failed (store down (async)); until it works again: allow',
      expect.objectContaining({ type: 'BulwarkWarning', code: 'BULWARK_STORE_FAILED' }),
    );
    store.mode = 'ok';
    await limiter.consume('k');
    store.mode = 'throw';
    for (let i = 0; i < 5; i++) await limiter.consume('k');
    expect(emitWarning).toHaveBeenCalledTimes(2);
    expect(emitWarning.mock.calls[1]?.[0]).toMatch(/store failed \(store down \(sync\)\)/);
  });

  it('logs instead of warning the process when a logger is set', async () => {
    const { store, limiter, logger } = limiterOnFlakyStore({});
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    store.mode = 'reject';
    await limiter.consume('k');
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(emitWarning).not.toHaveBeenCalled();
  });

  it("stays healthy through an outage, saying 'store failing' in its health until the store works again", async () => {
    const registry = new Registry();
    const { store, limiter } = limiterOnFlakyStore({ registry });
    expect(limiter.health()).toEqual({ healthy: true });
    store.mode = 'reject';
    await limiter.consume('k');
    expect(limiter.health()).toEqual({ healthy: true, detail: 'store failing' });
    expect(registry.health()).toMatchObject({
      status: 'ok',
      instances: { [limiter.name]: { patternType: 'rateLimiter', healthy: true, detail: 'store failing' } },
    });
    store.mode = 'ok';
    await limiter.consume('k');
    expect(limiter.health()).toEqual({ healthy: true });
    expect(registry.health().instances[limiter.name]).not.toHaveProperty('detail');
  });

  it('never leaves an unhandled rejection when the store rejects and nobody listens', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { store, limiter } = limiterOnFlakyStore({});
      store.mode = 'reject';
      await Promise.all(Array.from({ length: 20 }, () => limiter.execute(() => 1)));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('keeps the outcome when a storeError listener throws', async () => {
    const { store, limiter } = limiterOnFlakyStore({});
    limiter.events.on('storeError', () => {
      throw new Error('listener broke');
    });
    store.mode = 'throw';
    await expect(limiter.execute(() => 'ran')).resolves.toBe('ran');
  });

  it('works with an asynchronous store that answers', async () => {
    const { store, limiter } = limiterOnFlakyStore({});
    store.async = true;
    await limiter.execute(() => 0);
    await limiter.execute(() => 0);
    await expect(limiter.execute(() => 0)).rejects.toBeInstanceOf(RateLimitError);
  });
});
