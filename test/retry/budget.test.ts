import { describe, expect, it } from 'vitest';
import { ConfigError, Retry, RetryBudget } from '../../src/index';
import { ManualClock } from '../support/manual-clock';

describe('retry budget', () => {
  it('keeps downstream calls within 1.1 × incoming calls plus the floor while a dependency always fails', async () => {
    const clock = new ManualClock();
    const minPerSecond = 10;
    const retry = new Retry({
      maxAttempts: 3,
      backoff: 'constant',
      initialDelayMs: 0,
      jitter: 'none',
      budget: { ratio: 0.1, minPerSecond },
      clock,
    });
    let downstream = 0;
    const incoming = 10_000;
    const calls: Array<Promise<unknown>> = [];
    for (let i = 0; i < incoming; i++) {
      calls.push(
        retry
          .execute(async () => {
            downstream++;
            throw new Error('dependency down');
          })
          .catch(() => {}),
      );
    }
    await clock.advance(0);
    await Promise.all(calls);
    const elapsedSeconds = 0;
    const floor = minPerSecond * (1 + elapsedSeconds);
    expect(downstream / incoming).toBeLessThanOrEqual(1.1 + floor / incoming);
    expect(downstream).toBeGreaterThan(incoming);
    expect(retry.stats().retriesDeniedByBudget).toBeGreaterThan(0);
  });

  it('always allows minPerSecond retries, refilled as time passes', async () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratio: 0.1, minPerSecond: 5 }, clock);
    const grants = () => {
      let granted = 0;
      while (budget.tryWithdraw()) granted++;
      return granted;
    };
    expect(grants()).toBe(5);
    await clock.advance(1_000);
    expect(grants()).toBe(5);
    await clock.advance(400);
    expect(grants()).toBe(2);
  });

  it('saves up ratio tokens per call up to maxTokens', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratio: 0.5, minPerSecond: 0, maxTokens: 3 }, clock);
    for (let i = 0; i < 100; i++) budget.deposit();
    expect(budget.tokens).toBe(3);
    expect([budget.tryWithdraw(), budget.tryWithdraw(), budget.tryWithdraw(), budget.tryWithdraw()]).toEqual([true, true, true, false]);
  });

  it('can be shared by several Retry policies', async () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratio: 0.1, minPerSecond: 0 }, clock);
    const options = { maxAttempts: 2, initialDelayMs: 0, jitter: 'none', budget, clock } as const;
    const first = new Retry(options);
    const second = new Retry(options);
    for (let i = 0; i < 10; i++) await first.execute(() => 'ok');
    let tries = 0;
    const failing = async () => {
      tries++;
      throw new Error('down');
    };
    const settle = Promise.allSettled([second.execute(failing), second.execute(failing)]);
    await clock.advance(0);
    await settle;
    expect(tries).toBe(3);
  });

  it('rejects invalid budget options inside the Retry options error', () => {
    expect(() => new Retry({ budget: { ratio: 2, minPerSecond: -1 } })).toThrow(ConfigError);
    expect(() => new Retry({ budget: { ratio: 2, minPerSecond: -1 } })).toThrow(/budget\.ratio: must be ≤ 1[\s\S]*budget\.minPerSecond: must be ≥ 0/);
  });
});
