import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../src/core/errors';
import { MemoryStore, RateLimiter, RateLimitError, type RateLimitAlgorithm, type RateLimiterOptions } from '../../src/rate-limiter/index';
import { RateLimitHeaders } from '../../src/middleware/rate-limit-headers';
import { configErrorOf, limiterOnClock, limiterOnFailingStore } from './support';
import { ManualClock } from '../support/manual-clock';

/** A burst allowance of 20 at 10 per second, and a quota of 1,000 a day. */
const burstAndQuota: NonNullable<RateLimiterOptions['limits']> = [
  { rate: { tokens: 10, perMs: 1_000 }, burst: 20 },
  { limit: 1_000, windowMs: 86_400_000 },
];

describe('limits mixing token buckets and windows: options', () => {
  it('takes { rate, burst } as a token bucket and { limit, windowMs } as a window counted by algorithm', () => {
    const { limiter } = limiterOnClock({ limits: burstAndQuota });
    expect(limiter.rule).toEqual({
      name: limiter.name,
      algorithm: 'sliding-log',
      windows: [
        { limit: 20, windowMs: 2_000, algorithm: 'token-bucket' },
        { limit: 1_000, windowMs: 86_400_000 },
      ],
    });
    expect(limiter.stats()).toMatchObject({ algorithm: 'sliding-log', windows: limiter.rule.windows });
    expect(limiterOnClock({ algorithm: 'sliding-window', limits: burstAndQuota }).limiter.rule.algorithm).toBe('sliding-window');
  });

  it('counts limits of buckets only as token buckets, whatever algorithm says', () => {
    const { limiter } = limiterOnClock({ limits: [{ rate: { tokens: 1, perMs: 100 }, burst: 2 }] });
    expect(limiter.rule).toMatchObject({ algorithm: 'token-bucket', windows: [{ limit: 2, windowMs: 200 }] });
    expect(limiter.rule.windows[0]).not.toHaveProperty('algorithm');
  });

  it("refuses a window in limits with algorithm: 'token-bucket', and names every bad field of a mixed list", () => {
    const withBucketAlgorithm = configErrorOf(() => new RateLimiter({ algorithm: 'token-bucket', limits: burstAndQuota }));
    expect(withBucketAlgorithm.paths).toEqual(['limits.1']);
    expect(withBucketAlgorithm.message).toMatch(/count windows with 'sliding-log' or 'sliding-window'/);
    const bad = configErrorOf(
      () =>
        new RateLimiter({
          limits: [{ rate: { tokens: 0, perMs: 1_000 }, burst: 2 }, { limit: 5, windowMs: -1 }, { rate: { tokens: 1, perMs: 10 }, burst: 1, limit: 3 }],
        } as RateLimiterOptions),
    );
    expect(bad.paths).toEqual(['limits.0.rate.tokens', 'limits.1.windowMs', 'limits.2.limit']);
  });
});

describe('limits mixing token buckets and windows: MemoryStore and RateLimiter', () => {
  it('reports the binding rule: the tightest when admitted, the one that frees up last when refused', async () => {
    const { limiter, clock } = limiterOnClock({ limits: [{ rate: { tokens: 1, perMs: 100 }, burst: 4 }, { limit: 6, windowMs: 10_000 }] });
    expect(await limiter.consume('k', 3)).toMatchObject({ allowed: true, limit: 4, remaining: 1, resetMs: 300 });
    expect(await limiter.consume('k', 2)).toMatchObject({ allowed: false, limit: 4, remaining: 1, resetMs: 300, retryAfterMs: 100 });
    await clock.advance(300);
    expect(await limiter.consume('k', 3)).toMatchObject({ allowed: true, limit: 6, remaining: 0, resetMs: 10_000 });
    await clock.advance(400);
    expect(await limiter.consume('k', 1)).toMatchObject({ allowed: false, limit: 6, remaining: 0, retryAfterMs: 9_300 });
  });

  it('describes the refusing rule in the error: a bucket by its burst and rate, a window by its limit', async () => {
    const { limiter } = limiterOnClock({ name: 'api', limits: [{ rate: { tokens: 5, perMs: 1_000 }, burst: 2 }, { limit: 3, windowMs: 60_000 }] });
    await limiter.execute(() => 'ok', { key: 'k' });
    await limiter.execute(() => 'ok', { key: 'k' });
    const byBucket = await limiter.execute(() => 'ok', { key: 'k' }).catch((error: unknown) => error);
    expect(byBucket).toBeInstanceOf(RateLimitError);
    expect(byBucket).toMatchObject({
      message: 'Rate limiter "api" allows bursts of up to 2, refilled at 5 per 1000 ms: the call was not made',
      limit: 2,
      retryAfterMs: 200,
    });
    const { limiter: quota, clock } = limiterOnClock({ name: 'api', limits: [{ rate: { tokens: 5, perMs: 1_000 }, burst: 2 }, { limit: 3, windowMs: 60_000 }] });
    for (let i = 0; i < 3; i++) {
      await quota.execute(() => 'ok');
      await clock.advance(1_000);
    }
    const byWindow = await quota.execute(() => 'ok').catch((error: unknown) => error);
    expect(isBulwarkError(byWindow) && byWindow.message).toBe('Rate limiter "api" allows 3 per window: the call was not made');
  });

  /** The message of the refusal of the call after `admitted` admitted ones at the same time, then a wait of `afterMs`. */
  const refusalMessage = async (limiter: RateLimiter, clock: ManualClock, admitted: number, afterMs = 0): Promise<unknown> => {
    for (let i = 0; i < admitted; i++) await limiter.execute(() => 'ok', { key: 'k' });
    await clock.advance(afterMs);
    const error = await limiter.execute(() => 'ok', { key: 'k' }).catch((caught: unknown) => caught);
    return isBulwarkError(error) ? error.message : error;
  };

  it('describes the refusing bucket by its own rate when another bucket has its size', async () => {
    const { limiter, clock } = limiterOnClock({
      name: 'api',
      limits: [{ rate: { tokens: 1, perMs: 100 }, burst: 2 }, { rate: { tokens: 1, perMs: 1_000 }, burst: 2 }],
    });
    const message = await refusalMessage(limiter, clock, 2);
    expect(message).toBe('Rate limiter "api" allows bursts of up to 2, refilled at 1 per 1000 ms: the call was not made');
    expect(await limiter.consume('k')).toMatchObject({ allowed: false, limit: 2, windowIndex: 1 });
  });

  it('describes a refusing bucket as a bucket when a window has its size', async () => {
    const { limiter, clock } = limiterOnClock({
      name: 'api',
      limits: [{ rate: { tokens: 1, perMs: 1_000 }, burst: 3 }, { limit: 3, windowMs: 100 }],
    });
    // After 200 ms the window has forgotten the three calls; the bucket has refilled a fifth of a token.
    const message = await refusalMessage(limiter, clock, 3, 200);
    expect(message).toBe('Rate limiter "api" allows bursts of up to 3, refilled at 1 per 1000 ms: the call was not made');
  });

  it("describes a refusing fallback bucket by the fallback's rate when it has the configured bucket's size", async () => {
    const { limiter, clock } = limiterOnFailingStore({ name: 'api', algorithm: 'token-bucket', rate: { tokens: 10, perMs: 1_000 }, burst: 1 });
    // The fallback bucket keeps the size 1 (at least 1 token) and refills a quarter as fast.
    const message = await refusalMessage(limiter, clock, 1);
    expect(message).toBe('Rate limiter "api" allows bursts of up to 1, refilled at 10 per 4000 ms: the call was not made');
  });

  it('names each bucket and window in the rate-limit headers and reports the binding one', async () => {
    const { limiter } = limiterOnClock({ name: 'api', limits: burstAndQuota });
    const headers = new RateLimitHeaders(limiter.rule, 'both');
    const written = new Map<string, string>();
    headers.write(await limiter.consume('k', 5), { setHeader: (name, value) => written.set(name, value) });
    expect(Object.fromEntries(written)).toMatchObject({
      'RateLimit-Policy': '"api-1";q=20;w=2, "api-2";q=1000;w=86400',
      RateLimit: '"api-1";r=15;t=1',
      'X-RateLimit-Limit': '20',
      'X-RateLimit-Remaining': '15',
    });
  });

  it('decides with fallback buckets and windows divided by expectedInstances while the store fails, all or nothing', async () => {
    const { limiter, clock } = limiterOnFailingStore({ limits: [{ rate: { tokens: 40, perMs: 1_000 }, burst: 8 }, { limit: 12, windowMs: 60_000 }] });
    // Fallback: a bucket of 2 refilling 10 per second, and 3 per minute.
    expect(await limiter.consume('k', 2)).toMatchObject({ allowed: true, limit: 2, remaining: 0 });
    expect(await limiter.consume('k', 1)).toMatchObject({ allowed: false, limit: 2, retryAfterMs: 100 });
    await clock.advance(200);
    expect(await limiter.consume('k', 2)).toMatchObject({ allowed: false, limit: 3, remaining: 1 });
    expect(await limiter.consume('k', 1)).toMatchObject({ allowed: true, limit: 3, remaining: 0 });
    expect(limiter.stats()).toMatchObject({ storeFailing: true, admitted: 2, rejected: 2 });
  });

  /** Units left in each rule, from the admitted units alone (a model of each algorithm). */
  const bucketLeft = (admitted: readonly [number, number][], now: number, burst: number, intervalMs: number): number => {
    // Emptiness in ms: how long until the bucket is full again, replayed from the admissions.
    let empty = 0;
    let last = -Infinity;
    for (const [at, cost] of admitted) {
      empty = Math.max(0, empty - (at - last)) + cost * intervalMs;
      last = at;
    }
    empty = Math.max(0, empty - (now - last));
    return (burst * intervalMs - empty) / intervalMs;
  };
  const windowLeft = (algorithm: RateLimitAlgorithm, admitted: readonly [number, number][], now: number, limit: number, windowMs: number): number => {
    const unitsIn = (from: number, to: number): number =>
      admitted.reduce((sum, [at, cost]) => (at >= from && at < to ? sum + cost : sum), 0);
    if (algorithm === 'sliding-log') return limit - unitsIn(now - windowMs + 1, now + 1);
    const start = Math.floor(now / windowMs) * windowMs;
    return limit - ((unitsIn(start - windowMs, start) * (windowMs - (now - start))) / windowMs + unitsIn(start, now + 1));
  };

  for (const algorithm of ['sliding-log', 'sliding-window'] as RateLimitAlgorithm[]) {
    it(`admits exactly when the buckets' and the windows' models all admit, charging none with a refusal (${algorithm}, property)`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1, max: 5 })), { maxLength: 150 }), (steps) => {
          let now = 1_000_000;
          const store = new MemoryStore({ clock: { now: () => now } as never });
          // A bucket of 3 refilling every 20 ms, a window of 7 per 200 ms, a bucket of 9 refilling every 50 ms.
          const rule = new RateLimiter({
            registry: false,
            algorithm,
            limits: [
              { rate: { tokens: 1, perMs: 20 }, burst: 3 },
              { limit: 7, windowMs: 200 },
              { rate: { tokens: 2, perMs: 100 }, burst: 9 },
            ],
          }).rule;
          const admitted: [number, number][] = [];
          for (const [gap, cost] of steps) {
            now += gap;
            const left = [bucketLeft(admitted, now, 3, 20), windowLeft(algorithm, admitted, now, 7, 200), bucketLeft(admitted, now, 9, 50)];
            const result = store.consume('k', cost, rule);
            expect(result.allowed).toBe(left.every((units) => units >= cost));
            if (result.allowed) {
              admitted.push([now, cost]);
              const after = left.map((units) => Math.max(0, Math.floor(units - cost)));
              expect(result.remaining).toBe(Math.min(...after));
              expect(result.limit).toBe([3, 7, 9][after.indexOf(result.remaining)]);
            } else {
              expect([3, 7, 9].filter((_, i) => (left[i] as number) < cost)).toContain(result.limit);
            }
          }
        }),
      );
    });
  }
});
