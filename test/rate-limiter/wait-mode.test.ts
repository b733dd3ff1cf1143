import { describe, expect, it, vi } from 'vitest';
import { RateLimitError } from '../../src/rate-limiter/index';
import { limiterOnClock } from './support';
import { settled } from '../support/async';

describe("mode: 'wait'", () => {
  it('waits retryAfterMs and then runs fn instead of rejecting', async () => {
    const { limiter, clock } = limiterOnClock({ limit: 1, windowMs: 1_000, mode: 'wait' });
    await limiter.execute(() => 'first');
    const fn = vi.fn(() => 'second');
    const waiting = settled(limiter.execute(fn));
    await clock.advance(999);
    expect(fn).not.toHaveBeenCalled();
    await clock.advance(1);
    expect(await waiting).toEqual({ ok: true, value: 'second' });
    expect(limiter.stats()).toMatchObject({ admitted: 2, rejected: 0 });
  });

  it('waits again when another waiter took the room, and rejects once the waits would pass maxWaitMs', async () => {
    const { limiter, clock } = limiterOnClock({ limit: 1, windowMs: 1_000, mode: 'wait', maxWaitMs: 1_500 });
    const rejected: unknown[] = [];
    limiter.events.on('rejected', (event) => rejected.push(event));
    await limiter.execute(() => 0);
    const fn = vi.fn();
    const second = settled(limiter.execute(fn));
    const third = settled(limiter.execute(fn));
    await clock.advance(1_000);
    expect(await second).toEqual({ ok: true, value: undefined });
    // The third woke at the same time, found the room taken, and a second wait of 1,000 ms would pass 1,500.
    const last = await third;
    expect(last.ok).toBe(false);
    expect((last as { error: unknown }).error).toBeInstanceOf(RateLimitError);
    expect((last as { error: RateLimitError }).error.retryAfterMs).toBe(1_000);
    expect(rejected).toEqual([expect.objectContaining({ reason: 'limitReached', waitedMs: 1_000, retryAfterMs: 1_000 })]);
  });

  it('rejects at once when the first wait would already exceed maxWaitMs', async () => {
    const { limiter, clock } = limiterOnClock({ limit: 1, windowMs: 1_000, mode: 'wait', maxWaitMs: 200 });
    await limiter.execute(() => 0);
    await clock.advance(500);
    await expect(limiter.execute(() => 1)).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 500 });
    await clock.advance(500);
    await expect(limiter.execute(() => 2)).resolves.toBe(2);
  });

  it('rejects at once, without waiting, a request whose cost exceeds the limit', async () => {
    const { limiter, clock } = limiterOnClock({ limit: 2, windowMs: 1_000, mode: 'wait', cost: 3 });
    await expect(limiter.execute(() => 0)).rejects.toMatchObject({ retryAfterMs: Infinity });
    expect(clock.pendingTimers).toBe(0);
  });

  it('ends the wait at once with the caller’s reason when the caller aborts, clearing its timer', async () => {
    const { limiter, clock } = limiterOnClock({ limit: 1, windowMs: 1_000, mode: 'wait' });
    await limiter.execute(() => 0);
    const controller = new AbortController();
    const fn = vi.fn();
    const waiting = settled(limiter.execute(fn, { signal: controller.signal }));
    await clock.advance(100);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    expect(await waiting).toEqual({ ok: false, error: reason });
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(2_000);
    expect(fn).not.toHaveBeenCalled();
    expect(limiter.stats().admitted).toBe(1);
  });

  it('does not start a wait that would reach the deadline, and waits when it ends before it', async () => {
    const { limiter, clock } = limiterOnClock({ limit: 1, windowMs: 1_000, mode: 'wait' });
    await limiter.execute(() => 0);
    await expect(limiter.execute(() => 1, { timeoutMs: 1_000 })).rejects.toMatchObject({ retryAfterMs: 1_000 });
    expect(clock.pendingTimers).toBe(0);
    const waiting = settled(limiter.execute(() => 2, { deadline: clock.now() + 1_001 }));
    await clock.advance(1_000);
    expect(await waiting).toEqual({ ok: true, value: 2 });
  });

  it('admits every one of many concurrent waiters in time, never more than limit in any window', async () => {
    const { limiter, clock } = limiterOnClock({ limit: 10, windowMs: 1_000, mode: 'wait', maxWaitMs: 10_000 });
    const admittedAt: number[] = [];
    const task = (): void => {
      const now = clock.now();
      admittedAt.push(now);
      // Invariant checked inside each task.
      expect(admittedAt.filter((at) => at > now - 1_000).length).toBeLessThanOrEqual(10);
    };
    const calls = Array.from({ length: 60 }, () => settled(limiter.execute(task, { key: 'k' })));
    for (let step = 0; step < 70; step++) await clock.advance(100);
    const outcomes = await Promise.all(calls);
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(admittedAt).toHaveLength(60);
    expect(Math.max(...admittedAt) - Math.min(...admittedAt)).toBeLessThan(6_000);
  });

  it('waits at least 1 ms per try when a store refuses with retryAfterMs 0, so the wait stays bounded', async () => {
    const refuseAlways = { consume: () => ({ allowed: false, limit: 1, remaining: 0, resetMs: 0, retryAfterMs: 0 }) };
    const { limiter, clock } = limiterOnClock({ limit: 1, windowMs: 1_000, mode: 'wait', maxWaitMs: 10, store: refuseAlways });
    const waiting = settled(limiter.execute(() => 'never'));
    await clock.advance(10);
    const outcome = await waiting;
    expect(outcome.ok).toBe(false);
    expect(limiter.stats().rejected).toBe(1);
  });
});
