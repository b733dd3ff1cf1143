import { describe, expect, it, vi } from 'vitest';
import {
  BulkheadRejectedError,
  bus,
  OperationTimeoutError,
  type BulkheadStats,
  type CircuitBreakerStats,
  type TimeoutStats,
} from '../../src/index';
import { guardOf, guardRedis, type RedisGuard } from '../../src/redis/index';
import { rejectionOf } from './guard-support';
import { uniquePrefix, useThrowAwayServer } from './support';

/** The stats of the guard's default layers: breaker, timeout, bulkhead. */
function layers(guard: RedisGuard): { breaker: CircuitBreakerStats; timeout: TimeoutStats; bulkhead: BulkheadStats } {
  const [breaker, timeout, bulkhead] = guard.stats().layers.map((layer) => layer.stats);
  return { breaker: breaker as CircuitBreakerStats, timeout: timeout as TimeoutStats, bulkhead: bulkhead as BulkheadStats };
}

describe('guardRedis default policy on a stalled server (process paused, connection still ready)', () => {
  const fixture = useThrowAwayServer();

  /** Runs `body` with the server paused, resuming it afterwards whatever happens. */
  async function whilePaused(body: () => Promise<void>): Promise<void> {
    process.kill(fixture.server.pid, 'SIGSTOP');
    try {
      await body();
    } finally {
      process.kill(fixture.server.pid, 'SIGCONT');
    }
  }

  it('rejects an unanswered command at its timeout with OperationTimeoutError, counts it as a failure and keeps its bulkhead slot until the server answers', async () => {
    const name = uniquePrefix('guard-stalled');
    const redis = guardRedis(fixture.redis, { name, registry: false, timeout: { timeoutMs: 50 } });
    const guard = guardOf(redis) as RedisGuard;
    const timeouts: unknown[] = [];
    const onTimeout = (event: { patternName: string }): void => {
      if (event.patternName === `${name}:timeout`) timeouts.push(event);
    };
    bus.on('timeout:timeout', onTimeout);
    try {
      expect(await redis.set(`${name}:k`, 'v')).toBe('OK');
      await whilePaused(async () => {
        const error = await rejectionOf(redis.get(`${name}:k`));
        expect(error).toBeInstanceOf(OperationTimeoutError);
        expect(error).toMatchObject({ timeoutMs: 50, policyName: `${name}:timeout`, trigger: 'timeout' });
        const stats = layers(guard);
        expect(stats.breaker.totals).toMatchObject({ calls: 2, successes: 1, failures: 1 });
        expect(stats.timeout).toMatchObject({ inFlight: 0, timedOut: 1 });
        expect(stats.bulkhead.inFlight).toBe(1);
        expect(timeouts).toHaveLength(1);
      });
      await vi.waitFor(() => expect(layers(guard).bulkhead.inFlight).toBe(0));
      expect(layers(guard).breaker.totals).toMatchObject({ calls: 2, failures: 1, lateResults: 0 });
      expect(await redis.del(`${name}:k`)).toBe(1);
    } finally {
      bus.off('timeout:timeout', onTimeout);
      guard.dispose();
    }
    expect(fixture.unhandled).toEqual([]);
  });

  it('refuses a command beyond maxInFlight at once with BulkheadRejectedError, which the breaker does not count', async () => {
    const redis = guardRedis(fixture.redis, { registry: false, bulkhead: { maxInFlight: 2 }, timeout: { timeoutMs: 100 } });
    const guard = guardOf(redis) as RedisGuard;
    await whilePaused(async () => {
      const sent = [rejectionOf(redis.get('a')), rejectionOf(redis.get('b'))];
      const refused = await rejectionOf(redis.get('c'));
      expect(refused).toBeInstanceOf(BulkheadRejectedError);
      expect((refused as BulkheadRejectedError).reason).toBe('queueFull');
      expect(layers(guard).timeout.inFlight).toBe(2);
      for (const error of await Promise.all(sent)) expect(error).toBeInstanceOf(OperationTimeoutError);
      expect(layers(guard).breaker.totals).toMatchObject({ calls: 2, failures: 2, ignored: 1 });
    });
    await vi.waitFor(() => expect(layers(guard).bulkhead.inFlight).toBe(0));
    guard.dispose();
    expect(fixture.unhandled).toEqual([]);
  });

  it("times each command and emits the breaker's success and failure events while someone listens", async () => {
    const redis = guardRedis(fixture.redis, { registry: false, timeout: { timeoutMs: 50 } });
    const guard = guardOf(redis) as RedisGuard;
    const breaker = guard.circuitBreaker;
    const outcomes: { type: string; durationMs: number }[] = [];
    breaker?.events.on('success', (event) => outcomes.push(event));
    breaker?.events.on('failure', (event) => outcomes.push(event));
    expect(await redis.get('never-written')).toBeNull();
    await whilePaused(async () => {
      expect(await rejectionOf(redis.get('never-written'))).toBeInstanceOf(OperationTimeoutError);
    });
    expect(outcomes.map((event) => event.type)).toEqual(['success', 'failure']);
    expect(outcomes[1]?.durationMs).toBeGreaterThanOrEqual(50);
    guard.dispose();
  });
});
