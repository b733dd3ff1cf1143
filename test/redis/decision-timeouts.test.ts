import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RateLimitResult } from '../../src/rate-limiter/index';
import { DecisionTimeouts, PendingDecision } from '../../src/redis/decision-timeouts';
import { RedisStoreError } from '../../src/redis/index';

const ADMITTED: RateLimitResult = { allowed: true, limit: 5, remaining: 4, resetMs: 100, retryAfterMs: 0 };

/** How `decision` ended so far: `'pending'`, its result, or its error. */
function outcomeOf(decision: PendingDecision): () => unknown {
  let outcome: unknown = 'pending';
  decision.promise.then(
    (result) => (outcome = result),
    (error: unknown) => (outcome = error),
  );
  return () => outcome;
}

/** Lets the run that sent decisions end: their timeouts start in a microtask. */
const endRun = (): Promise<void> => Promise.resolve();

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('DecisionTimeouts', () => {
  it('rejects each decision Redis has not answered within its timeoutMs, never earlier, and keeps no timer once none is pending', async () => {
    const timeouts = new DecisionTimeouts(50);
    const first = new PendingDecision(50, timeouts);
    const second = new PendingDecision(50, timeouts);
    const firstOutcome = outcomeOf(first);
    const secondOutcome = outcomeOf(second);
    timeouts.start(first);
    timeouts.start(second);
    await endRun();
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(49);
    expect(firstOutcome()).toBe('pending');
    timeouts.stop(second);
    second.resolve(ADMITTED);
    await vi.advanceTimersByTimeAsync(1);
    expect(firstOutcome()).toBeInstanceOf(RedisStoreError);
    expect((firstOutcome() as Error).message).toBe('Redis did not answer within 50 ms');
    expect(secondOutcome()).toBe(ADMITTED);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('times a decision with a shorter budget out first, whatever order they were sent in, naming the store timeoutMs', async () => {
    const timeouts = new DecisionTimeouts(100);
    const full = new PendingDecision(100, timeouts);
    const fullOutcome = outcomeOf(full);
    timeouts.start(full);
    await endRun();
    await vi.advanceTimersByTimeAsync(10);
    // A decision that waited 70 ms for the connection has 30 ms left of its 100.
    const late = new PendingDecision(30, timeouts);
    const lateOutcome = outcomeOf(late);
    timeouts.start(late);
    await endRun();
    await vi.advanceTimersByTimeAsync(30);
    expect((lateOutcome() as Error).message).toBe('Redis did not answer within 100 ms');
    expect(fullOutcome()).toBe('pending');
    await vi.advanceTimersByTimeAsync(60);
    expect(fullOutcome()).toBeInstanceOf(RedisStoreError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('starts no timer for a decision answered before the run that sent it ended', async () => {
    const timeouts = new DecisionTimeouts(50);
    const decision = new PendingDecision(50, timeouts);
    const outcome = outcomeOf(decision);
    timeouts.start(decision);
    timeouts.stop(decision);
    decision.resolve(ADMITTED);
    await endRun();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(outcome()).toBe(ADMITTED);
  });

  it('leaves a decision that timed out as it is when its answer comes later', async () => {
    const timeouts = new DecisionTimeouts(20);
    const decision = new PendingDecision(20, timeouts);
    const outcome = outcomeOf(decision);
    timeouts.start(decision);
    await endRun();
    await vi.advanceTimersByTimeAsync(20);
    timeouts.stop(decision);
    decision.resolve(ADMITTED);
    await endRun();
    expect(outcome()).toBeInstanceOf(RedisStoreError);
    expect(vi.getTimerCount()).toBe(0);
  });
});
