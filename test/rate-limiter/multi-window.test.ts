import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore, type RateLimitAlgorithm, type RateLimitRule } from '../../src/rate-limiter/index';
import { limiterOnClock } from './support';

describe('several windows at once', () => {
  it('admits only when every window admits, and reports the tightest window', async () => {
    const { limiter, clock } = limiterOnClock({
      limits: [
        { limit: 2, windowMs: 1_000 },
        { limit: 3, windowMs: 60_000 },
      ],
    });
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, limit: 2, remaining: 1 });
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, limit: 2, remaining: 0 });
    expect(await limiter.consume('k')).toMatchObject({ allowed: false, limit: 2, retryAfterMs: 1_000 });
    await clock.advance(1_000);
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, limit: 3, remaining: 0 });
    await clock.advance(1_000);
    expect(await limiter.consume('k')).toMatchObject({ allowed: false, limit: 3, retryAfterMs: 58_000 });
  });

  it('consumes from no window when one window refuses, so a refused request never uses up another window', async () => {
    const { limiter } = limiterOnClock({
      limits: [
        { limit: 10, windowMs: 1_000 },
        { limit: 5, windowMs: 60_000 },
      ],
    });
    expect(await limiter.consume('k', 4)).toMatchObject({ allowed: true, limit: 5, remaining: 1 });
    for (let i = 0; i < 5; i++) expect(await limiter.consume('k', 2)).toMatchObject({ allowed: false, limit: 5 });
    // The per-second window was not charged by the five refusals: 6 units still fit in it.
    expect(await limiter.consume('k', 1)).toMatchObject({ allowed: true, limit: 5, remaining: 0 });
  });

  it('reports the refusing window that frees up last', () => {
    let now = 0;
    const store = new MemoryStore({ clock: { now: () => now } as never });
    const rule: RateLimitRule = {
      algorithm: 'sliding-log',
      windows: [
        { limit: 1, windowMs: 1_000 },
        { limit: 1, windowMs: 5_000 },
      ],
    };
    store.consume('k', 1, rule);
    now = 100;
    expect(store.consume('k', 1, rule)).toMatchObject({ allowed: false, limit: 1, retryAfterMs: 4_900, resetMs: 4_900 });
  });

  /** What a window would say, from the admitted units alone (a model of each algorithm). */
  const fitsModel = (algorithm: RateLimitAlgorithm, units: readonly number[], now: number, limit: number, windowMs: number, cost: number): boolean => {
    if (algorithm === 'sliding-log') return units.filter((at) => at > now - windowMs).length + cost <= limit;
    const start = Math.floor(now / windowMs) * windowMs;
    const current = units.filter((at) => at >= start).length;
    const previous = units.filter((at) => at >= start - windowMs && at < start).length;
    return (previous * (windowMs - (now - start))) / windowMs + current + cost <= limit;
  };

  for (const algorithm of ['sliding-log', 'sliding-window'] as RateLimitAlgorithm[]) {
    it(`admits exactly when every window's model admits, charging windows only with admitted units (${algorithm}, property)`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 6 })), { maxLength: 150 }),
          (steps) => {
            let now = 0;
            const store = new MemoryStore({ clock: { now: () => now } as never });
            const windows = [
              { limit: 5, windowMs: 100 },
              { limit: 12, windowMs: 1_000 },
            ];
            const rule: RateLimitRule = { algorithm, windows };
            const units: number[] = [];
            for (const [gap, cost] of steps) {
              now += gap;
              const expected = windows.every((w) => fitsModel(algorithm, units, now, w.limit, w.windowMs, cost));
              expect(store.consume('k', cost, rule).allowed).toBe(expected);
              if (expected) for (let i = 0; i < cost; i++) units.push(now);
            }
          },
        ),
      );
    });
  }
});
