import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore, type RateLimitRule } from '../../src/rate-limiter/index';
import { limiterOnClock } from './support';

/** The most admissions any half-open span (t - windowMs, t] holds, from sorted admission times. */
function busiestSpan(times: readonly number[], windowMs: number): number {
  let most = 0;
  let from = 0;
  for (let to = 0; to < times.length; to++) {
    while ((times[from] as number) <= (times[to] as number) - windowMs) from++;
    most = Math.max(most, to - from + 1);
  }
  return most;
}

const log = (limit: number, windowMs: number): RateLimitRule => ({ algorithm: 'sliding-log', windows: [{ limit, windowMs }] });
const counter = (limit: number, windowMs: number): RateLimitRule => ({
  algorithm: 'sliding-window',
  windows: [{ limit, windowMs }],
});

describe('sliding-log exactness', () => {
  it('never admits more than limit in any window under many concurrent consumers, and never over-rejects', async () => {
    const { limiter, clock } = limiterOnClock({ limit: 20, windowMs: 1_000 });
    const admittedAt: number[] = [];
    const inLastWindow = (): number => admittedAt.filter((at) => at > clock.now() - 1_000).length;
    let running = 0;
    let mostRunning = 0;
    let refusals = 0;
    let stop = false;
    const task = async (): Promise<void> => {
      admittedAt.push(clock.now());
      // Invariant checked inside each admitted task: the last windowMs holds at most limit admissions.
      expect(inLastWindow()).toBeLessThanOrEqual(20);
      running++;
      mostRunning = Math.max(mostRunning, running);
      await clock.sleep(15);
      running--;
    };
    const consumer = async (id: number): Promise<void> => {
      while (!stop) {
        try {
          await limiter.execute(task, { key: 'shared' });
        } catch (error) {
          // No over-rejection: a refusal only when the window is really full.
          expect(inLastWindow()).toBe(20);
          expect((error as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
          refusals++;
        }
        await clock.sleep(1 + ((id * 7) % 23));
      }
    };
    const consumers = Array.from({ length: 100 }, (_, id) => consumer(id));
    for (let step = 0; step < 300; step++) await clock.advance(10);
    stop = true;
    await clock.advance(100);
    await Promise.all(consumers);
    expect(busiestSpan(admittedAt, 1_000)).toBe(20);
    expect(admittedAt.length).toBeGreaterThanOrEqual(20 * 3);
    expect(refusals).toBeGreaterThan(0);
    expect(mostRunning).toBeGreaterThan(1);
  });

  it('admits no double burst at a window boundary', () => {
    let now = 999;
    const store = new MemoryStore({ clock: { now: () => now } as never });
    const rule = log(10, 1_000);
    // A full burst just before a fixed-window boundary...
    for (let i = 0; i < 10; i++) expect(store.consume('k', 1, rule).allowed).toBe(true);
    // ...leaves no room just after it, only once the burst is a whole window old.
    now = 1_001;
    expect(store.consume('k', 1, rule)).toMatchObject({ allowed: false, retryAfterMs: 998 });
    now = 1_998;
    expect(store.consume('k', 1, rule).allowed).toBe(false);
    now = 1_999;
    expect(store.consume('k', 10, rule).allowed).toBe(true);
  });

  it('holds exactly: never more than limit in any span of windowMs, and admits whenever there is room (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 500 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 4 })), { maxLength: 200 }),
        (limit, windowMs, steps) => {
          let now = 0;
          const store = new MemoryStore({ clock: { now: () => now } as never });
          const rule = log(limit, windowMs);
          const units: number[] = [];
          for (const [gap, cost] of steps) {
            now += gap;
            const inWindow = units.filter((at) => at > now - windowMs).length;
            const result = store.consume('k', cost, rule);
            expect(result.allowed).toBe(inWindow + cost <= limit);
            if (result.allowed) {
              for (let i = 0; i < cost; i++) units.push(now);
              expect(result.remaining).toBe(limit - inWindow - cost);
            } else if (cost <= limit) {
              // After retryAfterMs exactly, the request fits; a ms earlier it does not.
              const at = now + result.retryAfterMs;
              expect(units.filter((t) => t > at - windowMs).length + cost).toBeLessThanOrEqual(limit);
              expect(units.filter((t) => t > at - 1 - windowMs).length + cost).toBeGreaterThan(limit);
            }
          }
          expect(busiestSpan(units, windowMs)).toBeLessThanOrEqual(limit);
        },
      ),
    );
  });
});

describe('sliding-window error bound', () => {
  it('never holds more than limit in an aligned bucket nor 2 × limit − 1 in any span of windowMs (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 400 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 1, max: 3 })), { maxLength: 300 }),
        (limit, windowMs, steps) => {
          let now = 0;
          const store = new MemoryStore({ clock: { now: () => now } as never });
          const rule = counter(limit, windowMs);
          const units: number[] = [];
          for (const [gap, cost] of steps) {
            now += gap;
            const result = store.consume('k', cost, rule);
            if (result.allowed) for (let i = 0; i < cost; i++) units.push(now);
            else expect(result.retryAfterMs).toBeGreaterThan(0);
          }
          const perBucket = new Map<number, number>();
          for (const at of units) {
            const bucket = Math.floor(at / windowMs);
            perBucket.set(bucket, (perBucket.get(bucket) ?? 0) + 1);
          }
          for (const count of perBucket.values()) expect(count).toBeLessThanOrEqual(limit);
          expect(busiestSpan(units, windowMs)).toBeLessThanOrEqual(2 * limit - 1);
        },
      ),
    );
  });

  it('reaches close to the bound when a full bucket is admitted at its very end', () => {
    let now = 999;
    const store = new MemoryStore({ clock: { now: () => now } as never });
    const rule = counter(10, 1_000);
    for (let i = 0; i < 10; i++) expect(store.consume('k', 1, rule).allowed).toBe(true);
    let admitted = 0;
    for (now = 1_000; now < 1_999; now++) if (store.consume('k', 1, rule).allowed) admitted++;
    expect(admitted).toBe(9);
  });

  it('admits a request once its retryAfterMs has passed', () => {
    let now = 0;
    const store = new MemoryStore({ clock: { now: () => now } as never });
    const rule = counter(4, 1_000);
    store.consume('k', 4, rule);
    now = 1_200;
    const refused = store.consume('k', 2, rule);
    expect(refused.allowed).toBe(false);
    now += refused.retryAfterMs;
    expect(store.consume('k', 2, rule).allowed).toBe(true);
  });
});
