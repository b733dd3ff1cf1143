import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { MemoryStore, RateLimiter, type RateLimiterOptions, type RateLimitRule } from '../../src/rate-limiter/index';
import { settled } from '../support/async';
import { configErrorOf, limiterOnClock, limiterOnFailingStore } from './support';

/**
 * The rule of a limiter with one bucket, as the limiter builds it (a bucket of `burst` refilling
 * in `burst × perMs / tokens`): MemoryStore decides it on its single-bucket path.
 */
const bucket = (tokens: number, perMs: number, burst: number): RateLimitRule => ({
  algorithm: 'token-bucket',
  windows: [{ limit: burst, windowMs: (burst * perMs) / tokens }],
});

/**
 * The same bucket beside one that never binds (a million tokens, refilled every ms), as a limiter
 * with `limits` builds it: MemoryStore decides it with a counter per bucket, its path for every
 * rule but a single bucket. Every result describes the first bucket, the tightest.
 */
const bucketAmongOthers = (tokens: number, perMs: number, burst: number): RateLimitRule => ({
  algorithm: 'token-bucket',
  windows: [
    { limit: burst, windowMs: (burst * perMs) / tokens },
    { limit: 1_000_000, windowMs: 1 },
  ],
});

/** Both ways MemoryStore decides a token bucket, for the tests that must hold on each. */
const BUCKET_PATHS = [
  ['a single bucket', bucket],
  ['a bucket among others', bucketAmongOthers],
] as const;

/** A store on a clock the test sets, starting at a realistic epoch time. */
function storeAt(start = 1_700_000_000_000): { store: MemoryStore; at: (ms: number) => void; now: () => number } {
  let now = start;
  const store = new MemoryStore({ clock: { now: () => now } as never });
  return { store, at: (ms) => (now = start + ms), now: () => now - start };
}

describe('token-bucket options', () => {
  it('builds a bucket from rate and burst: its size is the burst and it refills in burst × perMs / tokens', () => {
    const { limiter } = limiterOnClock({ algorithm: 'token-bucket', rate: { tokens: 10, perMs: 1_000 }, burst: 20 });
    expect(limiter.rule).toMatchObject({ algorithm: 'token-bucket', windows: [{ limit: 20, windowMs: 2_000 }] });
    expect(limiter.maxWaitMs).toBe(2_000);
  });

  it('requires rate and burst, and refuses the fields of windows, naming each field', () => {
    expect(configErrorOf(() => new RateLimiter({ algorithm: 'token-bucket' } as RateLimiterOptions)).paths).toEqual(['burst', 'rate']);
    const { paths, message } = configErrorOf(
      () => new RateLimiter({ algorithm: 'token-bucket', limit: 5, windowMs: 1_000, rate: { tokens: 0, perMs: -1 }, burst: 1.5 } as RateLimiterOptions),
    );
    expect(paths).toEqual(['burst', 'limit', 'rate.perMs', 'rate.tokens', 'windowMs']);
    expect(message).toMatch(/limit: applies only to windows; with algorithm: 'token-bucket' give rate and burst/);
    expect(message).toMatch(/rate\.tokens: must be an integer ≥ 1, got 0/);
  });

  it('refuses rate and burst without the token-bucket algorithm, and windows in limits with it', () => {
    const windowFields = configErrorOf(
      () => new RateLimiter({ limit: 5, windowMs: 1_000, rate: { tokens: 1, perMs: 1 }, burst: 2 } as RateLimiterOptions),
    );
    expect(windowFields.paths).toEqual(['burst', 'rate']);
    expect(windowFields.message).toMatch(/rate: applies only with algorithm: 'token-bucket'/);
    const mixed = configErrorOf(
      () =>
        new RateLimiter({
          algorithm: 'token-bucket',
          limits: [{ rate: { tokens: 1, perMs: 100 }, burst: 2 }, { limit: 5, windowMs: 1_000 }],
          burst: 3,
        }),
    );
    expect(mixed.paths).toEqual(['burst', 'limits.1']);
    expect(mixed.message).toMatch(/limits\.1: must be \{ rate, burst \} with algorithm: 'token-bucket'/);
  });
});

describe('token bucket (MemoryStore)', () => {
  it.each(BUCKET_PATHS)('admits a burst at once, then one token per interval, reporting whole tokens, the time to full and the exact wait (%s)', (_, bucketRule) => {
    const { store, at } = storeAt();
    const rule = bucketRule(4, 1_000, 3); // a token every 250 ms, 3 at most
    expect(store.consume('k', 1, rule)).toEqual({ allowed: true, limit: 3, windowIndex: 0, remaining: 2, resetMs: 250, retryAfterMs: 0 });
    expect(store.consume('k', 2, rule)).toEqual({ allowed: true, limit: 3, windowIndex: 0, remaining: 0, resetMs: 750, retryAfterMs: 0 });
    expect(store.consume('k', 1, rule)).toEqual({ allowed: false, limit: 3, windowIndex: 0, remaining: 0, resetMs: 750, retryAfterMs: 250 });
    at(100);
    expect(store.consume('k', 2, rule)).toEqual({ allowed: false, limit: 3, windowIndex: 0, remaining: 0, resetMs: 650, retryAfterMs: 400 });
    at(499);
    expect(store.consume('k', 2, rule).allowed).toBe(false);
    at(500);
    expect(store.consume('k', 2, rule)).toEqual({ allowed: true, limit: 3, windowIndex: 0, remaining: 0, resetMs: 750, retryAfterMs: 0 });
    at(10_000);
    expect(store.consume('k', 3, rule)).toMatchObject({ allowed: true, remaining: 0, resetMs: 750 });
    expect(store.consume('k', 4, rule)).toMatchObject({ allowed: false, retryAfterMs: Infinity });
  });

  it('refills at a rate that is not a whole number of ms per token, and forgets a key once its bucket is full', () => {
    const { store, at } = storeAt();
    const rule = bucket(3, 1_000, 3); // a token every 333.33… ms
    // Its interval is rounded up to a whole µs: 333,334 µs per token, 1,000.002 ms to refill.
    expect(store.consume('k', 3, rule)).toMatchObject({ allowed: true, remaining: 0, resetMs: 1_001 });
    expect(store.consume('k', 1, rule)).toMatchObject({ allowed: false, retryAfterMs: 334 });
    at(334);
    expect(store.consume('k', 1, rule)).toMatchObject({ allowed: true, remaining: 0 });
    at(5_000);
    store.consume('other', 1, rule);
    expect(store.size).toBe(1);
  });

  it('admits only when every bucket admits, and a refused request takes from none', async () => {
    const { limiter, clock } = limiterOnClock({
      algorithm: 'token-bucket',
      limits: [
        { rate: { tokens: 10, perMs: 1_000 }, burst: 5 },
        { rate: { tokens: 1, perMs: 1_000 }, burst: 8 },
      ],
    });
    expect(await limiter.consume('k', 4)).toMatchObject({ allowed: true, limit: 5, remaining: 1 });
    expect(await limiter.consume('k', 4)).toMatchObject({ allowed: false, limit: 5, retryAfterMs: 300 });
    await clock.advance(300);
    expect(await limiter.consume('k', 4)).toMatchObject({ allowed: true, limit: 5, remaining: 0 });
    // 500 ms later the fast bucket is full again; the slow one holds 0.8 of a token.
    await clock.advance(500);
    expect(await limiter.consume('k', 1)).toMatchObject({ allowed: false, limit: 8, retryAfterMs: 200 });
    await clock.advance(200);
    expect(await limiter.consume('k', 1)).toMatchObject({ allowed: true, limit: 8, remaining: 0 });
  });

  it("waits in mode: 'wait' exactly until the tokens are there", async () => {
    const { limiter, clock } = limiterOnClock({ algorithm: 'token-bucket', rate: { tokens: 2, perMs: 1_000 }, burst: 2, mode: 'wait' });
    await limiter.execute(() => 0, { key: 'k' });
    await limiter.execute(() => 0, { key: 'k' });
    const fn = vi.fn(() => 'ran');
    const waiting = settled(limiter.execute(fn, { key: 'k' }));
    await clock.advance(499);
    expect(fn).not.toHaveBeenCalled();
    await clock.advance(1);
    expect(await waiting).toEqual({ ok: true, value: 'ran' });
  });

  it("decides with a fallback bucket of burst and rate divided by expectedInstances while the store fails", async () => {
    const { limiter } = limiterOnFailingStore({ algorithm: 'token-bucket', rate: { tokens: 40, perMs: 1_000 }, burst: 8 });
    expect(await limiter.consume('k', 2)).toMatchObject({ allowed: true, limit: 2, remaining: 0 });
    expect(await limiter.consume('k', 1)).toMatchObject({ allowed: false, retryAfterMs: 100 });
  });
});

describe.each(BUCKET_PATHS)('token bucket exactness (property, %s)', (_, bucketRule) => {
  /** Rates whose interval is a whole number of µs, so that a model in integers decides exactly as the bucket must. */
  const wholeRate = fc.record({
    tokens: fc.constantFrom(1, 2, 4, 5, 8, 10, 20, 25, 40, 50),
    perMs: fc.integer({ min: 1, max: 2_000 }),
  });
  const steps = fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 6 })), { maxLength: 200 });

  it('admits exactly when a bucket refilling continuously holds the cost, and a client waiting retryAfterMs is admitted', () => {
    fc.assert(
      fc.property(wholeRate, fc.integer({ min: 1, max: 6 }), steps, ({ tokens, perMs }, burst, gaps) => {
        const { store, at, now } = storeAt();
        const rule = bucketRule(tokens, perMs, burst);
        const intervalUs = (perMs * 1_000) / tokens;
        // The model: tokens held, in token × µs, refilled 1 per µs up to burst × interval.
        let level = burst * intervalUs;
        let last = 0;
        const levelAt = (ms: number): number => Math.min(burst * intervalUs, level + (ms - last) * 1_000);
        for (const [gap, cost] of gaps) {
          at(now() + gap);
          const result = store.consume('k', cost, rule);
          const held = levelAt(now());
          expect(result.allowed).toBe(held >= cost * intervalUs);
          if (result.allowed) {
            level = held - cost * intervalUs;
            last = now();
            expect(result.remaining).toBe(Math.floor(level / intervalUs));
          } else if (cost <= burst) {
            expect(levelAt(now() + result.retryAfterMs)).toBeGreaterThanOrEqual(cost * intervalUs);
            expect(levelAt(now() + result.retryAfterMs - 1)).toBeLessThan(cost * intervalUs);
          } else {
            expect(result.retryAfterMs).toBe(Infinity);
          }
        }
      }),
    );
  });

  it('over any interval of length T admits at most burst + rate × T, at any rate, and admits once retryAfterMs has passed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 1, max: 8 }),
        steps,
        (tokens, perMs, burst, gaps) => {
          const { store, at, now } = storeAt();
          const rule = bucketRule(tokens, perMs, burst);
          const admitted: [number, number][] = [];
          for (const [gap, cost] of gaps) {
            at(now() + gap);
            const result = store.consume('k', cost, rule);
            if (result.allowed) admitted.push([now(), cost]);
            else if (cost <= burst) {
              // The same client comes back after exactly retryAfterMs: it is admitted.
              at(now() + result.retryAfterMs);
              const again = store.consume('k', cost, rule);
              expect(again.allowed).toBe(true);
              admitted.push([now(), cost]);
            }
          }
          for (let i = 0; i < admitted.length; i++) {
            let units = 0;
            for (let j = i; j < admitted.length; j++) {
              units += (admitted[j] as [number, number])[1];
              const span = (admitted[j] as [number, number])[0] - (admitted[i] as [number, number])[0];
              expect(units).toBeLessThanOrEqual(burst + (span * tokens) / perMs + 1e-9);
            }
          }
        },
      ),
    );
  });
});
