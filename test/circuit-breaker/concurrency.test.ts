import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/index';
import { breakerOnClock, fail, outcome } from './support';

describe('CircuitBreaker under real concurrency', () => {
  it.each([1, 3, 10])('runs exactly halfOpenMaxCalls (%i) probes of 200 calls arriving together', async (halfOpenMaxCalls) => {
    const { breaker, clock } = breakerOnClock({ failureThreshold: 1, recoveryTimeoutMs: 1_000, halfOpenMaxCalls, successThreshold: 1_000 });
    await outcome(breaker, fail);
    await clock.advance(1_000);
    let running = 0;
    let maxRunning = 0;
    let started = 0;
    const probe = async () => {
      started++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      return 'ok';
    };
    const arrivals = Array.from({ length: 200 }, () => outcome(breaker, probe));
    const results = await Promise.all(arrivals);
    expect(started).toBe(halfOpenMaxCalls);
    expect(maxRunning).toBe(halfOpenMaxCalls);
    expect(results.filter((r) => r === 'success')).toHaveLength(halfOpenMaxCalls);
    expect(results.filter((r) => r === 'rejected')).toHaveLength(200 - halfOpenMaxCalls);
    expect(breaker.state).toBe('half-open');
  });

  it('admits a new probe as soon as a slot frees, never more than halfOpenMaxCalls at once', async () => {
    const { breaker, clock } = breakerOnClock({ failureThreshold: 1, recoveryTimeoutMs: 10, halfOpenMaxCalls: 2, successThreshold: 50 });
    await outcome(breaker, fail);
    await clock.advance(10);
    let running = 0;
    let maxRunning = 0;
    const probe = async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
      running--;
    };
    const waves = Array.from({ length: 20 }, async (_, wave) => {
      await new Promise((resolve) => setTimeout(resolve, wave));
      return Promise.all(Array.from({ length: 10 }, () => outcome(breaker, probe)));
    });
    const results = (await Promise.all(waves)).flat();
    expect(maxRunning).toBeLessThanOrEqual(2);
    expect(results.filter((r) => r === 'success').length).toBeGreaterThan(2);
  });

  it('keeps the heap flat while an open breaker rejects 1,000,000 calls', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const breaker = new CircuitBreaker({ registry: false, failureThreshold: 1, recoveryTimeoutMs: 3_600_000 });
    await breaker.execute(fail).catch(() => {});
    const swallow = () => {};
    const reject = async (count: number) => {
      for (let i = 0; i < count; i++) await breaker.execute(fail).catch(swallow);
    };
    await reject(50_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    await reject(1_000_000);
    gc();
    const grownBytes = process.memoryUsage().heapUsed - before;
    expect(breaker.stats().rejected).toBe(1_050_000);
    expect(grownBytes).toBeLessThan(2 * 1024 * 1024);
  });
});
