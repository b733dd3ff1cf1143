import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore, RateLimiter, type RateLimitRule } from '../../src/rate-limiter/index';
import { limiterOnClock } from './support';

const rule: RateLimitRule = { algorithm: 'sliding-log', windows: [{ limit: 5, windowMs: 1_000 }] };

afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryStore', () => {
  it('sets no timer: nothing keeps the process alive', async () => {
    vi.useFakeTimers();
    const limiter = new RateLimiter({ registry: false, limit: 1, windowMs: 60_000 });
    await limiter.consume('a');
    await limiter.consume('a');
    await limiter.execute(() => 0, { key: 'b' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps at most maxKeys keys, forgetting the least recently used one', () => {
    let now = 0;
    const store = new MemoryStore({ maxKeys: 3, clock: { now: () => now } as never });
    for (const key of ['a', 'b', 'c']) store.consume(key, 5, rule);
    store.consume('a', 1, rule); // refused, but makes 'a' most recently used
    store.consume('d', 1, rule); // evicts 'b'
    expect(store.size).toBe(3);
    expect(store.consume('a', 1, rule).allowed).toBe(false);
    expect(store.consume('c', 1, rule).allowed).toBe(false);
    expect(store.consume('b', 5, rule).allowed).toBe(true); // 'b' was forgotten: a fresh limit
    now = 1;
    expect(store.size).toBe(3);
  });

  it('drops expired keys lazily from the least recently used end, with no timer', () => {
    let now = 0;
    const store = new MemoryStore({ clock: { now: () => now } as never });
    store.consume('old-1', 1, rule);
    store.consume('old-2', 1, rule);
    now = 1_000;
    store.consume('fresh', 1, rule);
    expect(store.size).toBe(1);
    store.clear();
    expect(store.size).toBe(0);
  });

  it('starts a key afresh when it is used with a different rule', () => {
    const store = new MemoryStore({ clock: { now: () => 0 } as never });
    store.consume('k', 5, rule);
    const other: RateLimitRule = { algorithm: 'sliding-window', windows: [{ limit: 5, windowMs: 1_000 }] };
    expect(store.consume('k', 5, other).allowed).toBe(true);
  });

  it('keeps the keys of a single token bucket in the same recency order and bound, and starts a key afresh when its rule changes', () => {
    const store = new MemoryStore({ maxKeys: 2, clock: { now: () => 0 } as never });
    const single: RateLimitRule = { algorithm: 'token-bucket', windows: [{ limit: 2, windowMs: 1_000 }] };
    store.consume('a', 2, single);
    store.consume('b', 2, single);
    store.consume('a', 1, single); // refused, but makes 'a' most recently used
    store.consume('c', 1, single); // evicts 'b'
    expect(store.size).toBe(2);
    expect(store.consume('a', 1, single).allowed).toBe(false);
    expect(store.consume('b', 2, single).allowed).toBe(true); // 'b' was forgotten: a full bucket (evicts 'c')
    expect(store.consume('c', 2, single).allowed).toBe(true);
    // The same key under another rule, then under the bucket again: afresh each time.
    expect(store.consume('b', 5, rule).allowed).toBe(true);
    expect(store.consume('b', 2, single)).toEqual({ allowed: true, limit: 2, windowIndex: 0, remaining: 0, resetMs: 1_000, retryAfterMs: 0 });
  });

  it('keeps the log of a busy key O(limit) long and each decision O(1) amortised', () => {
    let now = 0;
    const store = new MemoryStore({ clock: { now: () => now } as never });
    const big: RateLimitRule = { algorithm: 'sliding-log', windows: [{ limit: 100_000, windowMs: 50_000 }] };
    const started = performance.now();
    let admitted = 0;
    for (let i = 0; i < 1_000_000; i++) {
      now += 0.5; // 2 per ms: a log of 100,000 entries sliding continuously
      if (store.consume('hot', 1, big).allowed) admitted++;
    }
    const elapsedMs = performance.now() - started;
    expect(admitted).toBe(1_000_000);
    // Array.shift on a 100,000-entry array would make this quadratic (minutes); a deque takes well under a second or two.
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it('stays at maxKeys entries and keeps the heap bounded while 1,000,000 distinct keys arrive', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { limiter } = limiterOnClock({ limit: 10, windowMs: 60_000, algorithm: 'sliding-log' });
    const store = new MemoryStore({ maxKeys: 10_000, clock: { now: () => 0 } as never });
    const flood = (from: number, count: number): void => {
      for (let i = from; i < from + count; i++) store.consume(`key-${i}`, 1, limiter.rule);
    };
    flood(0, 20_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    flood(20_000, 1_000_000);
    gc();
    const grownBytes = process.memoryUsage().heapUsed - before;
    expect(store.size).toBe(10_000);
    expect(grownBytes).toBeLessThan(4 * 1024 * 1024);
  });

  it('gives a RateLimiter without a store its own MemoryStore on the limiter clock', async () => {
    const { limiter, clock } = limiterOnClock({ limit: 1, windowMs: 100 });
    expect((await limiter.consume('k')).allowed).toBe(true);
    expect((await limiter.consume('k')).allowed).toBe(false);
    await clock.advance(100);
    expect((await limiter.consume('k')).allowed).toBe(true);
    expect(new RateLimiter({ registry: false, limit: 1, windowMs: 1 })).toBeInstanceOf(RateLimiter);
  });
});
