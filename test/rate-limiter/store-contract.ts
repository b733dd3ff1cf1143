import { describe, expect, it } from 'vitest';
import type { RateLimitAlgorithm, RateLimitRule, RateLimitStore } from '../../src/rate-limiter/index';

/** A store under test and a way to move its time forward (a manual clock, or a real wait for Redis). */
export interface StoreHarness {
  readonly store: RateLimitStore;
  advance(ms: number): Promise<void>;
}

/**
 * The behaviour every {@link RateLimitStore} owes a RateLimiter, for MemoryStore now and RedisStore
 * later (run it against a real server with small windows). Keys are unique per test so a shared
 * server needs no flushing.
 */
export function describeStoreContract(name: string, makeHarness: () => StoreHarness | Promise<StoreHarness>): void {
  let unique = 0;
  const key = (label: string): string => `contract-${label}-${Date.now()}-${++unique}`;

  for (const algorithm of ['sliding-log', 'sliding-window', 'token-bucket'] as RateLimitAlgorithm[]) {
    const rule = (...windows: [number, number][]): RateLimitRule => ({
      algorithm,
      windows: windows.map(([limit, windowMs]) => ({ limit, windowMs })),
    });

    describe(`${name} store contract (${algorithm})`, () => {
      it('admits limit units, then refuses with a positive retryAfterMs no longer than two windows', async () => {
        const { store } = await makeHarness();
        const k = key('limit');
        const oneWindow = rule([3, 1_000]);
        for (let left = 2; left >= 0; left--) {
          expect(await store.consume(k, 1, oneWindow)).toMatchObject({ allowed: true, limit: 3, remaining: left, retryAfterMs: 0 });
        }
        const refused = await store.consume(k, 1, oneWindow);
        expect(refused).toMatchObject({ allowed: false, limit: 3, remaining: 0 });
        expect(refused.retryAfterMs).toBeGreaterThan(0);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(2_000);
        expect(refused.resetMs).toBeGreaterThan(0);
      });

      it('admits again once retryAfterMs has passed', async () => {
        const { store, advance } = await makeHarness();
        const k = key('again');
        const oneWindow = rule([2, 200]);
        await store.consume(k, 2, oneWindow);
        const refused = await store.consume(k, 1, oneWindow);
        expect(refused.allowed).toBe(false);
        await advance(refused.retryAfterMs);
        expect((await store.consume(k, 1, oneWindow)).allowed).toBe(true);
      });

      it('consumes a cost above 1 atomically and refuses a cost above the limit with Infinity', async () => {
        const { store } = await makeHarness();
        const k = key('cost');
        const oneWindow = rule([5, 10_000]);
        expect(await store.consume(k, 4, oneWindow)).toMatchObject({ allowed: true, remaining: 1 });
        expect(await store.consume(k, 2, oneWindow)).toMatchObject({ allowed: false });
        expect(await store.consume(k, 1, oneWindow)).toMatchObject({ allowed: true, remaining: 0 });
        expect(await store.consume(key('huge'), 6, oneWindow)).toMatchObject({ allowed: false, retryAfterMs: Infinity });
      });

      it('admits only when every window admits, and a refused request consumes from no window', async () => {
        const { store } = await makeHarness();
        const k = key('multi');
        const twoWindows = rule([10, 10_000], [4, 60_000]);
        expect(await store.consume(k, 3, twoWindows)).toMatchObject({ allowed: true, limit: 4, remaining: 1 });
        for (let i = 0; i < 3; i++) expect(await store.consume(k, 2, twoWindows)).toMatchObject({ allowed: false, limit: 4 });
        expect(await store.consume(k, 1, twoWindows)).toMatchObject({ allowed: true, limit: 4, remaining: 0 });
      });

      it('keeps keys independent', async () => {
        const { store } = await makeHarness();
        const oneWindow = rule([1, 10_000]);
        const [a, b] = [key('a'), key('b')];
        expect((await store.consume(a, 1, oneWindow)).allowed).toBe(true);
        expect((await store.consume(a, 1, oneWindow)).allowed).toBe(false);
        expect((await store.consume(b, 1, oneWindow)).allowed).toBe(true);
      });
    });
  }

  for (const algorithm of ['sliding-log', 'sliding-window'] as RateLimitAlgorithm[]) {
    describe(`${name} store contract (token bucket with ${algorithm} windows)`, () => {
      it('admits only when the bucket and the window admit, reports the binding one, and a refusal consumes from neither', async () => {
        const { store, advance } = await makeHarness();
        const k = key('mixed');
        // A bucket of 4 refilling a token per 200 ms, and a window of 6 per minute.
        const rule: RateLimitRule = {
          algorithm,
          windows: [
            { limit: 4, windowMs: 800, algorithm: 'token-bucket' },
            { limit: 6, windowMs: 60_000 },
          ],
        };
        expect(await store.consume(k, 4, rule)).toMatchObject({ allowed: true, limit: 4, remaining: 0 });
        const refused = await store.consume(k, 2, rule);
        expect(refused).toMatchObject({ allowed: false, limit: 4, remaining: 0 });
        expect(refused.retryAfterMs).toBeGreaterThan(0);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(400);
        await advance(refused.retryAfterMs);
        // The window still holds 2: the bucket's refusal took nothing from it.
        expect(await store.consume(k, 2, rule)).toMatchObject({ allowed: true, remaining: 0 });
        const byWindow = await store.consume(k, 1, rule);
        expect(byWindow).toMatchObject({ allowed: false, limit: 6, remaining: 0 });
        expect(byWindow.retryAfterMs).toBeGreaterThan(10_000);
      });
    });
  }
}
